from django.core.management.base import BaseCommand

from quancheng.archive.retention import recompute_all


class Command(BaseCommand):
    help = (
        "Recompute every record item's retention (保管期限) and extend the store's retain-until "
        "dates and legal holds to match (also run daily by the scheduler)."
    )

    def handle(self, *args, **options):
        changed = recompute_all()
        self.stdout.write(f"retention recomputed: {changed} item(s) changed")
