"""Periodic tasks: Django's Tasks API has none, so a small scheduler enqueues them.

``settings.QC_SCHEDULE`` maps a job name to ``(dotted path of a django-tasks task, interval in
seconds)``. :func:`enqueue_due` enqueues every job whose interval has passed since it was last
enqueued. The time of that is kept in :class:`~quancheng.scheduler.models.ScheduledJob`, so a
restarted scheduler does not enqueue everything again, and each job is decided under a row lock
in the same transaction as the enqueue (the database queue lives in the same database), so two
schedulers never enqueue a job twice for one interval.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ScheduledJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    interval: dt.timedelta


def configured_jobs() -> list[Job]:
    """The enabled jobs of ``QC_SCHEDULE`` (interval 0 switches one off)."""
    jobs = []
    for name, (task, seconds) in settings.QC_SCHEDULE.items():
        if seconds < 0:
            raise ValueError(f"interval of {name} must be >= 0, not {seconds}")
        if seconds:
            jobs.append(Job(name, task, dt.timedelta(seconds=seconds)))
    return jobs


def _due(row: ScheduledJob, job: Job, now: dt.datetime) -> bool:
    return row.last_enqueued_at is None or now - row.last_enqueued_at >= job.interval


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue the jobs that are due; the names of those enqueued."""
    now = now or timezone.now()
    jobs = configured_jobs()
    # Rows exist before anyone locks them, so that two schedulers lock the same row.
    ScheduledJob.objects.bulk_create(
        [ScheduledJob(name=job.name, task=job.task) for job in jobs], ignore_conflicts=True
    )
    enqueued = []
    for job in jobs:
        with transaction.atomic(durable=True):
            row = ScheduledJob.objects.select_for_update().get(name=job.name)
            if not _due(row, job, now):
                continue
            result = import_string(job.task).enqueue()
            row.task = job.task
            row.last_enqueued_at = now
            row.last_task_id = str(result.id)
            row.save(update_fields=["task", "last_enqueued_at", "last_task_id"])
        log.info("scheduler: enqueued %s as task %s", job.name, result.id)
        enqueued.append(job.name)
    return enqueued


def seconds_until_next(now: dt.datetime | None = None) -> float | None:
    """How long until the next job is due (0 if one is due now); None when no job is enabled."""
    now = now or timezone.now()
    jobs = configured_jobs()
    if not jobs:
        return None
    last = dict(ScheduledJob.objects.values_list("name", "last_enqueued_at"))
    waits = []
    for job in jobs:
        then = last.get(job.name)
        waits.append(0.0 if then is None else (then + job.interval - now).total_seconds())
    return max(0.0, min(waits))
