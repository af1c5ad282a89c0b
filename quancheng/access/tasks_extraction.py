"""Background work of the access app, queued through Django's Tasks API (django-tasks)."""

from django_tasks import task


@task()
def produce_extraction_package(extraction_id: int) -> str:
    """Make the export package of an approved extraction (access/package.py); its status."""
    from .package import produce

    extraction = produce(extraction_id)
    return extraction.status if extraction else "skipped"
