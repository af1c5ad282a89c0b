"""Records of an act, a bystander (an officer of the same agency not on the act) and a helper
that files and approves an access request."""

import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import timezone

from quancheng.access import requests as services
from quancheng.conftest import make_person
from quancheng.records.items import create_data_record, create_document
from quancheng.records.media import make_derivatives
from quancheng.records.models import DataKind
from quancheng.records.services import blob_store, register_blob
from quancheng.records.tests.media_fixtures import store_segment

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def bystander(agency):
    """An officer of the same agency who is not on the act or its case."""
    return make_person("qianwei", "钱伟", agency)


@pytest.fixture
def segment(officer, act, clips):
    segment = store_segment(officer, clips["h264"], agency=act.agency, act=act)
    return make_derivatives(segment.pk)


@pytest.fixture
def document(officer, act):
    info = blob_store().put(io.BytesIO(PDF))
    with transaction.atomic():
        blob = register_blob(info, act.agency)
    return create_document(
        officer,
        agency=act.agency,
        blob=blob,
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type="现场检查笔录",
        original_filename="现场检查笔录.pdf",
        content_type="application/pdf",
    )


@pytest.fixture
def data_record(officer, act):
    kind = DataKind.objects.create(code="thermometer", name="测温记录", schema={"type": "object"})
    return create_data_record(
        officer,
        agency=act.agency,
        kind=kind,
        data={"celsius": 37},
        recorded_at=timezone.now(),
        source="api",
        act=act,
    )


@pytest.fixture
def approve(head):
    """File a request as ``user`` for ``target`` and have the head approve it."""

    def _approve(user, *, download=False, days=None, **target):
        request = services.create_request(
            user, purpose="行政复议答复需要", allow_download=download, **target
        )
        expires_at = timezone.now() + dt.timedelta(days=days) if days else None
        return services.decide_request(head, request, True, "同意", expires_at=expires_at)

    return _approve
