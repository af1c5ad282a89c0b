import logging
import signal
from threading import Event

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from quancheng.scheduler.scheduler import enqueue_due, seconds_until_next

log = logging.getLogger(__name__)
set_handler = signal.signal  # replaced in tests

MAX_SLEEP = 60.0  # look again at least this often (a changed table, a clock jump)


class Command(BaseCommand):
    help = (
        "Enqueue periodic tasks (fixity sweep, ledger checkpoint) when due, for db_worker to run. "
        "Intervals: QC_FIXITY_INTERVAL, QC_CHECKPOINT_INTERVAL (seconds, 0 = off)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="enqueue what is due now and exit (for cron)"
        )

    def handle(self, *args, once, **options):
        if once:
            for name in enqueue_due():
                self.stdout.write(f"enqueued {name}")
            return
        stop = Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            set_handler(sig, lambda *_: stop.set())
        self.stdout.write("scheduler started")
        while not stop.is_set():
            try:
                for name in enqueue_due():
                    self.stdout.write(f"enqueued {name}")
                wait = seconds_until_next()
            except Exception:  # a database hiccup must not end the scheduler
                log.exception("scheduler: enqueueing failed; retrying")
                wait = MAX_SLEEP
            finally:
                close_old_connections()
            stop.wait(MAX_SLEEP if wait is None else min(max(wait, 1.0), MAX_SLEEP))
        self.stdout.write("scheduler stopped")
