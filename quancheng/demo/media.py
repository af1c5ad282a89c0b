"""The demo's files: one short real clip (PyAV) and one document page (WeasyPrint), made once per
process and reused. Each segment is stored as its own blob (ingest keeps a file once per agency),
a copy of the clip with a unique MP4 ``free`` box: still the same playable two seconds."""

from __future__ import annotations

import functools
import io

from quancheng.records.models import Blob
from quancheng.records.services import put_record, register_blob
from quancheng.supervision.democity import make_clip, unique_copy

CLIP_SECONDS = 2


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
