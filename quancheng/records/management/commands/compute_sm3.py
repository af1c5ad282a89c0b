from django.core.management.base import BaseCommand

from quancheng.records.sm3 import compute_pending_sm3, pending_blobs


class Command(BaseCommand):
    help = (
        "Compute the SM3 digest of every blob that has none yet (the backfill of blobs stored "
        "before SM3, and what the periodic job does): each one a blob.sm3_computed ledger event."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="at most this many blobs")
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the blobs waiting for SM3"
        )

    def handle(self, *args, limit, dry_run, **options):
        if dry_run:
            self.stdout.write(f"{pending_blobs().count()} blob(s) waiting for SM3")
            return
        counts = compute_pending_sm3(limit=limit)
        self.stdout.write(
            "SM3 computed: {computed}; already done: {already}; "
            "stored bytes altered (left to the fixity sweep): {altered}; missing: {missing}".format(
                **counts
            )
        )
        if counts["altered"] or counts["missing"]:
            self.stderr.write("some blobs could not be hashed: see the fixity page")
