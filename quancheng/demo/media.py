"""The demo's files: one short real clip (PyAV) and one document page (WeasyPrint), made once per
process and reused. Each segment is stored as its own blob (ingest keeps a file once per agency),
a copy of the clip with a unique MP4 ``free`` box: still the same playable two seconds."""

from __future__ import annotations

import functools
import io
import struct
import tempfile
from pathlib import Path

from quancheng.records.models import Blob
from quancheng.records.services import put_record, register_blob

CLIP_SECONDS = 2


def make_clip(seconds: int, shade: int = 0, fps: int = 2) -> bytes:
    """A real H.264/MP4 clip of ``seconds`` (64×48, grey levels moving), made with PyAV."""
    import av

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.mp4"
        with av.open(str(path), "w") as out:
            video = out.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
            for i in range(max(1, seconds * fps)):
                frame = av.VideoFrame(64, 48, "rgb24")
                frame.planes[0].update(bytes([(shade + i * 7) % 256]) * frame.planes[0].buffer_size)
                frame.pts = i
                for packet in video.encode(frame):
                    out.mux(packet)
            for packet in video.encode(None):
                out.mux(packet)
        return path.read_bytes()


def unique_copy(clip: bytes, tag: str) -> bytes:
    """The clip plus a top-level MP4 ``free`` box naming ``tag``: still the same playable video,
    but other bytes (each segment is its own blob)."""
    payload = tag.encode()
    return clip + struct.pack(">I", 8 + len(payload)) + b"free" + payload


@functools.cache
def clip() -> bytes:
    """A real two-second H.264/MP4 clip (64×48), a few kilobytes."""
    return make_clip(CLIP_SECONDS, shade=40)


@functools.cache
def document_pdf() -> bytes:
    """A one-page A4 PDF with text (a document as a terminal sends it: not an image-only scan,
    so the scan reader leaves it alone)."""
    from weasyprint import HTML

    html = (
        '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\', sans-serif">'
        "<h1>卫生健康行政执法文书</h1><p>演示数据：文书扫描件（仅供演示）。</p></body></html>"
    )
    return HTML(string=html).write_pdf()


def store(data: bytes, agency) -> Blob:
    """Keep ``data`` in the blob store (write-once) and note it for ``agency``."""
    return register_blob(put_record(io.BytesIO(data)), agency)


def segment_blob(agency, tag: str) -> Blob:
    return store(unique_copy(clip(), tag), agency)
