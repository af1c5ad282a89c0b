from django.core.management.base import BaseCommand, CommandError

from quancheng.ledger.tasks import verify_whole_ledger
from quancheng.ledger.verify import record_verification, verify_ledger


class Command(BaseCommand):
    help = (
        "Re-verify the whole ledger (hash chain, Merkle tree, every signed checkpoint) now, or "
        "queue it for the worker (--queue). Exit status 1 when anything is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="enqueue for the worker")
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="only report: write no ledger.verified event and raise no alert",
        )

    def handle(self, *args, queue, no_record, **options):
        if queue:
            result = verify_whole_ledger.enqueue()
            self.stdout.write(f"queued task {result.id}")
            return
        report = verify_ledger(progress=self._progress)
        self.stderr.write("")
        if not no_record:
            record_verification(report)
        self.stdout.write(f"events verified:      {report.size}")
        self.stdout.write(f"checkpoints verified: {report.checkpoints}")
        self.stdout.write(f"verifier key:         {report.verifier_key}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("OK: ledger intact"))
            return
        self.stdout.write(self.style.ERROR(f"FAILED: {len(report.problems)} problem(s)"))
        self.stdout.write(f"first bad seq:        {report.first_bad_seq}")
        for problem in report.problems:
            self.stdout.write(f"  [{problem.kind}] {problem.location()}: {problem.message}")
        if report.truncated:
            self.stdout.write("  … more problems not listed")
        raise CommandError(report.summary(), returncode=1)

    def _progress(self, done: int, total: int) -> None:
        self.stderr.write(f"\rverifying events: {done}/{total}", ending="")
        self.stderr.flush()
