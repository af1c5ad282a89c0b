"""Background work of content analysis (django-tasks; run by ``manage.py db_worker``)."""

from django_tasks import task

from quancheng.jobs.leases import when_abandoned

from .osd import read_osd, reading_abandoned
from .scans import read_scan, scan_abandoned


@task()
def read_segment_osd(segment_id: int) -> str:
    """The picture's clock and numbers of one segment (content/osd.py); its status."""
    return read_osd(segment_id).status


@when_abandoned(read_segment_osd)
def _osd_abandoned(reason: str, segment_id: int) -> None:
    reading_abandoned(segment_id, reason)


@task()
def read_document_scan(document_id: int) -> str:
    """The number and written times of one scanned document (content/scans.py); its status
    (``not_a_scan`` for a PDF with text, which is not read)."""
    reading = read_scan(document_id)
    return reading.status if reading is not None else "not_a_scan"


@when_abandoned(read_document_scan)
def _scan_abandoned(reason: str, document_id: int) -> None:
    scan_abandoned(document_id, reason)
