from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from quancheng.compliance.traceability import build, markdown


class Command(BaseCommand):
    help = "Write docs/traceability.md: articles → rules and features → tests."

    def add_arguments(self, parser):
        default = Path(settings.BASE_DIR) / "docs" / "traceability.md"
        parser.add_argument("--output", default=str(default), help="where to write (- for stdout)")

    def handle(self, *args, output, **options):
        rows = build()
        text = markdown(rows)
        if output == "-":
            self.stdout.write(text)
            return
        Path(output).write_text(text, encoding="utf-8")
        uncovered = [r.label for r in rows if r.behaviour and not r.covered]
        self.stdout.write(f"wrote {output}; uncovered: {'、'.join(uncovered) or 'none'}")
