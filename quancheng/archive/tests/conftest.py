"""Record items, dossiers and stores for the retention, hold and disposal tests."""

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from PIL import Image

from quancheng.archive.models import Dossier, DossierEntry, RetentionClass
from quancheng.archive.retention import SHANGHAI
from quancheng.lib.blobstore.tests.seaweed import new_bucket_name
from quancheng.records.items import create_document, create_segment
from quancheng.records.services import blob_store, register_blob
from quancheng.records.tests.media_fixtures import make_clip


@pytest.fixture(autouse=True)
def _placeholder_records_do_not_block_sealing(settings):
    """These tests' records are placeholder bytes, not real PDFs and videos: the 四性 checks
    still run and keep their report at every freeze, but do not refuse it. The checks
    themselves are tested on real files (archive/tests/test_fourchecks.py)."""
    settings.QC_ARCHIVE_CHECKS_BLOCK = False


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def s3_blob_store(settings, seaweedfs):
    """QC_BLOB_STORE pointing at a fresh Object Lock bucket on the test SeaweedFS."""
    settings.QC_BLOB_STORE = (
        f"s3://{new_bucket_name()}?endpoint_url={seaweedfs.s3_url}&region=us-east-1"
        f"&access_key_id={seaweedfs.access_key}&secret_access_key={seaweedfs.secret_key}"
        "&create_bucket=1"
    )
    return blob_store()


def store_bytes(agency, data: bytes | None = None):
    info = blob_store().put(io.BytesIO(data if data is not None else os.urandom(2048)))
    with transaction.atomic():
        return register_blob(info, agency)


def shanghai(year, month, day, hour=10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def make_segment(actor, act, *, started_at=None, data=None, is_evidence=False, **fields):
    """A segment of the act over random bytes; ``fields`` go to create_segment (e.g. a
    ``duration_seconds``, which markers need)."""
    blob = store_bytes(act.agency, data)
    return create_segment(
        actor,
        agency=act.agency,
        blob=blob,
        source="upload",
        act=act,
        original_filename="执法记录仪_001.mp4",
        content_type="video/mp4",
        started_at=started_at or timezone.now(),
        is_evidence=is_evidence,
        **fields,
    )


def make_document(actor, act, *, data=None, blob=None):
    blob = blob or store_bytes(act.agency, data)
    return create_document(
        actor,
        agency=act.agency,
        blob=blob,
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type="现场检查笔录",
        original_filename="笔录.pdf",
        content_type="application/pdf",
    )


def freeze_dossier(act, custodian, *, retention_class=RetentionClass.Y10, archived_on, items=()):
    years = {RetentionClass.Y10: 10, RetentionClass.Y30: 30}.get(retention_class)
    dossier = Dossier.objects.create(
        agency=act.agency,
        act=act,
        kind=Dossier.Kind.INSPECTION,
        number=f"渝中卫档〔{archived_on.year}〕{act.pk}号",
        title="监督检查案卷",
        retention_class=retention_class,
        status=Dossier.Status.FROZEN,
        custodian=custodian,
        archived_on=archived_on,
        retain_until=archived_on.replace(year=archived_on.year + years) if years else None,
        frozen_at=timezone.now(),
    )
    for position, item in enumerate(items, start=1):
        DossierEntry.objects.create(
            dossier=dossier,
            section=DossierEntry.Section.AV
            if item._meta.model_name == "segment"
            else DossierEntry.Section.DOCUMENT,
            position=position,
            item_kind=item._meta.model_name,
            item_id=item.pk,
            title=str(item),
        )
    return dossier


@pytest.fixture(scope="session")
def real_files(tmp_path_factory) -> dict[str, Path]:
    """A PDF, an H.264 clip and an MPEG-4 AVI, made once per session (fourchecks_scene.py)."""
    d = tmp_path_factory.mktemp("fourchecks")
    pdf = d / "record.pdf"
    Image.new("RGB", (60, 80), "white").save(pdf, format="PDF")
    return {
        "pdf": pdf,
        "h264": make_clip(d / "h264.mp4", "libx264"),
        "avi": make_clip(d / "mpeg4.avi", "mpeg4", audio=False),
    }
