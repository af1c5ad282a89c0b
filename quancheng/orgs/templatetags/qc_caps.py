"""``{% can "act.edit" act as may_edit %}``: the capability table asked from a template."""

from django import template

from quancheng.orgs.capabilities import can as _can

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, capability: str, obj=None) -> bool:
    request = context.get("request")
    return _can(getattr(request, "user", None), capability, obj)
