"""Uploads with and without a recording time, for the tests of segment times (issue 14 ¶1):
real 2-second H.264/AAC clips (made once per session by ingest_media), uploaded through the tus
services and attached to an act as the upload page and the API do."""

from __future__ import annotations

import base64
import datetime as dt
import io

from quancheng.records.attach import attach_upload
from quancheng.records.models import Segment, Upload
from quancheng.records.services import append, create_upload

from .ingest_media import clip_bytes, utc_tag

SERIAL = "DSJ-U01"
GPS = ("com.apple.quicktime.location.ISO6709", "+29.5630+106.5516/")
# Starts like an MP4 (the attach step's sniffing accepts it) but is no playable file.
BROKEN_MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(200) + b"moov"


def timed_clip(start: dt.datetime, *tags) -> bytes:
    """A 2-second clip stamped with its recording time (and tags) as a camera does."""
    return clip_bytes(utc_tag(start), 2, tags=tuple(tags), metadata_keys=True)


def untimed_clip() -> bytes:
    """A 2-second clip whose container carries no time (a camera with its clock unset)."""
    return clip_bytes("", 2)


def finished_upload(user, content: bytes, filename="file.bin", act=None) -> Upload:
    """A completed upload of ``content`` through the tus services (what the page's PATCHes do)."""
    metadata = {"filename": filename}
    if act is not None:
        metadata["act"] = str(act.pk)
    upload = create_upload(user, len(content), metadata)
    return append(upload, 0, io.BytesIO(content).read, len(content)).upload


def upload_segment(user, act, data: bytes, name="clip.mp4") -> Segment:
    """Upload ``data`` and attach it to ``act`` as a segment, as the upload page does."""
    item = attach_upload(user, act, finished_upload(user, data, name, act).pk, "segment").item
    assert isinstance(item, Segment)
    return item


def upload_through_api(client, secret: str, act, data: bytes, name: str):
    """A terminal's path: tus creation and one PATCH, then POST /acts/{id}/segments; the answer.

    ``client`` is Django's test client; ``secret`` the terminal's bearer token.
    """
    auth = {"Authorization": f"Bearer {secret}", "Tus-Resumable": "1.0.0"}
    encoded = base64.b64encode(name.encode()).decode()
    created = client.generic(
        "POST",
        "/api/v1/uploads/",
        b"",
        headers={**auth, "Upload-Length": str(len(data)), "Upload-Metadata": f"filename {encoded}"},
    )
    assert created.status_code == 201, created.content
    location = created["Location"]
    sent = client.patch(
        location,
        data,
        content_type="application/offset+octet-stream",
        headers={**auth, "Upload-Offset": "0"},
    )
    assert sent.status_code == 204, sent.content
    return client.post(
        f"/api/v1/acts/{act.pk}/segments",
        {"upload_id": location.rstrip("/").rsplit("/", 1)[-1]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
