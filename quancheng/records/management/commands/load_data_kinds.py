from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from quancheng.records.datakinds import BUNDLED, load_data_kinds


class Command(BaseCommand):
    help = "Load kinds of terminal data (电子数据种类) and their JSON Schemas from a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=BUNDLED)

    def handle(self, *args, path, **options):
        try:
            result = load_data_kinds(path)
        except (OSError, ValueError, KeyError) as e:
            raise CommandError(f"{path}: {e}") from e
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from e
        self.stdout.write(
            f"data kinds: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged"
        )
