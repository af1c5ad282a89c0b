"""Fixity sweeps as background work (Django's Tasks API), scheduled or requested on a page."""

from django.contrib.auth import get_user_model
from django_tasks import task

from .models import FixitySweep
from .sweep import SweepBusy, run_sweep


@task()
def run_fixity_sweep(trigger: str = FixitySweep.Trigger.SCHEDULE, user_id: int | None = None):
    """Resume the unfinished sweep or start one; the sweep's id, or None if one runs elsewhere."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        sweep = run_sweep(resume=True, trigger=trigger, user=user)
    except SweepBusy:
        return None
    return sweep.pk
