"""The picture's own clock (画面时间): OCR of the date-time and device/officer number that a
body camera burns into its frames (GA/T 947 asks 执法记录仪 to overlay them).

1. Frames are sampled with PyAV: the first second, one every ``SAMPLE_EVERY`` seconds, and the
   last second.
2. Each frame is read with the shared OCR engine (content/ocr.py); a line holding a date-time
   gives the picture's clock at that frame, other lines the device and officer numbers.
3. The picture's clock at the first frame is each readable sample's time minus its offset into
   the segment (the OSD shows whole seconds: the most common value wins, ties to the earlier);
   samples more than 1.5 s away from it are counted as inconsistent.
4. The result, with every sample's text and confidence, is stored (:class:`OsdReading`) and
   recorded as the ledger event ``segment.osd_read`` in the same transaction. A segment whose
   frames show no readable time is ``unreadable`` (画面时间不可读): never guessed.

The compliance rule A18-picture-clock compares the picture's clock with the file's time.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import av
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.compliance.hooks import schedule_evaluation
from quancheng.jobs.workdirs import work_dir
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.services import _set_device_clock_offset
from quancheng.records.media import _readable_path
from quancheng.records.models import Segment
from quancheng.records.sm3 import file_digests

from . import ocr
from .models import OsdReading

if TYPE_CHECKING:
    from quancheng.orgs.models import User


logger = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
SAMPLE_EVERY = 10.0  # seconds between sampled frames
# Samples whose start estimate is further than this from the consensus disagree with it.
CONSISTENT_SECONDS = 1.5
MIN_CONFIDENCE = 0.6  # below this a line is not trusted for the time

# 2026-03-14 09:31:07, 2026/03/14 09:31:07, 2026年03月14日 09:31:07; OCR drops the space.
DATETIME_RE = re.compile(
    r"(?P<y>20\d{2})\s*[-/.年]\s*(?P<mo>\d{2})\s*[-/.月]\s*(?P<d>\d{2})\s*日?\s*"
    r"(?:星期.|周.)?\s*(?P<h>\d{2})\s*[:：时]\s*(?P<mi>\d{2})\s*[:：分]\s*(?P<s>\d{2})"
)
# A device number: letters then digits (DSJ-A123456, ZFY0012345), as cameras print their id.
DEVICE_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2,6}-?[A-Z]?\d{4,12})(?![A-Z0-9])")
# An officer number after its label (警号/警员/编号/工号), or six digits alone on a line.
OFFICER_RE = re.compile(r"(?:警号|警员号?|工号|编号)\s*[:：]?\s*(\d{4,8})")


@dataclass
class Sample:
    at: float  # seconds into the segment
    lines: list[tuple[str, float]] = field(default_factory=list)
    time: dt.datetime | None = None
    time_confidence: float | None = None
    device_number: str = ""
    officer_number: str = ""

    def as_json(self) -> dict:
        return {
            "at": round(self.at, 3),
            "lines": [[text, round(conf, 4)] for text, conf in self.lines],
            "time": self.time.isoformat() if self.time else None,
            "device_number": self.device_number,
            "officer_number": self.officer_number,
        }


@dataclass
class Result:
    samples: list[Sample]
    picture_started_at: dt.datetime | None
    device_number: str
    officer_number: str
    confidence: float | None
    inconsistent: int

    @property
    def readable(self) -> list[Sample]:
        return [s for s in self.samples if s.time is not None]


# --- reading text ---------------------------------------------------------------------------


def parse_time(text: str) -> dt.datetime | None:
    """The first date-time in the text, as Beijing time (the OSD shows local time)."""
    match = DATETIME_RE.search(text)
    if match is None:
        return None
    try:
        y, mo, d, h, mi, sec = (int(match[k]) for k in ("y", "mo", "d", "h", "mi", "s"))
        return dt.datetime(y, mo, d, h, mi, sec, tzinfo=BEIJING)
    except ValueError:
        return None  # a misread 13th month or 61st second is no time


def read_sample(at: float, lines: list[ocr.Line]) -> Sample:
    """What one frame's OSD says."""
    sample = Sample(at=at, lines=[(line.text, line.confidence) for line in lines])
    for line in lines:
        text = line.text.strip()
        moment = parse_time(text) if line.confidence >= MIN_CONFIDENCE else None
        if moment is not None and sample.time is None:
            sample.time, sample.time_confidence = moment, line.confidence
            text = DATETIME_RE.sub(" ", text)
        normalised = text.upper().replace(" ", "")
        if not sample.officer_number:
            officer = OFFICER_RE.search(text.replace(" ", ""))
            if officer:
                sample.officer_number = officer[1]
                normalised = OFFICER_RE.sub(" ", normalised)
        if not sample.device_number:
            device = DEVICE_RE.search(normalised)
            if device:
                sample.device_number = device[1]
    return sample


def combine(samples: list[Sample]) -> Result:
    """The picture's clock at the first frame, and the numbers, from every readable sample."""
    # (sample, its time): the samples whose frame showed a time.
    readable = [(s, s.time) for s in samples if s.time is not None]
    picture_start: dt.datetime | None = None
    inconsistent = 0
    if readable:
        # The OSD shows whole seconds: a frame at t seconds shows floor(start + t).
        estimates = [time - dt.timedelta(seconds=int(s.at)) for s, time in readable]
        counts = Counter(estimates)
        best = max(counts.values())
        start = min(e for e, n in counts.items() if n == best)
        inconsistent = sum(
            1
            for s, time in readable
            if abs((time - start).total_seconds() - s.at) > CONSISTENT_SECONDS
        )
        picture_start = start
    devices = Counter(s.device_number for s in samples if s.device_number)
    officers = Counter(s.officer_number for s in samples if s.officer_number)
    # A sample's time and its confidence are set together (read_sample).
    confidences = [s.time_confidence for s, _ in readable if s.time_confidence is not None]
    confidence = statistics.fmean(confidences) if confidences else None
    return Result(
        samples=samples,
        picture_started_at=picture_start,
        device_number=devices.most_common(1)[0][0] if devices else "",
        officer_number=officers.most_common(1)[0][0] if officers else "",
        confidence=confidence,
        inconsistent=inconsistent,
    )


# --- frames ---------------------------------------------------------------------------------


def sample_times(duration: float | None) -> list[float]:
    """The first second, every SAMPLE_EVERY seconds, the last second (whole clip if short)."""
    if not duration or duration <= 0:
        return [0.0]
    times = [0.0]
    t = SAMPLE_EVERY
    while t < duration - 1:
        times.append(t)
        t += SAMPLE_EVERY
    last = max(0.0, duration - 1.0)
    if last - times[-1] >= 0.5:
        times.append(last)
    return times


def sample_frames(path: Path):
    """(seconds into the clip, RGB array) of each sampled frame; :class:`av.FFmpegError` on a
    file PyAV cannot read. Seeks to each time (key frame before it) and decodes forward."""
    with av.open(str(path), "r") as container:
        stream = next(
            (
                s
                for s in container.streams.video
                if not s.disposition & av.stream.Disposition.attached_pic
            ),
            None,
        )
        if stream is None:
            return
        duration = _duration(container, stream)
        start = (
            float(stream.start_time * stream.time_base)
            if stream.start_time and stream.time_base
            else 0.0
        )
        for target in sample_times(duration):
            frame = _frame_at(container, stream, start + target)
            if frame is not None:
                at = (frame.time - start) if frame.time is not None else target
                yield max(0.0, at), frame.to_ndarray(format="rgb24")


def _duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _frame_at(container, stream, seconds: float):
    container.seek(int(seconds / stream.time_base), stream=stream, backward=True)
    last = None
    for frame in container.decode(stream):
        if frame.time is None or frame.time >= seconds - 1e-3:
            return frame
        last = frame
    return last


def read_file(path: Path) -> Result:
    """Sample and read a clip (no database): what bench/ocr.py measures."""
    samples = [read_sample(at, ocr.read_lines(image)) for at, image in sample_frames(path)]
    return combine(samples)


# --- scheduling and storing -----------------------------------------------------------------


def schedule_osd_reading(segment: Segment) -> None:
    """Queue the reading of a new video segment's OSD once its transaction has committed
    (``robust``: a queue that cannot be reached does not undo the segment; ``manage.py
    read_osd`` picks it up)."""
    if segment.media_kind != Segment.MediaKind.VIDEO:
        return
    from .tasks import read_segment_osd

    pk = segment.pk
    transaction.on_commit(lambda: read_segment_osd.enqueue(pk), robust=True)


def read_osd(segment_id: int, *, force: bool = False) -> OsdReading:
    """Read a segment's OSD and store it (ledger ``segment.osd_read``). A reading already done
    is kept unless ``force``. Store or disk errors propagate (the job can run again); a file
    PyAV cannot decode is marked ``failed`` with the error."""
    segment = Segment.objects.select_related("blob").get(pk=segment_id)
    existing = OsdReading.objects.filter(segment=segment).first()
    if existing is not None and existing.status != OsdReading.Status.PENDING and not force:
        return existing
    error = ""
    result = None
    if not segment.readable or segment.media_kind != Segment.MediaKind.VIDEO:
        error = "文件无法解析或不是视频"
    else:
        with work_dir("osd") as work, _readable_path(segment.blob_id, work) as source:
            try:
                result = read_file(source)
            except (av.FFmpegError, UnicodeDecodeError) as e:
                error = f"无法解码：{e}"
    return _store(segment, result, error)


def _store(segment: Segment, result: Result | None, error: str) -> OsdReading:
    # The reaper's transaction: jobs.leases._reap_one, which marks the job failed.
    # not durable: read_osd runs it alone; reading_abandoned, in the jobs reaper's transaction
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        reading, _ = OsdReading.objects.get_or_create(segment=segment)
        reading.engine = ocr.engine_version()
        reading.read_at = timezone.now()
        reading.error = error
        if result is None:
            reading.status = OsdReading.Status.FAILED
            reading.samples, reading.sampled, reading.readable_samples = [], 0, 0
            reading.picture_started_at = None
        else:
            reading.status = (
                OsdReading.Status.READ
                if result.picture_started_at is not None
                else OsdReading.Status.UNREADABLE
            )
            reading.picture_started_at = result.picture_started_at
            reading.device_number = result.device_number
            reading.officer_number = result.officer_number
            reading.confidence = result.confidence
            reading.sampled = len(result.samples)
            reading.readable_samples = len(result.readable)
            reading.inconsistent_samples = result.inconsistent
            reading.samples = [s.as_json() for s in result.samples]
        reading.save()
        record_event(
            None,
            Action.SEGMENT_OSD_READ,
            segment,
            {
                **file_digests(segment.blob_id),
                "status": reading.status,
                "picture_started_at": (
                    reading.picture_started_at.isoformat() if reading.picture_started_at else None
                ),
                "device_number": reading.device_number,
                "officer_number": reading.officer_number,
                "confidence": reading.confidence,
                "sampled": reading.sampled,
                "readable_samples": reading.readable_samples,
                "inconsistent_samples": reading.inconsistent_samples,
                "file_started_at": segment.started_at.isoformat() if segment.started_at else None,
                "engine": reading.engine,
                "error": error,
            },
        )
        schedule_evaluation(segment.act_id)  # A18-picture-clock reads it
    return reading


def reading_abandoned(segment_id: int, reason: str) -> None:
    """The job died on every attempt (jobs/leases.py): 识别失败 instead of 待识别 for ever."""
    segment = Segment.objects.get(pk=segment_id)
    _store(segment, None, f"任务中止：{reason}")


# --- the picture's clock against the file's ------------------------------------------------


def picture_difference(reading: OsdReading) -> float | None:
    """Seconds the picture's clock (offset applied like the file's) is ahead of the segment's
    corrected start time; None when either is unknown."""
    corrected = reading.picture_time_corrected()
    if corrected is None or reading.segment.started_at is None:
        return None
    return (corrected - reading.segment.started_at).total_seconds()


def offset_from_picture(reading: OsdReading) -> int | None:
    """The device's clock offset (device clock minus true time) if the picture's clock is
    right: the file's device time minus the picture's time at the same (first) frame."""
    segment = reading.segment
    if reading.picture_started_at is None:
        return None
    device_time = segment.device_started_at
    if device_time is None and segment.started_at is not None:
        device_time = segment.started_at + dt.timedelta(seconds=segment.clock_offset_seconds)
    if device_time is None:
        return None
    return round((device_time - reading.picture_started_at).total_seconds())


@transaction.atomic(durable=True)
def confirm_picture_offset(actor: User, segment: Segment, note: str) -> OsdReading:
    """The custodian confirms the picture's clock is right: the device's recorded clock offset
    becomes the one the picture shows (orgs ``device.clock_offset_set``, applying to files
    ingested afterwards) and the decision is recorded on the segment
    (``segment.picture_offset_confirmed``)."""
    caps.require(actor, caps.PICTURE_OFFSET_CONFIRM, segment)
    segment = (
        Segment.objects.select_for_update(of=("self",)).select_related("device").get(pk=segment.pk)
    )
    reading = OsdReading.objects.filter(segment=segment).first()
    if reading is None or reading.status != OsdReading.Status.READ:
        raise ValidationError("画面时间尚未识别或不可读，不能据此更新设备时钟偏差", code="not_read")
    if segment.device is None:
        raise ValidationError("该音像记录未关联设备", code="no_device")
    if not note.strip():
        raise ValidationError("请填写确认依据", code="required")
    reading.segment = segment
    offset = offset_from_picture(reading)
    if offset is None:
        raise ValidationError("文件未记载时间，无法计算时钟偏差", code="no_time")
    assert reading.picture_started_at is not None  # offset_from_picture needs it
    before = segment.device.clock_offset_seconds
    _set_device_clock_offset(  # inside this service's transaction
        actor, segment.device, offset, f"按第{segment.pk}号音像记录画面时间确认：{note.strip()}"
    )
    reading.offset_confirmed_by = actor
    reading.offset_confirmed_at = timezone.now()
    reading.confirmed_offset_seconds = offset
    reading.save(
        update_fields=["offset_confirmed_by", "offset_confirmed_at", "confirmed_offset_seconds"]
    )
    record_event(
        actor,
        Action.SEGMENT_PICTURE_OFFSET_CONFIRMED,
        segment,
        {
            "device": segment.device.serial_number,
            "before": before,
            "after": offset,
            "picture_started_at": reading.picture_started_at.isoformat(),
            "note": note.strip(),
        },
    )
    return reading


def read_osd_of_new_segment(sender, *, item: Segment, **kwargs) -> None:
    """A new segment's picture clock (画面时间) is read after its commit
    (records.signals.item_created)."""
    schedule_osd_reading(item)
