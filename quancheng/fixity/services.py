"""Use cases behind the fixity page."""

from typing import TYPE_CHECKING

from django.db import transaction

from quancheng.ledger.services import record_event

from .models import FixitySweep
from .tasks import run_fixity_sweep

if TYPE_CHECKING:
    from quancheng.orgs.models import User


class SweepAlreadyRunning(Exception):
    pass


def request_sweep(user: "User"):
    """Queue a sweep for the worker, recorded as the user's request; refused while one runs."""
    running = FixitySweep.objects.filter(status=FixitySweep.Status.RUNNING).first()
    if running is not None and running.is_live():
        raise SweepAlreadyRunning("已有完整性校验正在进行，请等待其完成")
    with transaction.atomic():
        result = run_fixity_sweep.enqueue(trigger=FixitySweep.Trigger.MANUAL, user_id=user.pk)
        record_event(
            user,
            "fixity.sweep_requested",
            None,
            {"task_id": str(result.id)},
            object_type="fixity.fixitysweep",
            object_id="",
        )
    return result
