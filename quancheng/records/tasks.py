"""Background work on records, queued through Django's Tasks API (django-tasks backport)."""

from django_tasks import task

from quancheng.jobs.leases import when_abandoned

from .media import derivatives_abandoned, make_derivatives
from .services import expire_uploads as _expire_uploads


@task()
def make_segment_derivatives(segment_id: int) -> str:
    """Thumbnail and browser proxy of one segment (records/media.py); its media status."""
    return make_derivatives(segment_id).media_status


@when_abandoned(make_segment_derivatives)
def _derivatives_abandoned(reason: str, segment_id: int) -> None:
    derivatives_abandoned(segment_id, reason)


@task()
def expire_uploads() -> int:
    """Remove abandoned unfinished uploads (tus Expiration; QC_UPLOAD_EXPIRY_DAYS)."""
    return _expire_uploads()


# Blobs per run of the periodic SM3 job: a backlog (the backfill after the upgrade) is worked off
# over several runs, so that one run never holds a worker for hours.
SM3_BATCH = 500


@task()
def compute_pending_sm3() -> dict:
    """SM3 digests of blobs stored since the last run (records/sm3.py; docs/national-crypto.md)."""
    from .sm3 import compute_pending_sm3 as _compute

    return _compute(limit=SM3_BATCH)
