"""Docking-workstation ingest (采集站导入): a folder of body-camera files becomes segments.

For each regular file under the folder:

1. stream it into the blob store (one pass hashes and stores; never whole in memory);
2. skip it when this agency already has a segment for those bytes (a re-run adds nothing);
3. probe it with PyAV (quancheng.records.probe); an unreadable file is still kept byte for byte,
   as a segment with ``readable=False``, and raised to the custodian;
4. attribute the device (serial from the file's tags, else from its name) and the officer (an
   officer number in the name, else the device's assignment on that day);
5. correct the device's clock by its known offset, keeping both times;
6. create the segment (a ledger event) and associate it with its act (a ledger event when linked).

Hidden files and folders, zero-byte files, symbolic links and anything not a regular file are
reported, not ingested; symbolic links are never followed, so nothing outside the folder is read.
See docs/ingest.md.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import os
import re
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.lib.blobstore.seekable import open_seekable
from quancheng.lib.units import human_size
from quancheng.orgs import capabilities as caps
from quancheng.orgs.devices import _note_devices_docked
from quancheng.orgs.models import Device, DeviceAssignment, Role, User
from quancheng.orgs.scoping import agencies_visible_to

from .association import associate
from .items import _create_segment
from .models import RecordItem, Segment
from .probe import MediaInfo, Unreadable, probe
from .services import blob_store, put_record, register_blob
from .signals import unreadable_file_received

MiB = 1024 * 1024
# A progress line at least every this many bytes of one file.
PROGRESS_EVERY = 256 * MiB
# At most this many skipped files are listed in the run's ledger event.
MAX_SKIPPED_IN_EVENT = 200

Progress = Callable[[str], None]


class IngestError(Exception):
    """The run cannot start (no such folder, actor without agency or rights); message in Chinese."""


@dataclass
class NameInfo:
    """What a camera encoded in a file name."""

    serial: str = ""
    officer: str = ""
    time: dt.datetime | None = None  # aware; the device's clock, read as Beijing time


@dataclass
class FileResult:
    path: str  # relative to the folder
    size: int
    outcome: str  # "ingested", "present", "unreadable"
    segment: Segment | None = None
    act_id: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    folder: str
    files: list[FileResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    def of(self, outcome: str) -> list[FileResult]:
        return [f for f in self.files if f.outcome == outcome]

    @property
    def ingested(self) -> list[FileResult]:
        """New segments, readable or not."""
        return [f for f in self.files if f.outcome in ("ingested", "unreadable")]

    @property
    def linked(self) -> list[FileResult]:
        return [f for f in self.ingested if f.act_id is not None]

    @property
    def waiting(self) -> list[FileResult]:
        return [f for f in self.ingested if f.act_id is None]

    def counts(self) -> dict[str, int]:
        return {
            "ingested": len(self.ingested),
            "present": len(self.of("present")),
            "unreadable": len(self.of("unreadable")),
            "linked": len(self.linked),
            "waiting": len(self.waiting),
            "skipped": len(self.skipped),
        }


# --- file names ------------------------------------------------------------------------------


def parse_filename(name: str, patterns: list[str] | None = None) -> NameInfo:
    """Serial, officer number and time from a camera's file name (first pattern that matches).

    Patterns come from ``QC_INGEST_FILENAME_PATTERNS`` and are matched against the whole name
    without its extension; the time (``YYYYMMDDhhmmss``) is the camera's local (Beijing) time.
    """
    stem = Path(name).stem
    for pattern in settings.QC_INGEST_FILENAME_PATTERNS if patterns is None else patterns:
        m = re.fullmatch(pattern, stem)
        if m is None:
            continue
        groups = m.groupdict()
        info = NameInfo(serial=groups.get("serial") or "", officer=groups.get("officer") or "")
        if groups.get("time"):
            try:
                # The camera's local (Beijing) time.
                local = dt.datetime.strptime(groups["time"] + "+0800", "%Y%m%d%H%M%S%z")
            except ValueError:
                continue  # 20261399... is not a time: try the next pattern
            info.time = local.astimezone(dt.UTC)
        return info
    return NameInfo()


# --- walking the folder ----------------------------------------------------------------------


def printable(name: str) -> str:
    """A file name fit for the database, the ledger and a terminal.

    Bytes that are not UTF-8 (a camera formatting names in GBK, say) reach Python as surrogate
    escapes, which neither PostgreSQL nor canonical JSON accept: they become U+FFFD, and control
    characters become "?". The name is only a label; the file is known by its SHA-256.
    """
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(
        "?" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs") else c for c in text
    )


def _within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _symlink_reason(path: Path, root: Path) -> str:
    target = Path(os.path.realpath(path))
    if not _within(target, root):
        return "符号链接指向文件夹之外，未跟随"
    return "符号链接，未跟随（文件夹内的目标按其自身路径导入）"


def walk(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:  # noqa: C901 - one skip reason per kind of unusable file
    """Regular, visible, non-empty files under root (sorted), and what was skipped and why."""
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []

    def rel(p: Path) -> str:
        return printable(str(p.relative_to(root)))

    def on_error(exc: OSError) -> None:
        skipped.append((printable(str(exc.filename or "?")), f"无法读取：{exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        here = Path(dirpath)
        for d in sorted(dirnames):
            p = here / d
            if p.is_symlink():
                dirnames.remove(d)
                skipped.append((rel(p), _symlink_reason(p, root)))
            elif d.startswith("."):
                dirnames.remove(d)
                skipped.append((rel(p), "隐藏文件夹，未导入"))
        dirnames.sort()
        for name in sorted(filenames):
            p = here / name
            if name.startswith("."):
                skipped.append((rel(p), "隐藏文件，未导入"))
                continue
            try:
                st = p.lstat()
            except OSError as exc:
                skipped.append((rel(p), f"无法读取：{exc.strerror or exc}"))
                continue
            if stat.S_ISLNK(st.st_mode):
                skipped.append((rel(p), _symlink_reason(p, root)))
            elif not stat.S_ISREG(st.st_mode):
                skipped.append((rel(p), "不是普通文件，未导入"))
            elif st.st_size == 0:
                skipped.append((rel(p), "空文件（0 字节），未导入"))
            else:
                files.append(p)
    return files, skipped


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _open_regular(path: Path):
    """The file opened for reading, refusing a symlink or special file swapped in since the walk."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _Skip(f"无法打开：{exc.strerror or exc}") from exc
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _Skip("不是普通文件，未导入")
    if st.st_size == 0:
        os.close(fd)
        raise _Skip("空文件（0 字节），未导入")
    return os.fdopen(fd, "rb", buffering=0), st.st_size


class _CountingReader(io.RawIOBase):
    """A read-only view of a raw file that reports progress as the store reads it."""

    def __init__(self, raw, on_bytes: Callable[[int], None]):
        self._raw = raw
        self._on_bytes = on_bytes
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(b) or 0
        self.count += n
        self._on_bytes(self.count)
        return n


# --- attribution -----------------------------------------------------------------------------


def _device(serial: str, actor: User) -> Device | None:
    if not serial:
        return None
    return Device.objects.filter(
        serial_number=serial, agency__in=agencies_visible_to(actor)
    ).first()


def _officer_by_number(number: str, agency) -> User | None:
    """The officer of the agency's district whose username or certificate number this is."""
    if not number:
        return None
    people = list(
        User.objects.filter(
            Q(username=number) | Q(certificate_number=number),
            agency__district=agency.district,
            is_active=True,
        )[:2]
    )
    return people[0] if len(people) == 1 else None


def _assigned_device(person, day: dt.date) -> Device | None:
    """The one camera or terminal assigned to ``person`` on ``day``; None if none or several."""
    assignments = list(
        DeviceAssignment.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=day),
            officer=person,
            starts_on__lte=day,
            device__kind__in=Device.DOCKING_KINDS,
        ).select_related("device")[:2]
    )
    return assignments[0].device if len(assignments) == 1 else None


@dataclass
class Attribution:
    device: Device | None
    officer: User | None
    device_started_at: dt.datetime | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    clock_offset_seconds: int
    notes: list[str]

    @property
    def time_source(self) -> str:
        return Segment.TimeSource.DEVICE if self.started_at else Segment.TimeSource.NONE


def attribute(
    actor: User, agency, name: str, media: MediaInfo | None, *, uploader: User | None = None
) -> Attribution:
    """Device, officer and times of a file, from its tags and its name (see module docstring).

    ``uploader``: the person who uploaded the file in the browser or through the API. A file
    that names no known device is then the uploader's assigned camera on the recording's day,
    and a file that names no officer is the uploader's own when the uploader is an officer.
    """
    notes: list[str] = []
    from_name = parse_filename(name)
    serials = [s for s in ((media.device_serial if media else ""), from_name.serial) if s]
    device = next((d for d in (_device(s, actor) for s in serials) if d is not None), None)
    if serials and device is None:
        notes.append(f"设备编号 {serials[0]} 未在本辖区设备登记中")
    device_started = (media.creation_time if media else None) or from_name.time
    if device is None and uploader is not None and device_started is not None:
        device = _assigned_device(uploader, timezone.localdate(device_started))
    offset = device.clock_offset_seconds if device else 0
    started = device_started - dt.timedelta(seconds=offset) if device_started else None
    ended = None
    if started is not None and media is not None and media.duration_seconds:
        ended = started + dt.timedelta(seconds=media.duration_seconds)
    officer = _officer_by_number(from_name.officer, agency)
    if from_name.officer and officer is None:
        notes.append(f"文件名中的执法人员编号 {from_name.officer} 无法对应到本辖区人员")
    assigned = None
    if device is not None and started is not None:
        assigned = device.officer_on(timezone.localdate(started))
    if officer is None:
        officer = assigned
    elif assigned is not None and assigned != officer:
        notes.append(f"文件名中的执法人员（{officer}）与设备当日领用人（{assigned}）不一致")
    if officer is None and uploader is not None and uploader.role == Role.OFFICER:
        officer = uploader
    if started is None:
        notes.append("文件未记载拍摄时间")
    elif officer is None:
        notes.append("无法确定执法人员")
    return Attribution(device, officer, device_started, started, ended, offset, notes)


# --- the run ---------------------------------------------------------------------------------


def check_actor(actor: User):
    """The agency the actor ingests for; IngestError when the actor may not ingest."""
    if actor.agency is None:
        raise IngestError(f"{actor.get_username()} 没有所属机构，不能导入执法记录")
    try:
        caps.require(actor, caps.RECORDS_UPLOAD, actor.agency)
    except PermissionDenied as exc:
        raise IngestError(
            f"{actor.get_username()}（{actor.get_role_display()}）无权导入执法记录"
        ) from exc
    return actor.agency


def ingest_folder(actor: User, folder, *, progress: Progress | None = None) -> IngestReport:
    """Ingest every file under ``folder`` for the actor's agency (see the module docstring)."""
    say = progress or (lambda line: None)
    agency = check_actor(actor)
    root = Path(folder)
    if not root.is_dir():
        raise IngestError(f"文件夹 {folder} 不存在或不是文件夹")
    root = root.resolve()
    report = IngestReport(folder=str(root))
    files, report.skipped = walk(root)
    for skipped_path, reason in report.skipped:
        say(f"跳过 {skipped_path}：{reason}")
    total = len(files)
    for i, path in enumerate(files, 1):
        rel = printable(str(path.relative_to(root)))
        try:
            result = _ingest_file(actor, agency, path, rel, f"[{i}/{total}]", say)
        except _Skip as skip:
            report.skipped.append((rel, skip.reason))
            say(f"[{i}/{total}] 跳过 {rel}：{skip.reason}")
            continue
        report.files.append(result)
    _record_run(actor, agency, report)
    return report


def _ingest_file(
    actor: User, agency, path: Path, rel: str, prefix: str, say: Progress
) -> FileResult:
    f, size = _open_regular(path)
    with f:
        # 1. One pass into the store, with a progress line every PROGRESS_EVERY bytes.
        next_report = [PROGRESS_EVERY]

        def on_bytes(done: int) -> None:
            if done >= next_report[0] and done < size:
                say(f"{prefix} {rel}：{human_size(done)} / {human_size(size)}")
                next_report[0] += PROGRESS_EVERY

        reader = _CountingReader(f, on_bytes)
        info = put_record(reader, store=blob_store())
        result = FileResult(path=rel, size=info.size, outcome="ingested")
        # 2. Already here?
        existing = Segment.objects.filter(agency=agency, blob_id=info.sha256).first()
        if existing is not None:
            result.outcome, result.segment, result.act_id = "present", existing, existing.act_id
            say(f"{prefix} {rel} {human_size(info.size)}：已存在（音像记录 #{existing.pk}），跳过")
            return result
        # 3. Probe the very file that was stored (same descriptor, from the start).
        f.seek(0)
        media, error = None, ""
        try:
            media = probe(f)
        except Unreadable as exc:
            error = str(exc)
    # 4–5. Attribution and clock correction.
    name = printable(path.name)
    who = attribute(actor, agency, name, media)
    result.notes = who.notes
    fields = segment_fields(name, media, who)
    # 6. The segment, and for an unreadable file its alert, in one transaction.
    try:
        with transaction.atomic(durable=True):
            blob = register_blob(info, agency)
            segment = _create_segment(
                actor,
                agency=agency,
                blob=blob,
                source=RecordItem.Source.INGEST,
                readable=media is not None,
                parse_error=error,
                **fields,
            )
            if media is None:
                raise_unreadable(actor, segment, rel, error)
    except IntegrityError:
        # Another run stored the same file a moment ago (one segment per blob and agency).
        existing = Segment.objects.get(agency=agency, blob_id=info.sha256)
        result.outcome, result.segment, result.act_id = "present", existing, existing.act_id
        say(f"{prefix} {rel} {human_size(info.size)}：已存在（音像记录 #{existing.pk}），跳过")
        return result
    result.segment = segment
    if media is None:
        result.outcome = "unreadable"
        say(f"{prefix} {rel} {human_size(info.size)}：无法解析，已原样保存并告警（{error}）")
        return result
    act = associate(actor, segment)
    result.act_id = act.pk if act else None
    where = f"已关联执法行为 #{act.pk}" if act else "待关联"
    say(f"{prefix} {rel} {human_size(info.size)}：已导入（音像记录 #{segment.pk}），{where}")
    return result


def probe_blob(sha256: str) -> tuple[MediaInfo | None, str]:
    """Probe a stored file (streamed, never read whole); (info, "") or (None, the reason)."""
    try:
        with open_seekable(blob_store(), sha256) as f:
            return probe(f), ""
    except Unreadable as exc:
        return None, str(exc)


def segment_fields(name: str, media: MediaInfo | None, who: Attribution) -> dict:
    """A segment's fields from its probe and attribution: the same for dock ingest and uploads."""
    fields: dict[str, Any] = {
        "original_filename": name[:255],
        "content_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
        "device": who.device,
        "officer": who.officer,
        "device_started_at": who.device_started_at,
        "started_at": who.started_at,
        "ended_at": who.ended_at,
        "clock_offset_seconds": who.clock_offset_seconds,
        "time_source": who.time_source,
    }
    if media is not None:
        fields.update(
            media_kind=media.media_kind,
            duration_seconds=media.duration_seconds,
            container=media.container[:32],
            video_codec=media.video_codec[:32],
            audio_codec=media.audio_codec[:32],
            width=media.width,
            height=media.height,
            frame_rate=media.frame_rate,
            gps_latitude=media.gps_latitude,
            gps_longitude=media.gps_longitude,
        )
    return fields


def raise_unreadable(actor: User, segment: Segment, rel: str, error: str, source="ingest") -> None:
    """Announce an unreadable file kept as received (the alerts app raises
    ``records.unreadable`` to the custodian), in the caller's transaction."""
    unreadable_file_received.send(
        Segment, segment=segment, actor=actor, file=rel, error=error, source=source
    )


def _record_run(actor: User, agency, report: IngestReport) -> None:
    """One ledger event for the run: what was found, and every file left out and why."""
    with transaction.atomic(durable=True):
        record_event(
            actor,
            Action.RECORDS_INGEST_RUN,
            None,
            {
                "folder": report.folder,
                "counts": report.counts(),
                "skipped": [
                    {"path": p, "reason": r} for p, r in report.skipped[:MAX_SKIPPED_IN_EVENT]
                ],
            },
            agency=agency,
        )
        # The devices whose files came in have docked (A19; quancheng.orgs.devices).
        docked = [f.segment.device for f in report.ingested if f.segment is not None]
        _note_devices_docked(actor, docked, source="ingest")
