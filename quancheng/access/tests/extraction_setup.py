"""Fixtures of the extraction, package and provision tests: an act with a real video segment,
a scanned document and a data record; the agency's demo certificate; tasks run at once.

A plugin of quancheng/conftest.py (``pytest_plugins``): the fixtures are shared by the access
tests and jobs/tests/test_leases.py. ``extraction_stores`` is not autouse (it would then apply to
every test): the modules that need it say ``pytest.mark.usefixtures("extraction_stores")``.
"""

import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import timezone
from PIL import Image

from quancheng.access.extraction import decide_extraction, request_extraction
from quancheng.access.models import Extraction
from quancheng.demo.ca import make_demo_certificates
from quancheng.records.datakinds import load_data_kinds
from quancheng.records.items import create_data_record, create_document
from quancheng.records.models import DataKind
from quancheng.records.services import blob_store, register_blob
from quancheng.records.tests.media_fixtures import store_segment

CHECKLIST = {
    "checklist": "医疗机构监督检查表",
    "items": [{"code": "1", "item": "执业许可证", "result": "符合"}],
    "conclusion": "未发现违法行为",
}


@pytest.fixture
def extraction_stores(settings, tmp_path):
    """Blobs and var in the test's folder, the document key, no TSA, tasks run at once."""
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    settings.QC_DOCUMENT_KEY_PASSPHRASE = "test-passphrase"
    settings.QC_TSA_URL = ""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def certified(agency):
    return make_demo_certificates(None, [agency])[0]


def scan_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def act_items(officer, agency, act, clips):
    """A video segment, a scanned document and a data record of the act."""
    segment = store_segment(
        officer, clips["h264"], agency=agency, act=act, original_filename="执法记录仪_001.mp4"
    )
    info = blob_store().put(io.BytesIO(scan_png()))
    with transaction.atomic():
        blob = register_blob(info, agency)
    document = create_document(
        officer,
        agency=agency,
        blob=blob,
        source="upload",
        act=act,
        file_kind="image",
        content_type="image/png",
        original_filename="现场笔录扫描件.png",
        doc_type="现场笔录",
    )
    load_data_kinds()
    record = create_data_record(
        officer,
        agency=agency,
        kind=DataKind.objects.get(code="inspection-checklist"),
        data=CHECKLIST,
        recorded_at=timezone.now() - dt.timedelta(hours=2),
        source="api",
        act=act,
    )
    return [segment, document, record]


def refs(items) -> list[dict]:
    return [{"kind": item._meta.model_name, "id": item.pk} for item in items]


@pytest.fixture
def produced(officer, head, act, act_items, certified, django_capture_on_commit_callbacks):
    """An extraction of the act's three items, approved by the head and produced."""
    extraction = request_extraction(
        officer, purpose="行政复议机关调取证据", act=act, items=refs(act_items)
    )
    with django_capture_on_commit_callbacks(execute=True):
        decide_extraction(head, extraction, approve=True)
    extraction.refresh_from_db()
    assert extraction.status == Extraction.Status.PRODUCED, extraction.error
    return extraction
