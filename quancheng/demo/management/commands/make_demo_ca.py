from django.core.management.base import BaseCommand, CommandError

from quancheng.demo.ca import demo_ca_dir, make_demo_certificates
from quancheng.orgs.models import Agency


class Command(BaseCommand):
    help = (
        "Make a demo CA (trusted by this platform only) and a signing certificate for each "
        "enforcement agency, or the agencies named, that has none. Not for production."
    )

    def add_arguments(self, parser):
        parser.add_argument("agencies", nargs="*", help="agency codes (default: all enforcement)")

    def handle(self, *args, agencies, **options):
        selected = None
        if agencies:
            selected = list(Agency.objects.filter(code__in=agencies))
            unknown = set(agencies) - {a.code for a in selected}
            if unknown:
                raise CommandError(f"unknown agency: {', '.join(sorted(unknown))}")
        made = make_demo_certificates(None, selected)
        self.stdout.write(f"demo CA in {demo_ca_dir()}; {len(made)} agency certificates made")
