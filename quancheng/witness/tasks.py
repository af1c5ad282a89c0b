"""Background work of the log side, queued through Django's Tasks API."""

from django_tasks import task

from .submission import submit_latest


@task()
def submit_to_witnesses() -> dict[str, str]:
    """Send the latest checkpoint to the configured witnesses; each witness's outcome."""
    return {s.witness_name: s.outcome for s in submit_latest()}
