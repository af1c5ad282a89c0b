import datetime as dt
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quancheng.demo.clock import at, local
from quancheng.orgs.models import User


class Command(BaseCommand):
    help = (
        "Load the demo into a database without users: by default one district's year "
        "(quancheng/demo/year.py), with --small the small set the tests use."
    )

    def add_arguments(self, parser):
        parser.add_argument("--print-logins", action="store_true")
        parser.add_argument("--small", action="store_true", help="the small set (tests)")
        parser.add_argument("--today", help="the demo's today, YYYY-MM-DD (default: today)")
        parser.add_argument("--acts", type=int, default=300, help="acts in the year (300)")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, print_logins, small, today, acts, seed, **options):
        from quancheng.demo.small import demo_logins

        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError as e:
                raise CommandError(f"--today: not a date (YYYY-MM-DD): {today}") from e
        if User.objects.exists():
            self.stdout.write("database already has users: demo data not loaded")
        elif small:
            from quancheng.demo.small import seed_small

            seed_small(day)
            self.stdout.write("demo data loaded (small set)")
        else:
            from quancheng.demo.year import seed_year

            began = time.monotonic()
            summary = seed_year(day, acts=acts, seed=seed, say=self.stdout.write)
            self.stdout.write(
                f"demo data loaded: {summary.acts} acts, {summary.cases} cases, "
                f"{summary.segments} recordings, {summary.documents} documents, "
                f"{summary.findings} findings, {summary.dossiers} sealed dossiers, "
                f"waiting for the head: {'、'.join(summary.pending) or '—'} "
                f"({time.monotonic() - began:.0f} s)"
            )
        # Reference data and the other agencies' demo certificates (idempotent), as of the
        # demo's today.
        with at(timezone.now() if day is None else local(day, 9, 30)):
            call_command("load_data_kinds", stdout=self.stdout)
            call_command("load_document_catalogue", stdout=self.stdout)
            call_command("make_demo_ca", stdout=self.stdout)
        if print_logins:
            self.stdout.write("demo logins (username / password):")
            for username, who, password in demo_logins():
                self.stdout.write(f"  {username:<10} {password}   {who}")
