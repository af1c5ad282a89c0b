"""Run the ledger's integrator (docs/ledger.md): binds staged events into the chain and tree.

Any number may run (on any machine with the database): one holds the ``ledger.integrator``
lease and works, the others stand by and take over within a lease period when it dies. SIGTERM
or SIGINT stops it cleanly and gives the lease up.
"""

import signal

from django.core.management.base import BaseCommand

from quancheng.ledger.integrator import Integrator


class Command(BaseCommand):
    help = "Integrate staged ledger events (seq, chain, Merkle tree) as the single integrator."

    def add_arguments(self, parser):
        parser.add_argument(
            "--until-idle",
            action="store_true",
            help="stop once nothing is staged (after taking the lease, waiting for it if held)",
        )
        parser.add_argument(
            "--interval", type=float, default=None, help="seconds between polls when idle"
        )

    def handle(self, *args, until_idle=False, interval=None, **options):
        integrator = Integrator(interval=interval)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: integrator.stop())
        integrator.run(until_idle=until_idle)
        self.stdout.write(f"integrated {integrator.integrated} events as {integrator.holder}")
