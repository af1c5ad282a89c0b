from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from quancheng.documents.catalogue import BUNDLED, load_catalogue


class Command(BaseCommand):
    help = "Load the document catalogue (文书目录): types, fields, signers, act kinds."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=BUNDLED)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite types already present (edits made in the admin are lost)",
        )

    def handle(self, *args, path, replace, **options):
        try:
            result = load_catalogue(path, replace=replace)
        except (OSError, ValueError, KeyError) as e:
            raise CommandError(f"{path}: {e}") from e
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from e
        self.stdout.write(
            f"document types: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged"
        )
