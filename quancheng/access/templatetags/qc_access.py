"""Template helpers of the access app: the head's inbox badge in the navigation."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_count(context) -> int:
    """How many decisions wait for the signed-in head (0 for everyone else)."""
    from quancheng.access.inbox import inbox_count as count

    request = context.get("request")
    user = getattr(request, "user", None)
    return count(user) if user else 0


@register.simple_tag(takes_context=True)
def may_access(context, item, action: str) -> bool:
    """Whether the signed-in user may ``action`` the item (e.g. show a download button)."""
    from quancheng.access.policy import decide

    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user and decide(user, item, action).allowed)
