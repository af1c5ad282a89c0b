"""Tiny real camera files for the ingest tests: H.264/AAC MP4s made with PyAV (64x48, 10 fps).

Each distinct clip is encoded once per test session and copied where a test needs it.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import tempfile
from pathlib import Path

import av

WIDTH, HEIGHT, FPS, SAMPLE_RATE = 64, 48, 10, 8000


@functools.cache
def clip_bytes(
    creation_time: str = "",
    seconds: int = 1,
    *,
    tags: tuple[tuple[str, str], ...] = (),
    metadata_keys: bool = False,
    faststart: bool = False,
    container: str = "mp4",
) -> bytes:
    """The bytes of a clip; ``creation_time`` as the camera writes it ("" for none).

    ``metadata_keys`` stores the container tags as MP4 metadata keys verbatim (``movflags
    use_metadata_tags``), which is how a naive local time reaches the file unchanged.
    """
    options = {}
    flags = [f for f, on in (("use_metadata_tags", metadata_keys), ("faststart", faststart)) if on]
    if flags:
        options["movflags"] = "+".join(flags)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"clip.{container}"
        out = av.open(str(path), "w", options=options)
        if creation_time:
            out.metadata["creation_time"] = creation_time
        for key, value in tags:
            out.metadata[key] = value
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        for i in range(seconds * FPS):
            frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(i * 23) % 256]) * plane.buffer_size)
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        samples_per_frame = 1024
        total = seconds * SAMPLE_RATE
        for start in range(0, total, samples_per_frame):
            n = min(samples_per_frame, total - start)
            samples = av.AudioFrame(format="fltp", layout="mono", samples=n)
            tone = [0.2 * math.sin(2 * math.pi * 440 * (start + k) / SAMPLE_RATE) for k in range(n)]
            samples.planes[0].update(_floats(tone))
            samples.sample_rate = SAMPLE_RATE
            samples.pts = start
            out.mux(audio.encode(samples))
        out.mux(audio.encode())
        out.close()
        return path.read_bytes()


def _floats(values) -> bytes:
    import array

    return array.array("f", values).tobytes()


def utc_tag(moment: dt.datetime) -> str:
    """A creation_time as FFmpeg writes it into MP4: UTC with Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def write_clip(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
