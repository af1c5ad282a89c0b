from django.core.management.base import BaseCommand, CommandError

from quancheng.witness.config import own_witness_vkey
from quancheng.witness.models import Submission
from quancheng.witness.submission import submit_latest
from quancheng.witness.tasks import submit_to_witnesses


class Command(BaseCommand):
    help = "Send the latest checkpoint to the witnesses in QC_WITNESSES, or queue it (--queue)."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="enqueue for the worker")
        parser.add_argument(
            "--show-key",
            action="store_true",
            help="print this instance's own witness vkey and do nothing else",
        )

    def handle(self, *args, queue, show_key, **options):
        if show_key:
            self.stdout.write(own_witness_vkey())
            return
        if queue:
            result = submit_to_witnesses.enqueue()
            self.stdout.write(f"queued task {result.id}")
            return
        submissions = submit_latest()
        if not submissions:
            self.stdout.write("nothing to submit")
        for s in submissions:
            self.stdout.write(
                f"{s.witness_name}: size {s.checkpoint.size} {s.outcome} ({s.status}) {s.message}"
            )
        if any(s.outcome != Submission.Outcome.COSIGNED for s in submissions):
            raise CommandError("not every witness cosigned the latest checkpoint")
