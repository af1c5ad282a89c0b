from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quancheng.operations.backup import BackupError, latest_backup, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into this empty installation, then verify "
        "the whole ledger and run a fixity sweep. Exit status 1 when either finds a problem."
    )
    requires_system_checks = []  # nothing may touch the database before it is restored

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="the DEST given to backup")
        parser.add_argument("--backup", help="which backup-<time> folder (default: the latest)")
        parser.add_argument(
            "--signing-key", type=Path, help="the ledger signing key, kept apart from the data"
        )

    def handle(self, *args, source, backup, signing_key, **options):
        try:
            chosen = source / backup if backup else latest_backup(source)
            result = restore(source, chosen, signing_key)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"restored {result.backup}: {result.blobs} blobs put back")
        self.stdout.write(f"ledger: {result.ledger_summary}")
        self.stdout.write(f"fixity sweep: {result.fixity_problems} problem(s)")
        if not result.ledger_ok or result.fixity_problems:
            raise CommandError("verification after restore failed", returncode=1)
        self.stdout.write(self.style.SUCCESS("OK: restored and verified"))
