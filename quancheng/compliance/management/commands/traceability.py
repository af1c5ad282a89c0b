from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quancheng.compliance.traceability import build, markdown

DEFAULT = Path(settings.BASE_DIR) / "docs" / "traceability.md"


class Command(BaseCommand):
    help = (
        "docs/traceability.md from the scenario book: articles → scenarios, rules and features. "
        "Prints it; --write writes it, --check fails when the file is stale."
    )

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="write docs/traceability.md")
        parser.add_argument("--check", action="store_true", help="fail when the file is stale")
        parser.add_argument("--output", default=None, help="write to this path instead")

    def handle(self, *args, write, check, output, **options):
        rows = build()
        text = markdown(rows)
        target = Path(output) if output else DEFAULT
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                raise CommandError(
                    f"{target} is stale: run `manage.py traceability --write` and commit it"
                )
            self.stdout.write(f"{target} is current")
            return
        if not (write or output):
            self.stdout.write(text)
            return
        target.write_text(text, encoding="utf-8")
        uncovered = [r.label for r in rows if r.behaviour and not r.covered]
        scenarios = sum(len(r.scenarios) for r in rows)
        self.stdout.write(
            f"wrote {target}: {scenarios} scenarios; uncovered: {'、'.join(uncovered) or 'none'}"
        )
