"""Leases on background jobs: a job whose worker died runs again, or fails visibly.

django-tasks-db claims a task by marking it RUNNING in the worker's transaction and has no notion
of a stale claim: a worker killed in the middle of a task leaves it RUNNING for ever, and the
object it was working on (an extraction "approved, 25%") with it. On top of that claim, every task
our worker runs (jobs/worker.py) holds a :class:`~quancheng.jobs.models.JobLease`:

1. taking: when the worker starts the task, the lease names the worker, expires after
   ``QC_JOB_LEASE_SECONDS`` and counts the attempt;
2. heartbeat: a thread of the worker renews it four times per lease period while the task runs;
3. reaping: every worker, when it starts and with each heartbeat, looks for running tasks whose
   lease ran out (or which never got one within a lease period). Each goes back to the queue
   (``job.retried``) while attempts remain (``QC_JOB_MAX_ATTEMPTS``), so that a worker runs it
   again from the start; after the last it is marked failed with the reason (``job.failed``) and
   the task's abandonment hook (:func:`when_abandoned`) shows the failure on its own object, where
   the person who asked for it may retry (an extraction becomes 制作失败 for its head).

Tasks are therefore written to be run again from the start: each either finishes what an earlier
attempt began (fixity sweeps resume from their cursor; evaluations and derivatives are idempotent)
or starts over (an extraction's package is rebuilt; the earlier attempt's temporary files are
removed by :mod:`quancheng.jobs.workdirs`).

A lease detects a dead worker, not a slow one: a worker that is alive keeps its lease however
long its task takes.

Leases on singleton roles (the ledger's integrator, which every worker runs as a thread) are the
ledger's own: quancheng.ledger.leases.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event

from .models import JobLease

log = logging.getLogger(__name__)


class WorkerLost(Exception):
    """Recorded as a task's exception when its worker died and no attempt was left."""


@dataclass(frozen=True)
class Job:
    """The task the current worker thread runs, and which attempt this is (1 = first)."""

    task_id: str
    attempt: int


_current: ContextVar[Job | None] = ContextVar("quancheng_job", default=None)
_abandon_hooks: dict[str, Callable[..., None]] = {}


def current_job() -> Job | None:
    """The job being run here, or None outside a worker (tests, commands, the immediate
    backend)."""
    return _current.get()


def lease_duration() -> dt.timedelta:
    return dt.timedelta(seconds=settings.QC_JOB_LEASE_SECONDS)


def heartbeat_interval() -> float:
    return settings.QC_JOB_LEASE_SECONDS / 4


def when_abandoned(task) -> Callable:
    """Register ``hook(reason, *args, **kwargs)``, called with a task's arguments when the task
    is given up after its last attempt, in the transaction that marks it failed."""

    def register(hook: Callable[..., None]) -> Callable[..., None]:
        _abandon_hooks[task.module_path] = hook
        return hook

    return register


# --- the worker's side ------------------------------------------------------------------------


def take(result: DBTaskResult, worker_id: str) -> Job:
    """Lease a task the worker has just claimed; the job with its attempt number."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        lease, _ = JobLease.objects.select_for_update().get_or_create(task=result)
        lease.attempts += 1
        lease.worker_id = worker_id
        lease.heartbeat_at = now
        lease.expires_at = now + lease_duration()
        lease.save()
    return Job(str(result.pk), lease.attempts)


def renew(task_id: str, worker_id: str) -> bool:
    """The heartbeat: extend the worker's lease; False if the lease is no longer its own."""
    now = timezone.now()
    return bool(
        JobLease.objects.filter(task_id=task_id, worker_id=worker_id).update(  # type: ignore[misc]  # task ids are UUID strings
            heartbeat_at=now, expires_at=now + lease_duration()
        )
    )


def release(task_id: str, worker_id: str) -> None:
    """The task has ended (succeeded or failed): nothing to reap any more."""
    JobLease.objects.filter(task_id=task_id, worker_id=worker_id).update(  # type: ignore[misc]  # task ids are UUID strings
        expires_at=None
    )


# --- reaping ----------------------------------------------------------------------------------


def stale_tasks(now: dt.datetime | None = None):
    """Running tasks whose worker is gone: the lease ran out, or the task was claimed more than
    a lease period ago and never leased (the worker died between the two)."""
    now = now or timezone.now()
    return DBTaskResult.objects.running().filter(
        Q(lease__expires_at__lt=now)
        | Q(lease__expires_at__isnull=True, started_at__lt=now - lease_duration())
    )


def reap(now: dt.datetime | None = None) -> dict[str, str]:
    """Retry or give up every stale task; ``{task id: "retried" | "failed"}``."""
    now = now or timezone.now()
    outcomes = {}
    for pk in list(stale_tasks(now).values_list("pk", flat=True)):
        outcome = _reap_one(pk, now)
        if outcome:
            outcomes[str(pk)] = outcome
    return outcomes


def _reap_one(pk, now: dt.datetime) -> str | None:
    with transaction.atomic(durable=True):
        # Another worker may be reaping the same task: the first to lock it decides.
        result = (
            stale_tasks(now).select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()
        )
        if result is None:
            return None
        lease, _ = JobLease.objects.select_for_update().get_or_create(task=result)
        lease.attempts = max(lease.attempts, 1)
        worker = lease.worker_id or (result.worker_ids[-1] if result.worker_ids else "?")
        reason = f"后台作业的工作进程（{worker}）在第{lease.attempts}次执行中失联"
        lease.last_error = reason
        lease.worker_id = ""
        lease.expires_at = None
        lease.save()
        body = {
            "task": result.task_path,
            "attempt": lease.attempts,
            "max_attempts": settings.QC_JOB_MAX_ATTEMPTS,
            "worker": worker,
        }
        if lease.attempts < settings.QC_JOB_MAX_ATTEMPTS:
            result.status = TaskResultStatus.READY
            result.save(update_fields=["status"])
            record_event(None, Action.JOB_RETRIED, None, body, object_type="job", object_id=str(pk))
            log.warning("job %s (%s): worker %s lost; queued again", pk, result.task_path, worker)
            return "retried"
        _give_up(result, reason, now)
        record_event(
            None,
            Action.JOB_FAILED,
            None,
            {**body, "reason": reason},
            object_type="job",
            object_id=str(pk),
        )
        log.error("job %s (%s): worker %s lost; given up", pk, result.task_path, worker)
        return "failed"


def _give_up(result: DBTaskResult, reason: str, now: dt.datetime) -> None:
    result.status = TaskResultStatus.FAILED
    result.finished_at = now
    result.return_value = None
    result.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
    result.traceback = reason
    result.save(
        update_fields=["status", "finished_at", "return_value", "exception_class_path", "traceback"]
    )
    try:
        import_string(result.task_path)  # the task's module registers its hook
    except ImportError:
        log.exception("job %s: task %s cannot be imported", result.pk, result.task_path)
        return
    hook = _abandon_hooks.get(result.task_path)
    if hook is not None:
        args = result.args_kwargs or {}
        hook(reason, *args.get("args", []), **args.get("kwargs", {}))
