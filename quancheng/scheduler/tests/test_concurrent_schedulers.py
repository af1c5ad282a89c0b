"""Two schedulers racing on PostgreSQL: the row lock lets each job be enqueued once."""

import threading

import pytest
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from quancheng.scheduler.scheduler import enqueue_due

SCHEDULERS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_schedulers_enqueue_each_job_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("parallel schedulers need PostgreSQL (SQLite serialises writers itself)")
    settings.QC_SCHEDULE = {
        "fixity_sweep": ("quancheng.fixity.tasks.run_fixity_sweep", 86400),
        "ledger_checkpoint": ("quancheng.ledger.tasks.make_ledger_checkpoint", 3600),
    }
    start = threading.Barrier(SCHEDULERS)
    enqueued, failures = [], []

    def schedule():
        try:
            start.wait()
            enqueued.extend(enqueue_due())
        except Exception as e:
            failures.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=schedule) for _ in range(SCHEDULERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(enqueued) == ["fixity_sweep", "ledger_checkpoint"]
    assert DBTaskResult.objects.count() == 2
