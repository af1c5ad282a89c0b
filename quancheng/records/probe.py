"""Reading an AV file's metadata (媒体信息) with PyAV, without decoding it.

:func:`probe` opens the container, reads its header and tags, and demuxes (never decodes) only
the last seconds of the file to notice a truncated copy. Anything that is not audio or video, or
whose data stops before its index says it should, raises :class:`Unreadable`; the caller keeps the
file byte for byte anyway (A20: nothing received is dropped) and raises it to the custodian.

Times. A camera writes its recording time as a tag. Where the tag carries a zone (``Z``, an
offset such as ``+08:00``) it is taken as written. A tag without a zone (``2026-03-12 09:30:15``)
is read as Beijing time (``Asia/Shanghai``): cameras used in Chongqing are set to local time, and
a naive local time is what their firmware writes. Note that MP4's own ``mvhd`` creation time is
UTC by definition and FFmpeg always reports it with ``Z``: a camera that stores local time there
is caught only by its clock offset (see docs/ingest.md).

This module does not import Django.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import av

BEIJING = ZoneInfo("Asia/Shanghai")

# Tags naming the recording time, most specific first. QuickTime's creationdate carries its zone;
# creation_time is the container's (mvhd, or an MP4 metadata key), then a stream's.
TIME_TAGS = ("com.apple.quicktime.creationdate", "creation_time", "date")
# Tags in ISO 6709 ("+29.5630+106.5516/").
LOCATION_TAGS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng")
# Tags through which body cameras name themselves.
SERIAL_TAGS = ("serial_number", "serial", "device_serial", "device_id", "camera_serial")
# Times before this are unset clocks (MP4's epoch is 1904; a reset camera says 1970 or 2000).
EARLIEST_PLAUSIBLE = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
# How short of its declared duration the demuxed data may end before the file counts as cut.
TRUNCATION_TOLERANCE_SECONDS = 1.0
# How far before the end the truncation check starts demuxing.
TAIL_SECONDS = 2.0


class Unreadable(Exception):
    """The file is not audio or video, or is damaged (truncated); the message says why (Chinese)."""


@dataclass
class MediaInfo:
    container: str
    media_kind: str  # "video" or "audio"
    duration_seconds: float | None = None
    # The recording start as the device's clock saw it, timezone-aware; None when untagged.
    creation_time: dt.datetime | None = None
    creation_time_tag: str = ""  # which tag it came from
    creation_time_had_zone: bool = False
    video_codec: str = ""
    audio_codec: str = ""
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    gps_latitude: Decimal | None = None
    gps_longitude: Decimal | None = None
    device_serial: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def probe(source: str | Path | BinaryIO) -> MediaInfo:
    """Metadata of a media file (path or binary file object); :class:`Unreadable` if it has none."""
    try:
        container = av.open(source if not isinstance(source, Path) else str(source), "r")
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise Unreadable(f"不是可识别的音视频文件：{_reason(exc)}") from exc
    with container:
        try:
            return _read(container)
        except av.FFmpegError as exc:
            raise Unreadable(f"读取媒体信息失败：{_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _read(container) -> MediaInfo:
    video = next((s for s in container.streams.video), None)
    audio = next((s for s in container.streams.audio), None)
    if video is None and audio is None:
        raise Unreadable("文件中没有音频或视频流（可能不完整，或不是音视频文件）")
    tags = {str(k): str(v) for k, v in (container.metadata or {}).items()}
    stream_tags = [
        {str(k): str(v) for k, v in (s.metadata or {}).items()} for s in (video, audio) if s
    ]
    info = MediaInfo(
        container=_container_name(container.format.name, tags),
        media_kind="video" if video is not None else "audio",
        duration_seconds=_duration(container, video or audio),
        tags=tags,
    )
    if video is not None:
        ctx = video.codec_context
        info.video_codec = ctx.name or ""
        info.width = ctx.width or None
        info.height = ctx.height or None
        rate = video.average_rate or video.guessed_rate
        info.frame_rate = round(float(rate), 3) if rate else None
    if audio is not None:
        info.audio_codec = audio.codec_context.name or ""
    all_tags = [tags, *(t for t in stream_tags if t)]
    info.creation_time, info.creation_time_tag, info.creation_time_had_zone = _creation_time(
        all_tags
    )
    info.gps_latitude, info.gps_longitude = _location(all_tags)
    info.device_serial = _first_tag(all_tags, SERIAL_TAGS).strip()
    _check_complete(container, info.duration_seconds)
    return info


def _container_name(format_name: str, tags: dict[str, str]) -> str:
    """FFmpeg's demuxer name, made specific: its one demuxer reads both MP4 and QuickTime."""
    first = format_name.split(",")[0]
    if first == "mov":
        return "mov" if tags.get("major_brand", "").startswith("qt") else "mp4"
    return first


def _duration(container, stream) -> float | None:
    if container.duration:
        return container.duration / av.time_base
    if stream is not None and stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _first_tag(tag_sets, names) -> str:
    for tags in tag_sets:
        lowered = {k.lower(): v for k, v in tags.items()}
        for name in names:
            value = lowered.get(name.lower())
            if value:
                return value
    return ""


def _creation_time(tag_sets) -> tuple[dt.datetime | None, str, bool]:
    for name in TIME_TAGS:
        for tags in tag_sets:
            value = tags.get(name)
            if not value:
                continue
            parsed = parse_tag_time(value)
            if parsed is not None:
                moment, had_zone = parsed
                return moment, name, had_zone
    return None, "", False


def parse_tag_time(value: str, naive_zone: dt.tzinfo = BEIJING) -> tuple[dt.datetime, bool] | None:
    """A tag's time, aware, and whether the tag carried its zone; None when unset or malformed.

    Accepts ISO 8601 (``2026-03-12T01:30:15.000000Z``, ``2026-03-12T09:30:15+0800``,
    ``2026-03-12 09:30:15``) and EXIF's ``2026:03:12 09:30:15``. A time without zone is
    ``naive_zone`` time (Beijing).
    """
    text = value.strip()
    exif = re.fullmatch(r"(\d{4}):(\d{2}):(\d{2})([ T].*)", text)
    if exif:
        text = f"{exif[1]}-{exif[2]}-{exif[3]}{exif[4]}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    had_zone = moment.tzinfo is not None
    if not had_zone:
        moment = moment.replace(tzinfo=naive_zone)
    moment = moment.astimezone(dt.UTC)
    if moment < EARLIEST_PLAUSIBLE:
        return None
    return moment, had_zone


_ISO6709 = re.compile(
    r"(?P<lat>[+-]\d{2,6}(?:\.\d+)?)(?P<lon>[+-]\d{3,7}(?:\.\d+)?)(?P<alt>[+-]\d+(?:\.\d+)?)?"
    r"(?:CRS[^/]*)?/?"
)


def parse_iso6709(value: str) -> tuple[Decimal, Decimal] | None:
    """Latitude and longitude in decimal degrees (6 places) from an ISO 6709 point, or None.

    Degrees (``+29.5630+106.5516/``), degrees-minutes (``+2933.78+10633.10/``) and
    degrees-minutes-seconds (``+293346.8+1063305.8/``) forms are understood.
    """
    m = _ISO6709.fullmatch(value.strip())
    if not m:
        return None
    lat = _iso6709_angle(m["lat"], 2)
    lon = _iso6709_angle(m["lon"], 3)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    q = Decimal("0.000001")
    return lat.quantize(q), lon.quantize(q)


def _iso6709_angle(text: str, degree_digits: int) -> Decimal | None:
    sign = -1 if text[0] == "-" else 1
    whole, _, frac = text[1:].partition(".")
    frac = f".{frac}" if frac else ""
    if len(whole) == degree_digits:
        value = Decimal(whole + frac)
    elif len(whole) == degree_digits + 2:
        minutes = Decimal(whole[degree_digits:] + frac)
        if minutes >= 60:
            return None
        value = Decimal(whole[:degree_digits]) + minutes / 60
    elif len(whole) == degree_digits + 4:
        minutes = Decimal(whole[degree_digits : degree_digits + 2])
        seconds = Decimal(whole[degree_digits + 2 :] + frac)
        if minutes >= 60 or seconds >= 60:
            return None
        value = Decimal(whole[:degree_digits]) + minutes / 60 + seconds / 3600
    else:
        return None
    return sign * value


def _location(tag_sets) -> tuple[Decimal | None, Decimal | None]:
    for name in LOCATION_TAGS:
        for tags in tag_sets:
            value = tags.get(name)
            if value and (point := parse_iso6709(value)):
                return point
    return None, None


def _check_complete(container, duration: float | None) -> None:
    """Demux (not decode) the last seconds: a cut copy ends well before its declared duration.

    A file whose index sits before its data (``faststart``) still opens when the data is cut
    short; its last packets are simply missing. A file whose index sits at the end (the MP4
    default) loses its index when cut, and fails earlier with "no audio or video stream".
    """
    if not duration:
        return
    streams = [s for s in container.streams if s.type in ("video", "audio")]
    target = max(0.0, duration - TAIL_SECONDS)
    with contextlib.suppress(av.FFmpegError):  # not seekable: demux from where we are
        container.seek(int(target * av.time_base), backward=True, any_frame=False)
    start = _start_seconds(container)
    last_end = None
    try:
        for packet in container.demux(streams):
            if packet.pts is None or packet.time_base is None:
                continue
            end = Fraction(packet.pts + (packet.duration or 0)) * packet.time_base
            end_seconds = float(end) - start
            last_end = end_seconds if last_end is None else max(last_end, end_seconds)
    except av.FFmpegError as exc:
        raise Unreadable(f"文件数据损坏：{_reason(exc)}") from exc
    if last_end is None or last_end < duration - TRUNCATION_TOLERANCE_SECONDS:
        got = 0.0 if last_end is None else last_end
        raise Unreadable(
            f"文件不完整：媒体数据在约 {got:.1f} 秒处中断，而文件声明时长为 {duration:.1f} 秒"
        )


def _start_seconds(container) -> float:
    return container.start_time / av.time_base if container.start_time else 0.0
