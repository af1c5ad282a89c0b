"""A finished inspection with real records (a PDF, an H.264 clip, a data record) whose dossier
passes the 四性 checks, for the checks' and the transfer's tests. The files are made once per
session (PyAV, Pillow: the ``real_files`` fixture in conftest.py); the scene is built through the
services."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from django.db import transaction
from PIL import Image

from quancheng.archive import dossiers
from quancheng.records.items import create_data_record, create_document, create_segment
from quancheng.records.models import DataKind
from quancheng.records.services import blob_store, put_record, register_blob
from quancheng.records.sm3 import compute_sm3


def stored(path: Path, agency):
    with open(path, "rb") as f:
        info = put_record(f)
    with transaction.atomic():
        blob = register_blob(info, agency)
    compute_sm3(blob)  # SM3 after ingest, as the scheduled job does
    blob.refresh_from_db()
    return blob


def segment_of(officer, act, device, path: Path, **fields):
    fields = {
        "started_at": act.started_at,
        "ended_at": act.started_at + dt.timedelta(seconds=1),
        "officer": officer,
        "device": device,
        "duration_seconds": 1.0,
        "container": "mp4",
        "original_filename": path.name,
        **fields,
    }
    return create_segment(
        officer, agency=act.agency, blob=stored(path, act.agency), source="upload", act=act,
        **fields,
    )  # fmt: skip


def inspection_dossier(officer, custodian, act, device, real_files):
    """The act's records and its assembled dossier; returns (dossier, records by name)."""
    document = create_document(
        officer,
        agency=act.agency,
        blob=stored(real_files["pdf"], act.agency),
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type="现场笔录",
        written_started_at=act.started_at,
        written_ended_at=act.ended_at,
    )
    video = segment_of(officer, act, device, real_files["h264"])
    kind, _ = DataKind.objects.get_or_create(
        code="inspection-items", defaults={"name": "监督检查项目", "schema": {"type": "object"}}
    )
    data = create_data_record(
        officer,
        agency=act.agency,
        kind=kind,
        data={"items": ["消毒记录"]},
        recorded_at=act.started_at,
        source="api",
        act=act,
    )
    dossier = dossiers.assemble_dossier(custodian, act=act)
    return dossier, {"document": document, "video": video, "data": data}


def spoil_blob(sha256: str, data: bytes = b"altered") -> None:
    """Overwrite a stored blob in place, as someone with the disk would."""
    path = blob_store().path(sha256)
    path.chmod(0o600)
    with open(path, "r+b") as f:
        f.write(data)


def pdf_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(buf, format="PDF")
    return buf.getvalue()
