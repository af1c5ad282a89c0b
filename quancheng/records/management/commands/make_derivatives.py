from django.core.management.base import BaseCommand

from quancheng.records.media import make_derivatives
from quancheng.records.models import Segment
from quancheng.records.tasks import make_segment_derivatives


class Command(BaseCommand):
    help = (
        "Make thumbnails and browser proxies of segments still pending (or of the given ids, "
        "again with --force); now, or queued for the worker (--queue)."
    )

    def add_arguments(self, parser):
        parser.add_argument("segment_ids", nargs="*", type=int, help="segments (default: pending)")
        parser.add_argument("--queue", action="store_true", help="enqueue for the worker")
        parser.add_argument("--force", action="store_true", help="remake even if already made")

    def handle(self, *args, segment_ids, queue, force, **options):
        if segment_ids:
            ids = list(Segment.objects.filter(pk__in=segment_ids).values_list("pk", flat=True))
        else:
            pending = Segment.objects.filter(media_status=Segment.MediaStatus.PENDING)
            ids = list(pending.order_by("pk").values_list("pk", flat=True))
        for pk in ids:
            if queue:
                result = make_segment_derivatives.enqueue(pk)
                self.stdout.write(f"segment {pk}: queued task {result.id}")
                continue
            segment = make_derivatives(pk, force=force)
            self.stdout.write(f"segment {pk}: {segment.get_media_status_display()}")
        self.stdout.write(f"{len(ids)} segment(s)")
