"""django-tasks-db's worker with leases (jobs/leases.py) and temporary-file cleanup.

``manage.py db_worker`` runs this worker (jobs/management/commands/db_worker.py shadows the
library's command; the jobs app comes before django_tasks_db in INSTALLED_APPS). The library's
claim is kept as it is; around it:

1. at start: reap the tasks of dead workers, then remove abandoned work folders and the blob
   store's stale partial writes;
2. for each task: take its lease, run it (the library marks it successful or failed), release;
3. meanwhile a keeper thread renews the current lease and reaps other workers' dead tasks;
4. and an integrator thread stands by for the ledger (quancheng.ledger.integrator): the one
   worker holding the ``ledger.integrator`` lease binds staged events, the others take over
   when it dies (``QC_LEDGER_INTEGRATOR_IN_WORKER``).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from quancheng.ledger.integrator import IntegratorThread
from quancheng.lib.blobstore import blob_store_from_url

from . import leases, workdirs

log = logging.getLogger(__name__)


def recover() -> None:
    """What a worker does before taking work: requeue or fail dead workers' tasks, then remove
    the temporary files crashes left: work folders and the blob store's partial writes."""
    leases.reap()
    workdirs.remove_abandoned()
    try:
        removed = blob_store_from_url(settings.QC_BLOB_STORE).cleanup()
    except Exception:  # an unreachable store must not keep the worker from its queue
        log.exception("cleaning the blob store's partial writes failed")
        return
    if removed:
        log.warning("removed %d partial blob writes older than a day", removed)


class Keeper(threading.Thread):
    """The heartbeat of the running task's lease, and the reaper of other workers' tasks."""

    def __init__(self, worker_id: str):
        super().__init__(name=f"lease-keeper-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.current: str | None = None
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(leases.heartbeat_interval()):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        try:
            task_id = self.current
            if task_id and not leases.renew(task_id, self.worker_id):
                log.error("job %s: the lease of worker %s was lost", task_id, self.worker_id)
            if leases.reap():
                workdirs.remove_abandoned()
        except Exception:  # a database hiccup must not end the heartbeat
            log.exception("lease keeper of worker %s", self.worker_id)

    def stop(self) -> None:
        self.stopped.set()


class LeasedWorker(Worker):
    def run(self) -> None:
        recover()
        self.keeper = Keeper(self.worker_id)
        self.keeper.start()
        integrator = None
        if settings.QC_LEDGER_INTEGRATOR_IN_WORKER:
            integrator = IntegratorThread(self.worker_id)
            integrator.start()
        try:
            super().run()
        finally:
            self.keeper.stop()
            if integrator is not None:
                integrator.stop()
                integrator.join(timeout=30)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        job = leases.take(db_task_result, self.worker_id)
        self.keeper.current = job.task_id
        token = leases._current.set(job)
        try:
            super().run_task(db_task_result)
        finally:
            leases._current.reset(token)
            self.keeper.current = None
            leases.release(job.task_id, self.worker_id)
