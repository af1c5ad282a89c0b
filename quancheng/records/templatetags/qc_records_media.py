from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as h:mm:ss or m:ss (时长)."""
    if seconds is None or seconds == "":
        return "—"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
