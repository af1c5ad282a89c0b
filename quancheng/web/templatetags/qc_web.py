"""Template helpers of the pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_class(context, section: str) -> str:
    """ "active" on the navigation link of the section the current page belongs to."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match else ""
    return "active" if name == section or name.startswith(section + "_") else ""


@register.filter
def minutes(delta) -> int:
    """A timedelta in whole minutes (for the lockout message)."""
    return round(delta.total_seconds() / 60)
