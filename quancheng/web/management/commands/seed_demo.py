from django.core.management import call_command
from django.core.management.base import BaseCommand

from quancheng.demo import demo_logins, seed_demo
from quancheng.orgs.models import User


class Command(BaseCommand):
    help = "Load the organisation and demo data when the database has no users yet."

    def add_arguments(self, parser):
        parser.add_argument("--print-logins", action="store_true")

    def handle(self, *args, print_logins, **options):
        if User.objects.exists():
            self.stdout.write("database already has users: demo data not loaded")
        else:
            seed_demo()
            self.stdout.write("demo data loaded")
        call_command("load_data_kinds", stdout=self.stdout)
        call_command("load_document_catalogue", stdout=self.stdout)
        call_command("make_demo_ca", stdout=self.stdout)
        if print_logins:
            self.stdout.write("demo logins (username / password):")
            for username, who, password in demo_logins():
                self.stdout.write(f"  {username:<10} {password}   {who}")
