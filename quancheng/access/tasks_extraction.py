"""Background work of the access app, queued through Django's Tasks API (django-tasks)."""

from django_tasks import task

from quancheng.jobs.leases import when_abandoned


@task()
def produce_extraction_package(extraction_id: int) -> str:
    """Make the export package of an approved extraction (access/package.py); its status."""
    from .package import produce

    extraction = produce(extraction_id)
    return extraction.status if extraction else "skipped"


@when_abandoned(produce_extraction_package)
def _production_abandoned(reason: str, extraction_id: int) -> None:
    """Its worker died on every attempt: show the failure to the head, who may retry."""
    from .package import abandon

    abandon(extraction_id, reason)
