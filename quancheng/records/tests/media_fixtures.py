"""Tiny clips made with PyAV once per session (64x48, 1 s), and segments stored from them.

Imported by the media, HTTP and page tests (not a conftest: other records tests do not need it).
"""

from pathlib import Path

import av
import pytest
from django.db import transaction

from quancheng.records.items import create_segment
from quancheng.records.services import blob_store, register_blob

WIDTH, HEIGHT, FPS = 64, 48, 25


def make_clip(path: Path, codec: str, fmt: str | None = None, audio: bool = True) -> Path:
    """A 1-second clip with a moving grey level and, optionally, silent AAC audio."""
    with av.open(str(path), "w", format=fmt) as out:
        video = out.add_stream(codec, rate=FPS)
        assert isinstance(video, av.VideoStream)  # codec is a video codec's name
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        if codec == "libx265":
            video.options = {"x265-params": "log-level=none"}
        sound = out.add_stream("aac", rate=16000, layout="mono") if audio else None
        for i in range(FPS):
            frame = av.VideoFrame(WIDTH, HEIGHT, "rgb24")
            frame.planes[0].update(bytes([i * 9 % 256]) * frame.planes[0].buffer_size)
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if sound is not None:
            for i in range(16):
                samples = av.AudioFrame(format="fltp", layout="mono", samples=1024)
                samples.planes[0].update(bytes(samples.planes[0].buffer_size))
                samples.sample_rate, samples.pts = 16000, i * 1024
                for packet in sound.encode(samples):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
    return path


@pytest.fixture(scope="session", name="clips")
def clips_fixture(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    h264 = make_clip(d / "h264.mp4", "libx264")
    truncated = d / "truncated.mp4"
    data = h264.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: cut off
    text = d / "notes.mp4"
    text.write_bytes("不是视频，只是一段文字。\n".encode() * 50)
    return {
        "h264": h264,
        "h265": make_clip(d / "h265.mp4", "libx265"),
        "avi": make_clip(d / "mpeg4.avi", "mpeg4", audio=False),
        "truncated": truncated,
        "text": text,
    }


def store_segment(actor, path: Path, *, agency, act=None, **fields):
    """Store a file as an uploaded segment, as the upload path would."""
    with open(path, "rb") as f:
        info = blob_store().put(f)
    with transaction.atomic():
        blob = register_blob(info, agency)
    fields.setdefault("original_filename", path.name)
    fields.setdefault("content_type", "video/mp4" if path.suffix == ".mp4" else "video/x-msvideo")
    return create_segment(actor, agency=agency, blob=blob, source="upload", act=act, **fields)
