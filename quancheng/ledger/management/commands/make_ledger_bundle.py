import shutil

from django.core.management.base import BaseCommand, CommandError

from quancheng.ledger.bundle import BundleError, files_named_in, make_ledger_bundle
from quancheng.ledger.checkpoints import make_checkpoint
from quancheng.ledger.models import Checkpoint, Event


class Command(BaseCommand):
    help = (
        "Write the ledger part of an export bundle (files, events, tlog-proofs, checkpoint, "
        "verifier key) for one object's events, e.g. --object records.upload:<id> --out DIR. "
        "Check it with `python -m quancheng.offline.verify_bundle DIR`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--object",
            action="append",
            dest="objects",
            required=True,
            metavar="TYPE:ID",
            help="an object as app.model:id (repeatable); its events and the blobs they name",
        )
        parser.add_argument("--out", required=True, help="the new bundle folder")
        parser.add_argument(
            "--zip", action="store_true", dest="make_zip", help="also write OUT.zip"
        )

    def handle(self, *args, objects, out, make_zip, **options):
        events = []
        for ref in objects:
            object_type, sep, object_id = ref.partition(":")
            if not sep or not object_type or not object_id:
                raise CommandError(f"--object {ref!r}: expected app.model:id")
            found = list(Event.objects.filter(object_type=object_type, object_id=object_id))
            if not found:
                raise CommandError(f"no ledger events for {ref}")
            events.extend(found)
        latest = Checkpoint.objects.order_by("-size").first()
        if latest is None or latest.size < max(e.seq for e in events):
            checkpoint = make_checkpoint()
            self.stderr.write(f"signed a new checkpoint at tree size {checkpoint.size}")
        single = objects[0].partition(":") if len(objects) == 1 else ("", "", "")
        try:
            path = make_ledger_bundle(
                out,
                events,
                files_named_in(events),
                object_type=single[0],
                object_id=single[2],
            )
        except BundleError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"bundle written to {path}")
        if make_zip:
            archive = shutil.make_archive(str(path), "zip", root_dir=path)
            self.stdout.write(f"zip written to {archive}")
