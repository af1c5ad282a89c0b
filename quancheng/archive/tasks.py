"""Retention as background work: the daily recompute (scheduled through QC_SCHEDULE)."""

from django_tasks import task

from quancheng.jobs.leases import when_abandoned

from .disposal import resume_disposals
from .retention import recompute_all


@task()
def recompute_retention() -> int:
    """Finish any interrupted disposal, then recompute every item's retention and re-assert the
    store's dates; how many changed."""
    resume_disposals()
    return recompute_all()


@task()
def package_transfer_job(transfer_id: int) -> str:
    """Check an approved transfer's dossier again and make its package (archive/transfer.py)."""
    from .transfer import package_transfer

    transfer = package_transfer(transfer_id)
    return transfer.status if transfer else "skipped"


@when_abandoned(package_transfer_job)
def _packaging_abandoned(reason: str, transfer_id: int) -> None:
    """Its worker died on every attempt: the transfer ends as failed, with the reason."""
    from .transfer import abandon

    abandon(transfer_id, reason)
