"""The redacted copy (脱敏副本) of a recording: faces blurred, chosen audio ranges muted.

One streaming pass through PyAV: frames are decoded one at a time, faces detected on every
``detect_every``-th frame (:mod:`.faces`) and tracked (:mod:`.tracking`), and the frames written
to an H.264/AAC MP4 with the index in front (``movflags=faststart``, so the head's player seeks
over HTTP Range). Frames between two detection frames wait in a short buffer (``detect_every -
1`` frames, never the whole video) and get the faces of both detections: a face that enters the
picture between two detections is blurred from its first frame, not from the next detection on.

The original is only read; the caller stores the result as a new blob.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from . import faces
from .faces import Box
from .tracking import FaceTracker

AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000]
# A face is reduced to this many pixels across its longer side, then scaled back up smoothly:
# nothing of its features survives (the tests run the detector on the result).
BLUR_PIXELS = 4

Detector = Callable[[np.ndarray, tuple[int, int], float], list[Box]]


class RedactionError(Exception):
    """The recording cannot be redacted (the message, in Chinese, is shown to the requester)."""


@dataclass(frozen=True)
class Params:
    """What a redaction was asked to do; recorded in its ledger events as they are."""

    threshold: float = faces.DEFAULT_THRESHOLD
    detect_every: int = 3
    hold_seconds: float = 1.0
    mask_scale: float = 1.6
    mute: tuple[tuple[float, float], ...] = ()
    preset: str = "veryfast"
    crf: int = 23

    def as_body(self) -> dict:
        body = asdict(self)
        body["mute"] = [list(r) for r in self.mute]
        return body


@dataclass
class Stats:
    frames: int = 0
    detection_frames: int = 0
    faces_detected: int = 0
    frames_blurred: int = 0
    tracks: int = 0
    audio_seconds_muted: float = 0.0
    width: int = 0
    height: int = 0
    extra: dict = field(default_factory=dict)

    def as_body(self) -> dict:
        body = asdict(self)
        body["audio_seconds_muted"] = round(self.audio_seconds_muted, 3)
        body.pop("extra")
        return body


def redact_video(
    source: Path,
    dest: Path,
    params: Params,
    *,
    detector: Detector | None = None,
    progress: Callable[[float], None] | None = None,
) -> Stats:
    """Write the redacted copy of ``source`` to ``dest``; what was done."""
    detector = detector or faces.detect
    stats = Stats()
    try:
        src = av.open(str(source), "r")
    except av.FFmpegError as e:
        raise RedactionError(f"无法读取原始音像记录：{e}") from e
    with src:
        vin = src.streams.video[0] if src.streams.video else None
        ain = src.streams.audio[0] if src.streams.audio else None
        if vin is None and ain is None:
            raise RedactionError("原始记录中没有音频或视频")
        duration = float(src.duration / av.time_base) if src.duration else 0.0
        with av.open(str(dest), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = _VideoPass(vin, out, params, detector, stats) if vin is not None else None
            audio = _AudioPass(ain, out, params, stats) if ain is not None else None
            streams = [s for s in (vin, ain) if s is not None]
            reported = 0.0
            for packet in src.demux(*streams):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame) and video is not None:
                        video.add(frame)
                    elif isinstance(frame, av.AudioFrame) and audio is not None:
                        audio.add(frame)
                    else:
                        continue  # only the two passes' streams are demuxed
                    if progress and duration and frame.time is not None:
                        done = min(1.0, frame.time / duration)
                        if done - reported >= 0.02:
                            reported = done
                            progress(done)
            for part in (video, audio):
                if part is not None:
                    part.finish()
    return stats


class _VideoPass:
    def __init__(self, vin, out, params: Params, detector: Detector, stats: Stats):
        vin.thread_type = "AUTO"
        rate = vin.average_rate or vin.guessed_rate or Fraction(25)
        self.out, self.params, self.detector, self.stats = out, params, detector, stats
        self.width, self.height = vin.width - vin.width % 2, vin.height - vin.height % 2
        stats.width, stats.height = self.width, self.height
        self.stream = out.add_stream("libx264", rate=rate)
        self.stream.width, self.stream.height = self.width, self.height
        self.stream.pix_fmt = "yuv420p"
        self.stream.codec_context.time_base = vin.time_base or Fraction(1, 90000)
        self.stream.options = {"preset": params.preset, "crf": str(params.crf)}
        self.stride = max(1, params.detect_every)
        hold = max(self.stride, round(params.hold_seconds * float(rate)))
        self.tracker = FaceTracker(hold_frames=hold)
        self.input_size = faces.input_size(vin.width, vin.height)
        self.index = 0
        self.pending: list[av.VideoFrame] = []
        self.last: list[Box] = []

    def add(self, frame: av.VideoFrame) -> None:
        if self.index % self.stride:
            self.pending.append(frame)
        else:
            small = frame.reformat(
                width=self.input_size[0], height=self.input_size[1], format="rgb24"
            ).to_ndarray()
            found = self.detector(small, (frame.width, frame.height), self.params.threshold)
            self.stats.detection_frames += 1
            self.stats.faces_detected += len(found)
            boxes = self.tracker.update(self.index, found)
            # Frames since the previous detection get the faces of both ends.
            for waiting in self.pending:
                self._write(waiting, self.last + boxes)
            self.pending = []
            self._write(frame, boxes)
            self.last = boxes
        self.index += 1

    def finish(self) -> None:
        for waiting in self.pending:
            self._write(waiting, self.last)
        self.pending = []
        self.stats.tracks = self.tracker.total_tracks
        for packet in self.stream.encode(None):
            self.out.mux(packet)

    def _write(self, frame: av.VideoFrame, boxes: list[Box]) -> None:
        self.stats.frames += 1
        if boxes:
            rgb = frame.to_ndarray(format="rgb24")
            blurred = blur_boxes(rgb, boxes, self.params.mask_scale)
            if blurred:
                self.stats.frames_blurred += 1
                new = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                new.pts, new.time_base = frame.pts, frame.time_base
                frame = new
        frame.pict_type = av.video.frame.PictureType.NONE
        for packet in self.stream.encode(frame):
            self.out.mux(packet)


def blur_boxes(rgb: np.ndarray, boxes: list[Box], mask_scale: float) -> int:
    """Blur each box (grown by ``mask_scale``) in place; how many were blurred."""
    height, width = rgb.shape[:2]
    done = 0
    for box in boxes:
        x1, y1, x2, y2 = box.scaled(mask_scale, width, height)
        w, h = x2 - x1, y2 - y1
        if w < 2 or h < 2:
            continue
        factor = BLUR_PIXELS / max(w, h)
        region = Image.fromarray(rgb[y1:y2, x1:x2])
        small = region.resize(
            (max(1, round(w * factor)), max(1, round(h * factor))), Image.Resampling.BOX
        )
        rgb[y1:y2, x1:x2] = np.asarray(small.resize((w, h), Image.Resampling.BILINEAR))
        done += 1
    return done


class _AudioPass:
    def __init__(self, ain, out, params: Params, stats: Stats):
        self.rate = ain.sample_rate or 48000
        out_rate = self.rate if self.rate in AAC_RATES else 48000
        layout = "mono" if ain.channels == 1 else "stereo"
        self.out, self.stats = out, stats
        self.stream = out.add_stream("aac", rate=out_rate, layout=layout)
        self.mute = [(int(a * self.rate), int(b * self.rate)) for a, b in params.mute if b > a]
        self.position = 0  # samples since the first audio frame: the player's time axis

    def add(self, frame: av.AudioFrame) -> None:
        start, n = self.position, frame.samples
        self.position += n
        cuts = [(max(a, start), min(b, start + n)) for a, b in self.mute]
        cuts = [(a - start, b - start) for a, b in cuts if b > a]
        if cuts:
            frame = self._muted(frame, cuts)
        for packet in self.stream.encode(frame):
            self.out.mux(packet)

    def _muted(self, frame: av.AudioFrame, cuts) -> av.AudioFrame:
        samples = frame.to_ndarray()
        channels = 1 if frame.format.is_planar else len(frame.layout.channels)
        for a, b in cuts:
            samples[:, a * channels : b * channels] = 0
            self.stats.audio_seconds_muted += (b - a) / self.rate
        new = av.AudioFrame.from_ndarray(
            samples, format=frame.format.name, layout=frame.layout.name
        )
        new.sample_rate, new.pts, new.time_base = frame.sample_rate, frame.pts, frame.time_base
        return new

    def finish(self) -> None:
        for packet in self.stream.encode(None):
            self.out.mux(packet)
