"""Background checks that raise alerts, queued through Django's Tasks API (django-tasks)."""

from django_tasks import task


@task()
def check_overdue_registrations() -> dict[str, int]:
    """The daily A21 check (QC_SCHEDULE ``registration_overdue_check``): alerts for acts not
    registered within 2 working days, closed once registered."""
    from .sources import raise_overdue_registration_alerts

    return raise_overdue_registration_alerts()
