from django.core.management.base import BaseCommand
from django.db.models import Q

from quancheng.content.models import OsdReading
from quancheng.content.osd import read_osd
from quancheng.content.tasks import read_segment_osd
from quancheng.records.models import Segment


class Command(BaseCommand):
    help = (
        "Read the picture's clock (burned-in OSD) of video segments never read or still pending "
        "(or of the given ids, again with --force); now, or queued for the worker (--queue)."
    )

    def add_arguments(self, parser):
        parser.add_argument("segment_ids", nargs="*", type=int, help="segments (default: unread)")
        parser.add_argument("--queue", action="store_true", help="enqueue for the worker")
        parser.add_argument("--force", action="store_true", help="read again even if read")

    def handle(self, *args, segment_ids, queue, force, **options):
        if segment_ids:
            segments = Segment.objects.filter(pk__in=segment_ids)
        else:
            segments = Segment.objects.filter(
                media_kind=Segment.MediaKind.VIDEO, readable=True
            ).filter(Q(osd_reading__isnull=True) | Q(osd_reading__status=OsdReading.Status.PENDING))
        ids = list(segments.order_by("pk").values_list("pk", flat=True))
        for pk in ids:
            if queue:
                result = read_segment_osd.enqueue(pk)
                self.stdout.write(f"segment {pk}: queued task {result.id}")
                continue
            reading = read_osd(pk, force=force)
            self.stdout.write(f"segment {pk}: {reading.get_status_display()}")
        self.stdout.write(f"{len(ids)} segment(s)")
