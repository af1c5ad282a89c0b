from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quancheng.operations.backup import BackupError, make_backup


class Command(BaseCommand):
    help = (
        "Back up the installation into DEST: a consistent copy of the database (SQLite's online "
        "backup API or pg_dump), the var directory's keys and settings, and the blobs not yet "
        "in DEST. The ledger's signing key is not included (docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", type=Path)
        parser.add_argument(
            "--listing-only",
            action="store_true",
            help="list the blobs without copying them (an S3 store replicated on its own)",
        )

    def handle(self, *args, dest, listing_only, **options):
        try:
            manifest = make_backup(dest, copy_blobs=not listing_only)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"backup written to {manifest['path']}")
        self.stdout.write(
            f"database: {manifest['database']}, ledger events: {manifest['ledger_size']}"
        )
        self.stdout.write(f"blobs: {manifest['blobs']}, copied now: {manifest['blobs_copied']}")
