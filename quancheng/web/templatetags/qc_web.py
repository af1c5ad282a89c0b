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


@register.simple_tag(takes_context=True)
def open_alert_count(context) -> int:
    """How many open alerts the signed-in user has (shown in the navigation)."""
    from quancheng.alerts.models import Alert

    request = context.get("request")
    user = getattr(request, "user", None)
    return Alert.objects.visible_to(user).open().count() if user else 0
