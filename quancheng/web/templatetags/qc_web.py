"""Template helpers of the pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def navigation(context) -> list:
    """The menus of the signed-in person (web/navigation.py), the current page's marked."""
    from quancheng.web.navigation import menus_for

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return []
    match = getattr(request, "resolver_match", None)
    return menus_for(user, match.view_name if match else "")


@register.filter
def minutes(delta) -> int:
    """A timedelta in whole minutes (for the lockout message)."""
    return round(delta.total_seconds() / 60)
