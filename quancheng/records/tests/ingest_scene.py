"""The scene of the ingest tests: a day a week ago in 渝中区, its acts, cameras and segments."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from django.utils import timezone

from quancheng.cases.services import create_act
from quancheng.lib.blobstore import BlobInfo
from quancheng.orgs.services import assign_device, create_device, set_device_clock_offset
from quancheng.records.items import create_segment
from quancheng.records.services import register_blob

_serial = itertools.count(1)


def day() -> dt.date:
    """The day of the scene: a week ago, so that certificates (valid ±1 year) cover it."""
    return timezone.localdate() - dt.timedelta(days=7)


def bj(hour: int, minute: int = 0, second: int = 0, on: dt.date | None = None) -> dt.datetime:
    """A Beijing time on the scene's day, aware."""
    return dt.datetime.combine(
        on or day(), dt.time(hour, minute, second), tzinfo=timezone.get_current_timezone()
    )


def stamp(moment: dt.datetime) -> str:
    """YYYYMMDDhhmmss in Beijing time, as cameras write it into file names."""
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S")


def make_act(actor, agency, officers, subject, start, minutes=30, kind="inspection"):
    return create_act(
        actor,
        agency,
        officers,
        kind=kind,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
        place=subject.address,
        subject=subject,
    )


def camera(actor, agency, serial, officer=None, clock_offset=0):
    device = create_device(actor, agency=agency, kind="body_camera", serial_number=serial)
    if officer is not None:
        assign_device(actor, device, officer, day() - dt.timedelta(days=30))
    if clock_offset:
        set_device_clock_offset(actor, device, clock_offset)
    return device


def make_segment(actor, agency, start=None, seconds=60, officer=None, device=None, **fields):
    """A segment as ingest would create it, over a blob row (no bytes needed for these tests)."""
    sha = hashlib.sha256(f"segment-{next(_serial)}".encode()).hexdigest()
    blob = register_blob(BlobInfo(sha256=sha, size=1000, created=True), agency)
    end = start + dt.timedelta(seconds=seconds) if start else None
    return create_segment(
        actor,
        agency=agency,
        blob=blob,
        source="ingest",
        officer=officer,
        device=device,
        started_at=start,
        ended_at=end,
        device_started_at=start,
        duration_seconds=seconds if start else None,
        original_filename=f"clip-{sha[:6]}.MP4",
        **fields,
    )
