from pathlib import Path

from django.core.management.base import BaseCommand

from quancheng.orgs.seed import BUNDLED, load_organisation


class Command(BaseCommand):
    help = "Load a city's agencies from JSON (default: the bundled Chongqing organisation)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(BUNDLED))

    def handle(self, *args, path, **options):
        count = load_organisation(Path(path))
        self.stdout.write(f"{count} agencies")
