"""Background checks that raise alerts, queued through Django's Tasks API (django-tasks)."""

from django_tasks import task

from .sources import OVERDUE, run_check


@task()
def check_overdue_registrations() -> dict[str, int]:
    """The daily A21 check (QC_SCHEDULE ``registration_overdue_check``): alerts for acts not
    registered within 2 working days, closed once registered."""
    return run_check(OVERDUE)  # registered by the registration app (registration/alerts.py)
