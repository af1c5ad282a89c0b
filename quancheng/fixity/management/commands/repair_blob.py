"""manage.py repair_blob SHA256 FILE [--user USERNAME]: repair a damaged blob from an offline
copy or a backup (quancheng.fixity.repair; docs/fixity.md, "Repair")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quancheng.fixity.repair import repair_blob
from quancheng.orgs.models import User
from quancheng.records.repair import RepairRefused


class Command(BaseCommand):
    help = "Replace a damaged blob's stored copy with a verified genuine copy (FILE)."

    def add_arguments(self, parser):
        parser.add_argument("sha256")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--user", help="the custodian doing the repair (recorded as the event's actor)"
        )
        parser.add_argument(
            "--source", default="", help="where the copy comes from (e.g. 'backup 2026-11-30')"
        )

    def handle(self, sha256, file, user: User | None = None, source="", **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no user {user!r}")
        try:
            repair_blob(actor, sha256.lower(), file, source=source or f"file {file.name}")
        except RepairRefused as e:
            raise CommandError(f"{e.code}: {e.message}") from None
        self.stdout.write(f"repaired {sha256}")
