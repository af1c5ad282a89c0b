from django.core.management.base import BaseCommand, CommandError

from quancheng.web.capability_doc import doc_path, with_table


class Command(BaseCommand):
    help = "Write the capability table into docs/access.md (--check: fail when it is stale)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only check, write nothing")

    def handle(self, *args, check, **options):
        path = doc_path()
        text = path.read_text(encoding="utf-8")
        wanted = with_table(text)
        if check:
            if wanted != text:
                raise CommandError(f"{path} is stale: run manage.py capability_table")
            self.stdout.write(f"{path} is current")
            return
        path.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"wrote the capability table into {path}")
