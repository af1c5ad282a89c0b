"""Issue 19: "each ledger event's body that names a file names both digests". Whatever call
site writes the body, ``record_event`` adds the SM3 beside a file's SHA-256 that lacks it
(``sha256`` → ``sm3``, ``<x>_sha256`` → ``<x>_sm3``, ``original`` → ``original_sm3``; the
blob's, or the data record's; None while the SM3 is still pending)."""

import ast
import io
import json
from pathlib import Path

import pytest
from django.db import transaction

from quancheng.alerts.services import raise_alert
from quancheng.ledger.actions import Action
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event
from quancheng.lib.gmcrypto import sm3_hex
from quancheng.records.items import create_data_record
from quancheng.records.models import DataKind
from quancheng.records.services import blob_store, register_blob
from quancheng.records.sm3 import compute_sm3

pytestmark = pytest.mark.django_db
DATA = b"a recording's bytes"


# Keys that name a stored file by its SHA-256 without "sha256" in their name (listed from the
# record_event / raise_alert call sites: records/media.py, access/redaction.py).
FILE_KEYS = ("original", "thumbnail", "proxy")
# Keys ending in sha256 that name no file: a document's digest of the form values it signs.
NOT_FILES = ("data_sha256",)


def partner(key: str) -> str:
    if key == "sha256":
        return "sm3"
    if key.endswith("_sha256"):
        return key[: -len("sha256")] + "sm3"
    return f"{key}_sm3"


def missing_sm3(value, where="body") -> list[str]:
    """Every place in an event body where a file's SHA-256 is named without its SM3."""
    out = []
    if isinstance(value, dict):
        for key in value:
            named = (key.endswith("sha256") and key not in NOT_FILES) or key in FILE_KEYS
            if named and isinstance(value[key], str) and partner(key) not in value:
                out.append(f"{where}.{key}")
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
        record_event(
            officer, Action.SEGMENT_DOWNLOADED, None, {"sha256": blob.sha256, "range": "full"}
        )
    body = _body("segment.downloaded")
    assert body == {"sha256": blob.sha256, "sm3": None, "range": "full"}  # pending
    compute_sm3(blob)
    nested = {"items": [{"sha256": blob.sha256}], "object": {"sha256": blob.sha256, "size": 3}}
    with transaction.atomic():
        record_event(officer, Action.SEGMENT_DOWNLOADED, None, nested)
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
        record_event(
            officer, Action.REGISTRATION_REGISTERED, act, {"items": [{"sha256": record.sha256}]}
        )
    assert _body("registration.registered")["items"][0]["sm3"] == record.sm3 != ""


def test_an_alert_about_a_file_names_both_digests(agency, blob):
    """A call site that wrote only the SHA-256 (an alert's detail, records/media.py)."""
    compute_sm3(blob)
    with transaction.atomic():
        raise_alert("records.unreadable", "无法解析", agency=agency, detail={"sha256": blob.sha256})
    assert missing_sm3(_body("alert.raised")) == []
    assert sm3_hex(DATA) in Event.objects.filter(action="alert.raised").latest("seq").body


def test_a_body_that_names_its_sm3_is_kept_as_written(officer, blob):
    with transaction.atomic():
        record_event(officer, Action.SEGMENT_DOWNLOADED, None, {"sha256": blob.sha256, "sm3": "x"})
    assert _body("segment.downloaded")["sm3"] == "x"


def _sha256_keys_in_source() -> set[str]:
    """Every string key ending in ``sha256`` of a dict display or dict(...) call in the project's
    code (tests aside): the candidates for an event body's or an alert detail's file digest."""
    root = Path(__file__).resolve().parents[2]
    keys: set[str] = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Dict):
                names = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "dict":
                names = [k.arg for k in node.keywords if k.arg]
            else:
                continue
            keys.update(k for k in names if isinstance(k, str) and k.endswith("sha256"))
    return keys - set(NOT_FILES)


def test_every_key_that_names_a_files_sha256_gets_its_sm3_partner(officer, blob):
    """Source walk + runtime: each key found (``actual_sha256``, ``toc_sha256``, ``original`` …)
    written into a body, at the top and nested, comes out with its SM3 partner."""
    compute_sm3(blob)
    keys = sorted(_sha256_keys_in_source() | set(FILE_KEYS))
    assert {"sha256", "actual_sha256", "toc_sha256", "image_sha256", "original"} <= set(keys)
    body = {key: blob.sha256 for key in keys}
    with transaction.atomic():
        record_event(officer, Action.SEGMENT_DOWNLOADED, None, {**body, "nested": [dict(body)]})
    stored = _body("segment.downloaded")
    assert missing_sm3(stored) == []
    for key in keys:
        assert stored[partner(key)] == stored["nested"][0][partner(key)] == sm3_hex(DATA), key


def test_a_partner_the_caller_computed_is_kept_and_a_non_file_digest_left_alone(officer, blob):
    body = {"actual_sha256": blob.sha256, "actual_sm3": "read-in-the-same-pass"}
    with transaction.atomic():
        record_event(officer, Action.SEGMENT_DOWNLOADED, None, {**body, "data_sha256": "ab" * 32})
    stored = _body("segment.downloaded")
    assert stored["actual_sm3"] == "read-in-the-same-pass" and "data_sm3" not in stored


def test_an_alerts_stored_detail_names_both_digests(agency, blob):
    """The Alert row's detail (shown on the alert page), not only the alert.raised event."""
    compute_sm3(blob)
    with transaction.atomic():
        alert = raise_alert(
            "records.unreadable",
            "无法解析",
            agency=agency,
            detail={"sha256": blob.sha256, "actual_sha256": blob.sha256, "original": blob.sha256},
        )
    alert.refresh_from_db()
    assert missing_sm3(alert.detail) == []
    assert alert.detail["actual_sm3"] == alert.detail["original_sm3"] == sm3_hex(DATA)
