from django.core.management.base import BaseCommand
from django.db.models import Q

from quancheng.content.models import ScanReading
from quancheng.content.scans import read_scan
from quancheng.content.tasks import read_document_scan
from quancheng.records.models import Document


class Command(BaseCommand):
    help = (
        "Read the number and written times of scanned documents never read or still pending (or "
        "of the given ids, again with --force; a confirmed reading is never replaced); now, or "
        "queued for the worker (--queue)."
    )

    def add_arguments(self, parser):
        parser.add_argument("document_ids", nargs="*", type=int, help="documents (default: unread)")
        parser.add_argument("--queue", action="store_true", help="enqueue for the worker")
        parser.add_argument("--force", action="store_true", help="read again even if read")

    def handle(self, *args, document_ids, queue, force, **options):
        if document_ids:
            documents = Document.objects.filter(pk__in=document_ids)
        else:
            documents = Document.objects.exclude(source=Document.Source.GENERATED).filter(
                Q(scan_reading__isnull=True) | Q(scan_reading__status=ScanReading.Status.PENDING)
            )
        ids = list(documents.order_by("pk").values_list("pk", flat=True))
        for pk in ids:
            if queue:
                result = read_document_scan.enqueue(pk)
                self.stdout.write(f"document {pk}: queued task {result.id}")
                continue
            reading = read_scan(pk, force=force)
            status = reading.get_status_display() if reading else "含文字的 PDF，不是扫描件"
            self.stdout.write(f"document {pk}: {status}")
        self.stdout.write(f"{len(ids)} document(s)")
