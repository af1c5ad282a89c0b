"""The fixity sweep: re-hash every registered blob, resumably, in SHA-256 order.

1. Claim a sweep: resume the latest unfinished one (interrupted, failed, or running but silent
   for longer than ``STALE_AFTER``), or start a new one. A sweep that is alive elsewhere is left
   alone, so a scheduled run and an on-demand run never hash the same store twice at once.
2. Walk ``Blob`` rows after the cursor in SHA-256 order. Worker threads (two by default: both
   cores; hashlib releases the GIL while hashing large buffers) read and hash blobs in 256 KiB
   reads, throttled by a shared :class:`~quancheng.fixity.limiter.RateLimiter`. Results are taken
   back in cursor order by the main thread, the only one that touches the database.
3. Every ``batch_size`` results or ``flush_seconds`` (whichever first), one transaction writes
   one ledger event per check (plus alerts for problems) and moves the sweep's cursor and
   counts. A crash therefore loses at most one batch of work, never records a check twice and
   never skips a blob.
4. At the end the sweep is completed; a stop request or Ctrl-C leaves it ``interrupted`` and an
   error ``failed``, both resumable from the cursor.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.lib.blobstore import BlobStore
from quancheng.lib.digestcheck import CHUNK_SIZE, CheckResult, Outcome
from quancheng.records.models import Blob
from quancheng.records.services import blob_store

from .checks import check_blob, record_check
from .limiter import RateLimiter
from .models import HEARTBEAT, FixitySweep

if TYPE_CHECKING:
    from quancheng.orgs.models import User


log = logging.getLogger(__name__)

Status = FixitySweep.Status
UNFINISHED = [Status.RUNNING, Status.INTERRUPTED, Status.FAILED]
PAGE = 1000  # Blob rows fetched per query


class SweepBusy(Exception):
    """Another process is running a sweep right now."""

    def __init__(self, sweep: FixitySweep):
        super().__init__(f"fixity sweep {sweep.pk} is running elsewhere")
        self.sweep = sweep


def _totals() -> tuple[int, int]:
    live = Blob.objects.filter(disposed_at__isnull=True)
    agg = live.aggregate(n=models.Count("sha256"), size=models.Sum("size"))
    return agg["n"] or 0, agg["size"] or 0


def claim_sweep(
    *, resume: bool, trigger: str, user: User | None = None, rate: int = 0
) -> FixitySweep:
    """Resume (``resume=True``) the latest unfinished sweep or start a new one; see step 1."""
    now = timezone.now()
    total_blobs, total_bytes = _totals()
    with transaction.atomic(durable=True):
        unfinished = list(
            FixitySweep.objects.select_for_update()
            .filter(status__in=UNFINISHED)
            .order_by("-started_at", "-pk")
        )
        for sweep in unfinished:
            if sweep.is_live(now):
                raise SweepBusy(sweep)
        resumed = unfinished[0] if resume and unfinished else None
        superseded = [s.pk for s in unfinished if s is not resumed]
        FixitySweep.objects.filter(pk__in=superseded).update(
            status=Status.SUPERSEDED, updated_at=now, finished_at=now
        )
        if resumed is not None:
            sweep = resumed
            sweep.status = Status.RUNNING
            sweep.error = ""
            sweep.rate = rate
            sweep.total_blobs, sweep.total_bytes = total_blobs, total_bytes
            sweep.updated_at = now
            sweep.save()
            action = Action.FIXITY_SWEEP_RESUMED
        else:
            sweep = FixitySweep.objects.create(
                trigger=trigger,
                started_by=user if getattr(user, "is_authenticated", False) else None,
                rate=rate,
                total_blobs=total_blobs,
                total_bytes=total_bytes,
                started_at=now,
                updated_at=now,
            )
            action = Action.FIXITY_SWEEP_STARTED
        record_event(
            user,
            action,
            sweep,
            {
                "trigger": trigger,
                "cursor": sweep.cursor,
                "rate": rate,
                "total_blobs": total_blobs,
                "total_bytes": total_bytes,
                "superseded": superseded,
            },
        )
    return sweep


def _blobs_after(cursor: str):
    """Registered blobs after ``cursor``, in SHA-256 order, a page per query."""
    while True:
        page = list(
            # A blob disposed of with the head's approval is gone on purpose (archive/disposal.py).
            Blob.objects.filter(sha256__gt=cursor, disposed_at__isnull=True)
            .select_related("agency")
            .order_by("sha256")[:PAGE]
        )
        if not page:
            return
        yield from page
        cursor = page[-1].sha256


class _Run:
    """The state of one pass over the blobs (see the module docstring)."""

    def __init__(
        self, sweep, store, *, workers, rate, batch_size, flush_seconds, progress, clock, sleep
    ):
        self.sweep = sweep
        self.store = store
        self.workers = max(1, workers)
        self.limiter = RateLimiter(rate, clock=clock, sleep=sleep)
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.progress = progress
        self.clock = clock
        self.pending: list[tuple[Blob, CheckResult]] = []
        self.last_flush = clock()

    def hash(self, blob: Blob) -> CheckResult:
        return check_blob(
            self.store, blob.sha256, blob.size, limiter=self.limiter, sm3=blob.sm3 or None
        )

    def take(self, blob: Blob, result: CheckResult) -> None:
        self.pending.append((blob, result))
        _count(self.sweep, blob, result)
        if self.progress is not None:
            self.progress(self.sweep)
        if (
            len(self.pending) >= self.batch_size
            or self.clock() - self.last_flush >= self.flush_seconds
        ):
            self.flush()

    def flush(self, **final) -> None:
        """Record the pending checks and move the cursor, in one transaction (step 3)."""
        s = self.sweep
        context = {"sweep": s.pk}
        with transaction.atomic(durable=True):
            for blob, result in self.pending:
                record_check(result, blob, context)
            s.updated_at = timezone.now()
            for field, value in final.items():
                setattr(s, field, value)
            s.save(
                update_fields=[
                    "cursor",
                    "checked",
                    "checked_bytes",
                    "passed",
                    "failed",
                    "missing",
                    "updated_at",
                    *final,
                ]
            )
            if final.get("status") == Status.COMPLETED:
                record_event(None, Action.FIXITY_SWEEP_COMPLETED, s, _summary(s))
        self.pending = []
        self.last_flush = self.clock()

    def heartbeat(self) -> None:
        now = timezone.now()
        FixitySweep.objects.filter(pk=self.sweep.pk).update(updated_at=now)
        self.sweep.updated_at = now

    def wait(self, future: cf.Future) -> CheckResult:
        """The future's result, touching the sweep row while a large blob is being hashed."""
        while True:
            done, _ = cf.wait([future], timeout=HEARTBEAT.total_seconds())
            if done:
                return future.result()
            self.heartbeat()


def _summary(s: FixitySweep) -> dict:
    return {
        "checked": s.checked,
        "checked_bytes": s.checked_bytes,
        "passed": s.passed,
        "failed": s.failed,
        "missing": s.missing,
        "cursor": s.cursor,
    }


def run_sweep(
    *,
    resume: bool = True,
    trigger: str = FixitySweep.Trigger.SCHEDULE,
    user: User | None = None,
    rate: int | None = None,
    store: BlobStore | None = None,
    workers: int = 2,
    batch_size: int = 200,
    flush_seconds: float = 5.0,
    progress: Callable[[FixitySweep], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FixitySweep:
    """Run a sweep to its end (or until ``should_stop()``); returns the sweep row.

    Raises :class:`SweepBusy` when a sweep is alive in another process. ``clock`` and ``sleep``
    drive the rate limiter and the batching (tests pass fakes).
    """
    rate = settings.QC_FIXITY_RATE if rate is None else rate
    sweep = claim_sweep(resume=resume, trigger=trigger, user=user, rate=rate)
    run = _Run(
        sweep,
        store or blob_store(),
        workers=workers,
        rate=rate,
        batch_size=batch_size,
        flush_seconds=flush_seconds,
        progress=progress,
        clock=clock,
        sleep=sleep,
    )
    inflight: collections.deque[tuple[Blob, cf.Future]] = collections.deque()
    executor = cf.ThreadPoolExecutor(max_workers=run.workers, thread_name_prefix="fixity")
    stopped = False
    try:
        for blob in _blobs_after(sweep.cursor):
            if should_stop is not None and should_stop():
                stopped = True
                break
            inflight.append((blob, executor.submit(run.hash, blob)))
            # Keep each thread busy with one blob and one queued, no more (memory, cursor lag).
            while len(inflight) >= 2 * run.workers:
                done_blob, future = inflight.popleft()
                run.take(done_blob, run.wait(future))
        while inflight:
            done_blob, future = inflight.popleft()
            run.take(done_blob, run.wait(future))
    except BaseException as exc:
        # Ctrl-C, a stopped worker or a store error: record what was taken in cursor order;
        # hashes still in flight are dropped and redone on resume (the cursor never skips one).
        executor.shutdown(wait=True, cancel_futures=True)
        interrupted = isinstance(exc, KeyboardInterrupt | SystemExit)
        run.flush(
            status=Status.INTERRUPTED if interrupted else Status.FAILED,
            error="" if interrupted else f"{type(exc).__name__}: {exc}",
        )
        log.warning("fixity sweep %s stopped at %s: %r", sweep.pk, sweep.cursor, exc)
        raise
    executor.shutdown(wait=True)
    if stopped:
        run.flush(status=Status.INTERRUPTED)
    else:
        run.flush(status=Status.COMPLETED, finished_at=timezone.now())
    return sweep


def _count(s: FixitySweep, blob: Blob, result: CheckResult) -> None:
    s.checked += 1
    s.checked_bytes += result.actual_size or 0
    if result.outcome == Outcome.PASS:
        s.passed += 1
    elif result.outcome == Outcome.MISSING:
        s.missing += 1
    else:
        s.failed += 1
    s.cursor = blob.sha256


__all__ = ["CHUNK_SIZE", "SweepBusy", "claim_sweep", "run_sweep"]
