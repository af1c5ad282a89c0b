from django.core.management.base import BaseCommand

from quancheng.ledger.checkpoints import verifier_key
from quancheng.ledger.tasks import make_ledger_checkpoint


class Command(BaseCommand):
    help = "Sign a checkpoint of the ledger's Merkle tree now, or queue it (--queue)."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="enqueue for the worker")
        parser.add_argument(
            "--show-key", action="store_true", help="print the verifier key and do nothing else"
        )

    def handle(self, *args, queue, show_key, **options):
        if show_key:
            self.stdout.write(verifier_key())
            return
        if queue:
            result = make_ledger_checkpoint.enqueue()
            self.stdout.write(f"queued task {result.id}")
            return
        size = make_ledger_checkpoint.call()
        if size is None:
            self.stdout.write("no new events since the last checkpoint")
        else:
            self.stdout.write(f"checkpoint signed at tree size {size}")
