"""Background work on devices, queued through Django's Tasks API (django-tasks backport).

``check_undocked_devices`` is meant to run once a day (the periodic scheduler enqueues it; see
docs/devices.md).
"""

from django_tasks import task

from .devices import raise_undocked_alerts


@task()
def check_undocked_devices() -> int:
    """Raise a ``device.undocked`` alert for each device not docked for QC_DEVICE_UNDOCKED_DAYS
    days; how many devices are undocked."""
    return raise_undocked_alerts()
