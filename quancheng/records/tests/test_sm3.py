"""SM3 beside SHA-256: computed after ingest, a ledger event, shown and served (records/sm3.py)."""

import base64
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from quancheng.alerts.models import Alert
from quancheng.ledger.models import Event
from quancheng.ledger.services import LedgerOutsideTransaction, verify_chain
from quancheng.lib import transactions
from quancheng.lib.gmcrypto import sm3_hex
from quancheng.records.items import create_document
from quancheng.records.models import Blob
from quancheng.records.services import blob_store, register_blob
from quancheng.records.sm3 import compute_pending_sm3, compute_sm3, file_digests

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _store(data: bytes, agency) -> Blob:
    info = blob_store().put(io.BytesIO(data))
    with transaction.atomic():
        return register_blob(info, agency)


@pytest.fixture
def document(officer, act):
    blob = _store(PDF, act.agency)
    return create_document(
        officer,
        agency=act.agency,
        blob=blob,
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type="现场检查笔录",
        number="渝中卫检〔2026〕8号",
        original_filename="笔录.pdf",
        content_type="application/pdf",
    )


def _sm3_events():
    return [json.loads(e.body) for e in Event.objects.filter(action="blob.sm3_computed")]


def test_a_stored_blob_waits_then_gets_its_sm3_as_a_ledger_event(agency):
    data = b"body camera bytes" * 1000
    blob = _store(data, agency)
    assert blob.sm3 == "" and blob.sm3_pending
    assert file_digests(blob.sha256) == {"sha256": blob.sha256, "sm3": None}

    counts = compute_pending_sm3()

    assert counts["computed"] == 1
    blob.refresh_from_db()
    assert blob.sm3 == sm3_hex(data) and blob.sm3_at is not None
    assert _sm3_events() == [{"sha256": blob.sha256, "sm3": sm3_hex(data), "size": len(data)}]
    event = Event.objects.get(action="blob.sm3_computed")
    assert (event.object_type, event.object_id, event.agency) == (
        "records.blob",
        blob.sha256,
        agency,
    )
    assert file_digests(blob.sha256) == {"sha256": blob.sha256, "sm3": sm3_hex(data)}
    # Once is enough: a second run finds nothing to do, and no second event is written.
    assert compute_pending_sm3()["computed"] == 0
    assert compute_sm3(blob).status == "already"
    assert len(_sm3_events()) == 1
    assert verify_chain() is None


def test_altered_bytes_get_no_sm3(agency, tmp_path):
    blob = _store(b"original" * 100, agency)
    path = blob_store().path(blob.sha256)
    path.chmod(0o644)
    path.write_bytes(b"altered!" * 100)

    assert compute_pending_sm3() == {"computed": 0, "already": 0, "altered": 1, "missing": 0}
    blob.refresh_from_db()
    assert blob.sm3 == ""
    assert not _sm3_events()
    # A failed fixity check: its event, the alert, and the blob left out of later runs.
    check = json.loads(Event.objects.get(action="fixity.checked").body)
    assert check["eventOutcome"] == "fail" and check["context"] == {"sm3_job": True}
    assert Alert.objects.filter(kind="fixity.mismatch").exists()
    assert blob.damaged_at is not None
    assert compute_pending_sm3() == {"computed": 0, "already": 0, "altered": 0, "missing": 0}


def test_a_missing_blob_is_counted_not_hashed(agency):
    blob = _store(b"soon gone" * 10, agency)
    path = blob_store().path(blob.sha256)
    path.chmod(0o644)
    path.unlink()
    assert compute_pending_sm3()["missing"] == 1
    assert not _sm3_events()
    assert Alert.objects.filter(kind="fixity.missing").exists()
    assert compute_pending_sm3()["missing"] == 0


def test_the_backfill_command(agency):
    for i in range(3):
        _store(f"old blob {i}".encode(), agency)
    out = io.StringIO()
    call_command("compute_sm3", "--dry-run", stdout=out)
    assert "3 blob(s) waiting for SM3" in out.getvalue()
    out = io.StringIO()
    call_command("compute_sm3", "--limit", "2", stdout=out)
    assert "SM3 computed: 2" in out.getvalue()
    out = io.StringIO()
    call_command("compute_sm3", stdout=out)
    assert "SM3 computed: 1" in out.getvalue()
    assert not Blob.objects.filter(sm3="").exists()


def test_the_document_page_and_download_carry_both_digests(client, officer, document):
    client.force_login(officer)
    page = client.get(document.get_absolute_url()).content.decode()
    assert "SM3 待计算" in page
    r = client.get(reverse("document_download", args=[document.pk]))
    assert r["X-Content-SM3"] == "pending"
    b"".join(r.streaming_content)
    downloaded = json.loads(Event.objects.filter(action="document.downloaded").get().body)
    assert downloaded["sha256"] == document.blob_id and downloaded["sm3"] is None

    compute_pending_sm3()

    page = client.get(document.get_absolute_url()).content.decode()
    assert "SM3 待计算" not in page
    assert sm3_hex(PDF) in page
    r = client.get(reverse("document_download", args=[document.pk]))
    assert r["X-Content-SM3"] == sm3_hex(PDF)
    sha = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
    assert r["Repr-Digest"] == f"sha-256=:{sha}:"
    assert b"".join(r.streaming_content) == PDF
    # Every event naming the file names both digests once the SM3 is known.
    last = Event.objects.filter(action="document.downloaded").order_by("-seq").first()
    assert json.loads(last.body)["sm3"] == sm3_hex(PDF)
    # A range carries the digests of the whole file.
    r = client.get(reverse("document_download", args=[document.pk]), headers={"Range": "bytes=0-3"})
    assert r.status_code == 206 and r["X-Content-SM3"] == sm3_hex(PDF)


def test_the_periodic_task_works_off_a_backlog_in_batches(agency, monkeypatch, settings):
    from quancheng.records import tasks

    assert "sm3_digests" in settings.QC_SCHEDULE
    monkeypatch.setattr(tasks, "SM3_BATCH", 2)
    for i in range(3):
        _store(f"backlog {i}".encode(), agency)
    assert tasks.compute_pending_sm3.call()["computed"] == 2
    assert tasks.compute_pending_sm3.call()["computed"] == 1


# --- data records (电子数据) -------------------------------------------------------------------


def _data_record(officer, act, data):
    from quancheng.records.items import create_data_record
    from quancheng.records.models import DataKind

    kind, _ = DataKind.objects.get_or_create(
        code="thermometer", defaults={"name": "测温记录", "schema": {"type": "object"}}
    )
    return create_data_record(
        officer,
        agency=act.agency,
        kind=kind,
        data=data,
        recorded_at=timezone.now(),
        source="api",
        act=act,
        device=None,
    )


def test_a_data_record_gets_its_sm3_when_created_and_the_event_names_both(officer, act):
    from quancheng.lib.canonical import canonical_bytes

    record = _data_record(officer, act, {"celsius": 36.8, "地点": "前台"})
    raw = canonical_bytes(record.data)
    assert record.sm3 == sm3_hex(raw)
    body = json.loads(Event.objects.for_object(record).get(action="datarecord.created").body)
    assert body["sha256"] == hashlib.sha256(raw).hexdigest()
    assert body["sm3"] == record.sm3


def test_the_migration_backfills_earlier_data_records_with_a_ledger_event_each(officer, act):
    from quancheng.records.models import DataRecord
    from quancheng.records.sm3 import backfill_data_records

    earlier = _data_record(officer, act, {"celsius": 37})
    altered = _data_record(officer, act, {"celsius": 38})
    DataRecord.objects.filter(pk__in=[earlier.pk, altered.pk]).update(sm3="")
    DataRecord.objects.filter(pk=altered.pk).update(data={"celsius": 39})  # no longer its SHA-256

    # It runs in the migration's transaction; here a batch stands in for it.
    with pytest.raises(LedgerOutsideTransaction):
        backfill_data_records(DataRecord)
    with transactions.batch():
        assert backfill_data_records(DataRecord) == 1
    earlier.refresh_from_db()
    assert earlier.sm3 == sm3_hex(b'{"celsius":37}')
    (event,) = Event.objects.filter(action="datarecord.sm3_computed")
    assert (event.object_type, event.object_id) == ("records.datarecord", str(earlier.pk))
    assert json.loads(event.body) == {
        "backfill": True,
        "sha256": earlier.sha256,
        "sm3": earlier.sm3,
    }
    assert DataRecord.objects.get(pk=altered.pk).sm3 == ""
    with transactions.batch():
        assert backfill_data_records(DataRecord) == 0  # once only
