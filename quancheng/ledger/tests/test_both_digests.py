"""Issue 19: "each ledger event's body that names a file names both digests". Whatever call
site writes the body, ``record_event`` adds the SM3 beside a ``sha256`` that lacks it (the
blob's, or the data record's; None while the SM3 is still pending)."""

import io
import json

import pytest
from django.db import transaction

from quancheng.alerts.services import raise_alert
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event
from quancheng.lib.gmcrypto import sm3_hex
from quancheng.records.items import create_data_record
from quancheng.records.models import DataKind
from quancheng.records.services import blob_store, register_blob
from quancheng.records.sm3 import compute_sm3

pytestmark = pytest.mark.django_db
DATA = b"a recording's bytes"


def missing_sm3(value, where="body") -> list[str]:
    """Every place in an event body where a ``sha256`` is named without an ``sm3``."""
    out = []
    if isinstance(value, dict):
        if "sha256" in value and "sm3" not in value:
            out.append(where)
        for key, item in value.items():
            out += missing_sm3(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += missing_sm3(item, f"{where}[{i}]")
    return out


@pytest.fixture
def blob(agency):
    info = blob_store().put(io.BytesIO(DATA))
    with transaction.atomic():
        return register_blob(info, agency)


def _body(staged_or_action):
    event = Event.objects.filter(action=staged_or_action).latest("seq")
    return json.loads(event.body)


def test_a_body_naming_a_blob_gets_its_sm3_pending_then_computed(officer, blob):
    with transaction.atomic():
        record_event(officer, "segment.downloaded", None, {"sha256": blob.sha256, "range": "full"})
    body = _body("segment.downloaded")
    assert body == {"sha256": blob.sha256, "sm3": None, "range": "full"}  # pending
    compute_sm3(blob)
    nested = {"items": [{"sha256": blob.sha256}], "object": {"sha256": blob.sha256, "size": 3}}
    with transaction.atomic():
        record_event(officer, "segment.downloaded", None, nested)
    body = _body("segment.downloaded")
    assert body["items"] == [{"sha256": blob.sha256, "sm3": sm3_hex(DATA)}]
    assert body["object"]["sm3"] == sm3_hex(DATA)
    assert nested["items"] == [{"sha256": blob.sha256}]  # the caller's dict is not changed


def test_a_data_records_sha256_gets_the_records_sm3(officer, act):
    kind, _ = DataKind.objects.get_or_create(
        code="inspection-items", defaults={"name": "监督检查项目", "schema": {"type": "object"}}
    )
    record = create_data_record(
        officer, agency=act.agency, kind=kind, data={"a": 1}, recorded_at=act.started_at,
        source="api", act=act,
    )  # fmt: skip
    with transaction.atomic():
        record_event(officer, "act.registered", act, {"items": [{"sha256": record.sha256}]})
    assert _body("act.registered")["items"][0]["sm3"] == record.sm3 != ""


def test_an_alert_about_a_file_names_both_digests(agency, blob):
    """A call site that wrote only the SHA-256 (an alert's detail, records/media.py)."""
    compute_sm3(blob)
    with transaction.atomic():
        raise_alert("records.unreadable", "无法解析", agency=agency, detail={"sha256": blob.sha256})
    assert missing_sm3(_body("alert.raised")) == []
    assert sm3_hex(DATA) in Event.objects.filter(action="alert.raised").latest("seq").body


def test_a_body_that_names_its_sm3_is_kept_as_written(officer, blob):
    with transaction.atomic():
        record_event(officer, "segment.downloaded", None, {"sha256": blob.sha256, "sm3": "x"})
    assert _body("segment.downloaded")["sm3"] == "x"
