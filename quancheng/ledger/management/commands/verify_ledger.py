from django.core.management.base import BaseCommand, CommandError

from quancheng.ledger.tasks import verify_ledger_chain


class Command(BaseCommand):
    help = "Re-verify the ledger's hash chain now, or queue it for the worker (--queue)."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="enqueue for the worker")

    def handle(self, *args, queue, **options):
        if queue:
            result = verify_ledger_chain.enqueue()
            self.stdout.write(f"queued task {result.id}")
            return
        first_bad = verify_ledger_chain.call()
        if first_bad is not None:
            raise CommandError(f"ledger chain broken at event #{first_bad}")
        self.stdout.write("ledger chain intact")
