"""Background production of redacted copies (脱敏副本), queued through django-tasks."""

from django_tasks import task

from quancheng.jobs.leases import when_abandoned


@task()
def produce_redacted_copy(copy_id: int) -> str:
    """Make the redacted copy of one segment for a provision (access/redaction.py); its status."""
    from .redaction import produce

    copy = produce(copy_id)
    return copy.status if copy else "skipped"


@when_abandoned(produce_redacted_copy)
def _production_abandoned(reason: str, copy_id: int) -> None:
    """Its worker died on every attempt: show the failure to the requester."""
    from .redaction import abandon

    abandon(copy_id, reason)
