"""``manage.py db_worker``: django-tasks-db's worker, with leases (quancheng/jobs/worker.py)."""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from quancheng.jobs.worker import LeasedWorker


class Command(db_worker.Command):
    help = (
        "Run a database background worker; a task whose worker dies is run again "
        "(QC_JOB_MAX_ATTEMPTS) once its lease (QC_JOB_LEASE_SECONDS) has run out."
    )

    def handle(self, *, verbosity, queue_name, exclude_queues, reload, batch, **options):
        # The library's handle() with our worker class (it names its own Worker directly).
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise db_worker.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
            return
        worker.configure_signals()
        worker.run()
