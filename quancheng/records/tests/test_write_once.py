"""Every record's bytes enter the blob store through one path that locks them (issue 16, 8).

Deployed on SeaweedFS with Object Lock, only tus uploads used to be stored with a retain-until
date: dock ingest, derivatives, finalised PDFs, signatures, extraction notes and packages could be
deleted through the S3 API. Now ``put_record``/``put_record_file`` are the only callers of the
store's ``put``; a source check keeps it so, and SeaweedFS refuses deleting what they stored.
(The documents' own kinds: quancheng/documents/tests/test_write_once.py.)
"""

import ast
import io
import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from quancheng.records.media import make_derivatives
from quancheng.records.models import Segment
from quancheng.records.services import blob_store, put_record

from .ingest_media import clip_bytes, utc_tag, write_clip
from .ingest_scene import bj, stamp
from .s3 import delete_every_version, locked_bucket

PACKAGE = Path(django_settings.BASE_DIR) / "quancheng"
# The store's own package, and the one module that decides the retention of every put.
ALLOWED = {"lib/blobstore", "records/services.py"}


def _put_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("put", "put_file")
            and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "router")
        ):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_no_code_but_put_record_writes_to_the_blob_store():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if "/tests/" in f"/{rel}" or rel.startswith("scenarios/"):
            continue  # tests put blobs of their own on purpose
        if any(rel == a or rel.startswith(a + "/") for a in ALLOWED):
            continue
        offenders += _put_calls(path)
    assert offenders == [], "store record bytes with records.services.put_record(_file)"


@pytest.mark.django_db
def test_put_record_locks_for_the_minimum_retention(seaweedfs, settings):
    locked_bucket(seaweedfs, settings)
    settings.QC_BLOB_MIN_RETENTION_DAYS = 183

    info = put_record(io.BytesIO(os.urandom(1000)))

    mode, until = blob_store().retention(info.sha256)
    assert mode == "COMPLIANCE"
    assert (until - timezone.now()).days in (182, 183)


@pytest.mark.django_db
def test_dock_ingest_and_derivatives_cannot_be_deleted_on_s3(
    seaweedfs,
    settings,
    custodian,
    agency,
    tmp_path,
):
    locked_bucket(seaweedfs, settings)
    settings.VAR_DIR = tmp_path / "var"
    dock = tmp_path / "dock"
    write_clip(dock / f"DSJ-001_{stamp(bj(9, 1))}_0001.MP4", clip_bytes(utc_tag(bj(9, 1)), 1))
    call_command("ingest_dock", str(dock), "--as", custodian.username, stdout=io.StringIO())
    segment = make_derivatives(Segment.objects.get().pk)
    kinds = {"dock ingest": segment.blob_id, "thumbnail": segment.thumbnail_id}
    assert all(kinds.values()), kinds

    for kind, sha256 in kinds.items():
        with pytest.raises(ClientError) as refused:
            delete_every_version(seaweedfs, settings, sha256)
        assert refused.value.response["Error"]["Code"] == "AccessDenied", kind
        assert blob_store().verify(sha256).ok, kind
