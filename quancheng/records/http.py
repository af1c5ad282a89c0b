"""Serving stored blobs over HTTP with byte ranges (RFC 9110 §14), for playback and downloads.

* No ``Range``: 200 with the whole blob and ``Accept-Ranges: bytes``.
* One range (``bytes=0-99``, ``bytes=100-``, ``bytes=-100``): 206 with ``Content-Range``.
* ``If-Range`` with the strong ETag (``"<sha256>"``) or the exact ``Last-Modified`` date: the
  range is honoured only when it matches; otherwise the whole blob is sent (200).
* A malformed range, one whose start lies past the end, or ``bytes=-0``: 416 with
  ``Content-Range: bytes */<size>``.
* Several ranges (``bytes=0-1,5-9``): answered 200 with the whole body, which RFC 9110 allows
  (a server may ignore Range); multipart/byteranges is not produced. A unit other than ``bytes``
  is ignored the same way.
* A blob whose last fixity check failed (``Blob.damaged_at``): 409 with the reason, for a range
  as for the whole file, until it is repaired.
* Every answer carries both digests of the whole file: ``Repr-Digest`` (SHA-256, RFC 9530) and
  ``X-Content-SM3`` (the SM3, or ``pending`` until computed; docs/national-crypto.md).
* ``If-None-Match`` with the ETag: 304. A blob never changes under its name, so the ETag is
  strong and never stale.

Every byte goes through :func:`stream_blob`, the one place that reads the store for HTTP: a
stream that re-hashes the whole blob on the way (:mod:`quancheng.records.stream`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe

from quancheng.lib.blobstore import BlobNotFound

from .models import Blob
from .stream import verified_chunks

CHUNK_SIZE = 256 * 1024
_RANGE_RE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeNotSatisfiable(Exception):
    pass


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # exclusive, like the blob store's ranges

    @property
    def length(self) -> int:
        return self.end - self.start


def stream_blob(sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """The blob's bytes ``[start, end)`` in chunks, read from the store as they are sent.

    A response that sends the whole blob re-hashes it on the way (a fixity check in the ledger,
    an alert when it does not match: quancheng.records.stream).
    """
    yield from verified_chunks(sha256, start, end, chunk_size=CHUNK_SIZE, purpose="http")


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one range a ``Range`` header asks for; None to send the whole blob.

    Raises :class:`RangeNotSatisfiable` for a malformed or unsatisfiable bytes range.
    """
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None  # another unit (or none): ignored, the whole body is sent
    parts = spec.split(",")
    parsed = [_RANGE_RE.match(p) for p in parts]
    if any(m is None or m.groups() == ("", "") for m in parsed):
        raise RangeNotSatisfiable(header)
    ranges = [_resolve(m.group(1), m.group(2), size) for m in parsed if m is not None]
    satisfiable = [r for r in ranges if r is not None]
    if not satisfiable:
        raise RangeNotSatisfiable(header)
    if len(parts) > 1:
        return None  # several ranges: the whole body (documented above)
    return satisfiable[0]


def _resolve(first: str, last: str, size: int) -> ByteRange | None:
    if first == "":  # suffix: the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            return None
        return ByteRange(max(0, size - n), size)
    start = int(first)
    if last != "" and int(last) < start:
        raise RangeNotSatisfiable(f"{first}-{last}")
    if start >= size:
        return None
    end = size if last == "" else min(int(last) + 1, size)
    return ByteRange(start, end)


def etag_of(blob: Blob) -> str:
    return f'"{blob.sha256}"'


def digest_headers(blob: Blob) -> dict[str, str]:
    """Both digests of the whole file, whatever range is served (docs/national-crypto.md).

    ``Repr-Digest`` (RFC 9530) with SHA-256, the one of the two in the IANA registry of HTTP
    digest algorithms; the SM3 in ``X-Content-SM3`` (hex), or ``pending`` until the background
    job has computed it (records/sm3.py).
    """
    sha256 = base64.b64encode(bytes.fromhex(blob.sha256)).decode("ascii")
    return {"Repr-Digest": f"sha-256=:{sha256}:", "X-Content-SM3": blob.sm3 or "pending"}


def _if_range_matches(request: HttpRequest, blob: Blob) -> bool:
    value = request.headers.get("If-Range")
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return value == etag_of(blob)  # weak tags never match (strong comparison)
    since = parse_http_date_safe(value)
    return since is not None and since == int(blob.created_at.timestamp())


def _none_match(request: HttpRequest, blob: Blob) -> bool:
    value = request.headers.get("If-None-Match")
    if not value:
        return False
    tags = {t.strip().removeprefix("W/") for t in value.split(",")}
    return "*" in tags or etag_of(blob) in tags


def serve_blob(
    request: HttpRequest,
    blob: Blob,
    *,
    content_type: str,
    filename: str = "",
    as_attachment: bool = False,
) -> HttpResponseBase:
    """A response carrying the blob (or the one range asked for), streamed from the store."""
    if blob.disposed_at is not None:  # removed by an approved disposal (archive/disposal.py)
        return HttpResponse(
            "该记录已按规定销毁", status=410, content_type="text/plain; charset=utf-8"
        )
    if blob.damaged_at is not None:
        return damaged_response(request, blob)
    size = blob.size
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag_of(blob),
        "Last-Modified": http_date(blob.created_at.timestamp()),
        # Record content: kept by the user's browser only, never by a shared cache.
        "Cache-Control": "private, no-transform",
        **digest_headers(blob),
    }
    disposition = content_disposition_header(as_attachment, filename) if filename else None
    if disposition is None:
        disposition = "attachment" if as_attachment else "inline"
    headers["Content-Disposition"] = disposition
    if _none_match(request, blob):
        return HttpResponse(status=304, headers=headers)

    _require_stored(blob)
    wanted = None
    range_header = request.headers.get("Range")
    if range_header and _if_range_matches(request, blob):
        try:
            wanted = parse_range(range_header, size)
        except RangeNotSatisfiable:
            headers["Content-Range"] = f"bytes */{size}"
            return HttpResponse(status=416, headers=headers)

    if wanted is None:
        status, start, end = 200, 0, size
    else:
        status, start, end = 206, wanted.start, wanted.end
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type, headers=headers)
        response["Content-Length"] = str(end - start)
        return response
    return StreamingHttpResponse(
        stream_blob(blob.sha256, start, end),
        status=status,
        content_type=content_type,
        headers=headers,
    )


def _require_stored(blob: Blob) -> None:
    """Raise ``BlobNotFound`` before the status line is sent, not in the middle of the body.

    The web and API layers turn it into a clear 404 page (or JSON) and an alert.
    """
    from .services import blob_store

    if not blob_store().exists(blob.sha256):
        raise BlobNotFound(blob.sha256)


def damaged_response(request: HttpRequest, blob: Blob) -> HttpResponse:
    """409 for a blob whose last fixity check failed: neither a range (which cannot be checked
    on the way) nor the whole file (whose check would fail again) is handed out until the blob
    is repaired (docs/fixity.md, "Repair")."""
    checked = timezone.localtime(blob.damaged_at).strftime("%Y-%m-%d %H:%M")
    message = (
        f"该文件在 {checked} 的完整性校验中发现存储副本被改动或缺失，修复前不予提供，"
        "请联系记录管理专人"
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "blob_damaged", "message": message}, status=409)
    return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")


def served_range(response: HttpResponseBase) -> str:
    """What a response sent, for the ledger: ``full`` or the Content-Range value."""
    return response.get("Content-Range", "full") if response.status_code == 206 else "full"
