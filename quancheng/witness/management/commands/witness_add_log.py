from django.core.management.base import BaseCommand, CommandError

from quancheng.lib.note import NoteError
from quancheng.orgs.models import Agency
from quancheng.witness.config import own_witness_vkey
from quancheng.witness.models import WitnessedLog
from quancheng.witness.witnessing import register_log


class Command(BaseCommand):
    help = "Register a log this instance witnesses: its origin and verifier key (vkey)."

    def add_arguments(self, parser):
        parser.add_argument("origin")
        parser.add_argument("vkey", help="the log's verifier key, <origin>+<key id>+<key>")
        parser.add_argument("--agency", help="code of the agency the log belongs to")

    def handle(self, *args, origin, vkey, agency, **options):
        agency_obj = None
        if agency:
            agency_obj = Agency.objects.filter(code=agency).first()
            if agency_obj is None:
                raise CommandError(f"no agency with code {agency!r}")
        if WitnessedLog.objects.filter(origin=origin).exists():
            raise CommandError(f"{origin} is already registered")
        try:
            register_log(None, origin, vkey, agency_obj)
        except NoteError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"witnessing {origin}; this witness's vkey:")
        self.stdout.write(own_witness_vkey())
