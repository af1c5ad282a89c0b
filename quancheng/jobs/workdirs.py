"""Temporary folders of background work, removed on success, on failure and after a crash.

A job's folder lives under ``VAR_DIR/tmp`` (not /tmp, which may be a small tmpfs) and carries the
id of the task that made it, so that a worker starting up (or reaping a dead worker's task) can
tell which folders no live job owns: those of tasks that are not running under a live lease.
Folders made outside a worker (a command, a test) carry no id and are removed once a day old.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .leases import current_job

log = logging.getLogger(__name__)

JOB_TAG = re.compile(r"-job-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-")
ORPHAN_AGE = dt.timedelta(days=1)  # no command or request runs that long


def tmp_root() -> Path:
    return Path(settings.VAR_DIR) / "tmp"


@contextlib.contextmanager
def work_dir(prefix: str) -> Iterator[Path]:
    """A private temporary folder for the current job, removed when the block ends."""
    base = tmp_root()
    base.mkdir(parents=True, exist_ok=True)
    job = current_job()
    tag = f"{prefix}-job-{job.task_id}-" if job else f"{prefix}-"
    path = Path(tempfile.mkdtemp(prefix=tag, dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _live_tasks() -> set[str]:
    running = DBTaskResult.objects.running().filter(lease__expires_at__gte=timezone.now())
    return {str(pk) for pk in running.values_list("pk", flat=True)}


def remove_abandoned() -> list[Path]:
    """Remove the work folders no live job owns; the folders removed."""
    base = tmp_root()
    if not base.is_dir():
        return []
    live = _live_tasks()
    removed = []
    for path in base.iterdir():
        if not path.is_dir():
            continue
        match = JOB_TAG.search(path.name)
        if match:
            abandoned = match.group(1) not in live
        else:
            abandoned = time.time() - path.stat().st_mtime > ORPHAN_AGE.total_seconds()
        if abandoned:
            shutil.rmtree(path, ignore_errors=True)
            log.warning("removed the abandoned work folder %s", path)
            removed.append(path)
    return removed
