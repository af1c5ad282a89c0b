"""Media derivatives (派生文件) of AV segments: a thumbnail and, when needed, a browser proxy.

The original blob is never touched: it is read (from the store's own file, or streamed into a
temporary copy), and every derivative is a new blob linked from the segment. Files are processed
frame by frame through temporary files, never whole in memory.

* Thumbnail: one JPEG frame (PyAV's mjpeg encoder) about one second in, or the first frame.
* Proxy: when the original will not play in a browser (anything but H.264 video in an MP4/MOV
  container with AAC or no audio, e.g. H.265 or AVI), an H.264/AAC MP4 with the index at the
  front (``movflags=faststart``) so that seeking over HTTP Range works at once.
* A file that PyAV cannot parse (truncated, not media) is marked unreadable with the error, kept
  byte for byte as received, and raised to the custodian (alert ``records.unreadable``).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from django.db import transaction

from quancheng.jobs.workdirs import work_dir
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction

from .models import Segment
from .services import blob_store, put_record, register_blob
from .signals import segment_marked_unreadable
from .sm3 import file_digests

logger = logging.getLogger(__name__)

THUMBNAIL_AT_SECONDS = 1.0
THUMBNAIL_MAX_WIDTH = 320
PROXY_MAX_WIDTH = 1920
COPY_CHUNK = 4 * 1024 * 1024
# Demuxers that open things that are not audio/video recordings: a text file opens as an "ansi"
# video through tty, a still image through image2 or an image pipe.
NOT_AV_FORMATS = {"tty", "image2", "lavfi", "ffmetadata", "srt", "webvtt"}
MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"
BROWSER_PIX_FMTS = {"yuv420p", "yuvj420p"}
AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000]


class Unreadable(Exception):
    """The file could not be parsed as audio/video; the message says why (for the custodian)."""


@dataclass
class Probe:
    """What the derivatives depend on, read from the file's streams."""

    container: str
    video_codec: str = ""
    pix_fmt: str = ""
    audio_codecs: list[str] = field(default_factory=list)
    duration: float | None = None

    @property
    def has_video(self) -> bool:
        return bool(self.video_codec)

    @property
    def browser_playable(self) -> bool:
        """H.264 (8-bit 4:2:0) or no video, AAC or no audio, in the MP4 family of containers."""
        if self.container != MP4_FAMILY:
            return False
        if self.has_video and (self.video_codec != "h264" or self.pix_fmt not in BROWSER_PIX_FMTS):
            return False
        return all(codec == "aac" for codec in self.audio_codecs)


@dataclass
class Derivatives:
    thumbnail: str | None  # SHA-256 of the stored blob
    proxy: str | None
    probe: Probe


# --- scheduling -------------------------------------------------------------------------------


def schedule_derivatives(segment: Segment) -> None:
    """Queue the derivatives of a new segment once its transaction has committed.

    ``robust``: a queue that cannot be reached must not undo the segment; it stays ``pending``
    and ``manage.py make_derivatives`` picks it up.
    """
    from .tasks import make_segment_derivatives

    pk = segment.pk
    transaction.on_commit(lambda: make_segment_derivatives.enqueue(pk), robust=True)


# --- the work ---------------------------------------------------------------------------------


def make_derivatives(segment_id: int, *, force: bool = False) -> Segment:
    """Make a segment's thumbnail and proxy, link them, and record ``segment.derivatives_made``.

    Only a ``pending`` segment is processed unless ``force``. Store or disk errors propagate (the
    task fails and can be run again); parse errors mark the segment unreadable.
    """
    segment = Segment.objects.select_related("blob").get(pk=segment_id)
    if segment.media_status != Segment.MediaStatus.PENDING and not force:
        return segment
    with _work_dir() as work, _readable_path(segment.blob.sha256, work) as source:
        try:
            result = _derive(source, work)
        except Unreadable as e:
            return mark_unreadable(segment, str(e))
        except (av.FFmpegError, UnicodeDecodeError) as e:
            return mark_unreadable(segment, f"无法解析：{e}")
    return _link(segment, result)


def derivatives_abandoned(segment_id: int, reason: str) -> None:
    """The derivatives job was given up after its worker died on every attempt (jobs/leases.py;
    a decoder crashing the process would do that): the segment shows 处理失败 instead of waiting
    for ever, and ``manage.py make_derivatives --force`` runs it again. Runs in the reaper's
    transaction (the one that marks the job failed)."""
    require_own_transaction("records.media.derivatives_abandoned")
    pending = Segment.objects.select_for_update().filter(
        pk=segment_id, media_status=Segment.MediaStatus.PENDING
    )
    segment = pending.first()
    if segment is None:
        return
    segment.media_status = Segment.MediaStatus.FAILED
    segment.save(update_fields=["media_status"])
    record_event(
        None,
        Action.SEGMENT_DERIVATIVES_FAILED,
        segment,
        {**file_digests(segment.blob_id), "reason": reason},
    )


def _derive(source: Path, work: Path) -> Derivatives:
    probe = probe_file(source)
    store = blob_store()
    thumbnail = proxy = None
    if probe.has_video:
        jpeg = work / "thumbnail.jpg"
        make_thumbnail(source, jpeg)
        with open(jpeg, "rb") as f:
            thumbnail = put_record(f, store=store).sha256
    if not probe.browser_playable:
        mp4 = work / "proxy.mp4"
        make_proxy(source, mp4)
        with open(mp4, "rb") as f:
            proxy = put_record(f, store=store).sha256
    return Derivatives(thumbnail, proxy, probe)


def _link(segment: Segment, result: Derivatives) -> Segment:
    with transaction.atomic(durable=True):
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        blobs = {}
        for name in ("thumbnail", "proxy"):
            sha256 = getattr(result, name)
            if sha256:
                info = _Info(sha256, blob_store().size(sha256))
                blobs[name] = register_blob(info, segment.agency)
        segment.thumbnail = blobs.get("thumbnail")
        segment.proxy = blobs.get("proxy")
        segment.media_status = (
            Segment.MediaStatus.READY if segment.proxy else Segment.MediaStatus.NOT_NEEDED
        )
        segment.save(update_fields=["thumbnail", "proxy", "media_status"])
        record_event(
            None,
            Action.SEGMENT_DERIVATIVES_MADE,
            segment,
            {
                "original": segment.blob_id,
                "thumbnail": segment.thumbnail_id,
                "proxy": segment.proxy_id,
                "media_status": segment.media_status,
                "browser_playable": result.probe.browser_playable,
                "container": result.probe.container,
                "video_codec": result.probe.video_codec,
                "audio_codecs": result.probe.audio_codecs,
            },
        )
    return segment


@dataclass(frozen=True)
class _Info:  # what register_blob reads
    sha256: str
    size: int


def mark_unreadable(segment: Segment, error: str) -> Segment:
    """Mark a segment unreadable (its original is kept as received) and alert the custodian."""
    with transaction.atomic(durable=True):
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        changed = (
            segment.readable
            or segment.parse_error != error
            or segment.media_status != Segment.MediaStatus.FAILED
        )
        if changed:
            segment.readable = False
            segment.parse_error = error
            segment.media_status = Segment.MediaStatus.FAILED
            segment.save(update_fields=["readable", "parse_error", "media_status"])
            record_event(
                None,
                Action.SEGMENT_MARKED_UNREADABLE,
                segment,
                {"sha256": segment.blob_id, "error": error},
            )
        # The alerts app raises ``records.unreadable`` (an open one is not raised twice).
        segment_marked_unreadable.send(Segment, segment=segment, error=error)
    return segment


# --- files ------------------------------------------------------------------------------------


def _work_dir():
    """A private temporary folder of the job (removed after it, or after a crash)."""
    return work_dir("media")


@contextlib.contextmanager
def _readable_path(sha256: str, work: Path) -> Iterator[Path]:
    """A path PyAV can open and seek: the local store's own file, or a streamed copy."""
    store = blob_store()
    local = getattr(store, "path", None)
    if local is not None:
        path = Path(local(sha256))
        if path.is_file():
            yield path
            return
    copy = work / "original"
    with store.open(sha256) as src, open(copy, "wb") as dst:
        shutil.copyfileobj(src, dst, COPY_CHUNK)
    yield copy


# --- PyAV -------------------------------------------------------------------------------------


def probe_file(path: Path) -> Probe:
    """The container and codecs; :class:`Unreadable` when it is no audio/video file."""
    try:
        container = av.open(str(path), "r")
    except av.FFmpegError as e:
        raise Unreadable(f"无法解析为音视频文件：{_reason(e)}") from e
    with container:
        name = container.format.name
        if name in NOT_AV_FORMATS or name.endswith("_pipe"):
            raise Unreadable(f"不是音视频文件（识别为 {name}）")
        probe = Probe(container=name)
        for stream in container.streams:
            codec = stream.codec_context.name if stream.codec_context else ""
            if stream.type == "video" and not probe.video_codec and codec:
                if stream.disposition & av.stream.Disposition.attached_pic:
                    continue  # cover art, not the recording
                probe.video_codec = codec
                fmt = getattr(stream.codec_context, "format", None)  # a video codec's
                probe.pix_fmt = fmt.name if fmt else ""
            elif stream.type == "audio" and codec:
                probe.audio_codecs.append(codec)
        if not probe.video_codec and not probe.audio_codecs:
            raise Unreadable("文件中没有可解析的音频或视频流（文件可能不完整）")
        if container.duration is not None:
            probe.duration = container.duration / av.time_base
    return probe


def _reason(e: av.FFmpegError) -> str:
    return e.strerror or str(e)


def _video_stream(container):
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def make_thumbnail(source: Path, dest: Path) -> None:
    """Write one JPEG frame about THUMBNAIL_AT_SECONDS in (or the first frame) to ``dest``."""
    with av.open(str(source), "r") as container:
        stream = _video_stream(container)
        if stream is None:
            raise Unreadable("没有视频流")
        frame = _frame_near(container, stream, THUMBNAIL_AT_SECONDS)
        if frame is None:
            raise Unreadable("视频流中没有可解码的画面（文件可能不完整）")
    width, height = _fit(frame.width, frame.height, THUMBNAIL_MAX_WIDTH)
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"q:v": "3"}
    image = frame.reformat(width=width, height=height, format="yuvj420p")
    image.pts = 0
    with open(dest, "wb") as out:
        for packet in [*encoder.encode(image), *encoder.encode(None)]:
            out.write(bytes(packet))


def _frame_near(container, stream, seconds: float):
    """The first decoded frame at or after ``seconds``; the last one if the clip is shorter."""
    last = None
    for frame in container.decode(stream):
        if frame.time is None or frame.time >= seconds:
            return frame
        last = frame
    return last


def _fit(width: int, height: int, max_width: int) -> tuple[int, int]:
    """Scale down to ``max_width`` keeping the aspect; even sizes (4:2:0 needs them)."""
    if width > max_width:
        height = round(height * max_width / width)
        width = max_width
    return max(2, width - width % 2), max(2, height - height % 2)


def make_proxy(source: Path, dest: Path) -> None:
    """Transcode to an H.264/AAC MP4 with the index in front (faststart), frame by frame."""
    with av.open(str(source), "r") as src:
        vin = _video_stream(src)
        ain = src.streams.audio[0] if src.streams.audio else None
        with av.open(str(dest), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            vout = aout = None
            if vin is not None:
                vin.thread_type = "AUTO"
                rate = vin.average_rate or vin.guessed_rate or Fraction(25)
                vout = out.add_stream("libx264", rate=rate)
                vout.width, vout.height = _fit(vin.width, vin.height, PROXY_MAX_WIDTH)
                vout.pix_fmt = "yuv420p"
                vout.codec_context.time_base = vin.time_base or Fraction(1, 90000)
                vout.options = {"preset": "veryfast", "crf": "23"}
            if ain is not None:
                rate = ain.sample_rate if ain.sample_rate in AAC_RATES else 48000
                layout = "mono" if ain.channels == 1 else "stereo"
                aout = out.add_stream("aac", rate=rate, layout=layout)
            streams = [s for s in (vin, ain) if s is not None]
            for packet in src.demux(*streams):
                for frame in packet.decode():
                    target = vout if packet.stream is vin else aout
                    assert target is not None  # a packet of ain means aout was added
                    for encoded in target.encode(frame):
                        out.mux(encoded)
            for target in (vout, aout):
                if target is not None:
                    for encoded in target.encode(None):
                        out.mux(encoded)
