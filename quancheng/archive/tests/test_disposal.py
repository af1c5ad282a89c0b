"""Disposal (销毁) with a controlled clock: offered exactly when due, never for held items,
never approved by the proposer; a tombstone in a ledger that still verifies."""

import datetime as dt
import json
import os

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from quancheng.alerts.models import Alert
from quancheng.archive.disposal import (
    DisposalRefused,
    blob_in_use,
    decide_disposal,
    due_items,
    is_disposed,
    pending_for_head,
    propose_disposal,
    tombstone_of,
)
from quancheng.archive.holds import decide_hold, request_hold
from quancheng.archive.models import DisposalProposal, Hold, ItemRetention
from quancheng.archive.retention import recompute_for_dossier, recompute_for_items
from quancheng.fixity.models import FixitySweep
from quancheng.fixity.sweep import run_sweep
from quancheng.ledger.models import Event
from quancheng.ledger.verify import verify_ledger
from quancheng.records.models import Blob, DataKind, Document, Segment
from quancheng.records.services import blob_store

from .conftest import freeze_dossier, make_document, make_segment, shanghai, store_bytes

pytestmark = pytest.mark.django_db

RECORDED = shanghai(2026, 1, 10)  # non-evidence AV: kept until 2026-07-10 inclusive
LAST_DAY = dt.datetime(2026, 7, 10, 23, 59, tzinfo=RECORDED.tzinfo)
FIRST_DUE = dt.datetime(2026, 7, 11, 0, 1, tzinfo=RECORDED.tzinfo)


def LONG_AGO():
    return timezone.now() - dt.timedelta(days=400)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def segment(officer, act):
    segment = make_segment(officer, act, started_at=RECORDED)
    recompute_for_items([("segment", segment.pk)])
    return segment


def due_refs(user):
    return [(r.item_kind, r.item_id) for r in due_items(user)]


def test_offered_exactly_when_due(custodian, segment):
    with at(LAST_DAY):
        assert due_refs(custodian) == []
        with pytest.raises(DisposalRefused, match="保管期限未满"):
            propose_disposal(custodian, [("segment", segment.pk)], "期满")
    with at(FIRST_DUE):
        assert due_refs(custodian) == [("segment", segment.pk)]


def test_the_day_boundary_is_shanghai_midnight(custodian, segment):
    # 2026-07-10 16:30 UTC is 00:30 on 11 July in Chongqing: due.
    with at(dt.datetime(2026, 7, 10, 16, 30, tzinfo=dt.UTC)):
        assert due_refs(custodian) == [("segment", segment.pk)]
    with at(dt.datetime(2026, 7, 10, 15, 30, tzinfo=dt.UTC)):
        assert due_refs(custodian) == []


def test_pending_and_permanent_items_are_never_due(officer, custodian, act):
    document = make_document(officer, act)  # no dossier yet
    recompute_for_items([("document", document.pk)])
    with at(dt.datetime(2090, 1, 1, tzinfo=dt.UTC)):
        assert due_refs(custodian) == []


def test_never_offered_for_held_items(officer, custodian, head, act, segment, auditor):
    decide_hold(
        head,
        request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="当事人信访"),
        approve=True,
    )
    with at(FIRST_DUE):
        assert due_refs(custodian) == []
        with pytest.raises(DisposalRefused, match="长期保存"):
            propose_disposal(custodian, [("segment", segment.pk)], "期满")
    attempt = Event.objects.get(action="disposal.attempt_refused")
    assert "长期保存" in json.loads(attempt.body)["message"]
    alert = Alert.objects.get(kind="disposal.attempt_refused")
    assert alert.roles == ["auditor"]
    assert Alert.objects.visible_to(auditor).filter(pk=alert.pk).exists()
    assert not DisposalProposal.objects.exists()


def test_a_hold_set_after_the_proposal_stops_the_approval(officer, custodian, head, act, segment):
    with at(FIRST_DUE):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "期满")
        decide_hold(
            head,
            request_hold(officer, act=act, reason=Hold.Reason.OBSTRUCTION, note="阻碍执法"),
            approve=True,
        )
        with pytest.raises(DisposalRefused, match="长期保存"):
            decide_disposal(head, proposal, approve=True)
    assert blob_store().exists(segment.blob_id)
    assert not is_disposed(segment)


def test_never_approved_by_the_proposer(custodian, segment):
    with at(FIRST_DUE):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "期满")
        custodian.role = "head"  # even as head of the agency, not one's own proposal
        custodian.save()
        with pytest.raises(DisposalRefused, match="不能审批本人"):
            decide_disposal(custodian, proposal, approve=True)
    assert Event.objects.filter(action="disposal.attempt_refused").count() == 1
    assert Alert.objects.filter(kind="disposal.attempt_refused").exists()
    # And the database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        DisposalProposal.objects.filter(pk=proposal.pk).update(decided_by=custodian)


def test_only_the_head_of_the_same_agency_approves(custodian, officer, segment, outsider):
    from quancheng.conftest import make_person

    other_head = make_person("heads2", "江北负责人", outsider.agency, "head")
    with at(FIRST_DUE):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "期满")
        for user in (officer, other_head):
            with pytest.raises(DisposalRefused, match="本机构负责人"):
                decide_disposal(user, proposal, approve=True)
    assert not pending_for_head(other_head).exists()
    assert Event.objects.filter(action="disposal.attempt_refused").count() == 2


def test_only_the_custodian_proposes_and_only_own_agency(officer, custodian, segment, outsider):
    from quancheng.conftest import make_person

    other_custodian = make_person("cust2", "江北专人", outsider.agency, "custodian")
    with at(FIRST_DUE):
        with pytest.raises(DisposalRefused, match="记录管理专人"):
            propose_disposal(officer, [("segment", segment.pk)], "期满")
        with pytest.raises(DisposalRefused, match="其他机构"):
            propose_disposal(other_custodian, [("segment", segment.pk)], "期满")
        assert due_refs(other_custodian) == []
    assert Event.objects.filter(action="disposal.attempt_refused").count() == 2


def test_disposal_keeps_a_tombstone_and_the_ledger_verifies(custodian, head, segment):
    sha256, size = segment.blob_id, segment.blob.size
    with at(FIRST_DUE):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "保管期满，依规销毁")
        assert list(pending_for_head(head)) == [proposal]
        proposal = decide_disposal(head, proposal, approve=True, note="同意销毁")

    assert proposal.status == DisposalProposal.Status.APPROVED
    assert proposal.decided_by == head
    tombstone = Event.objects.get(action="segment.disposed")
    body = json.loads(tombstone.body)
    assert body["sha256"] == sha256 and body["size"] == size
    assert body["proposed_by"] == custodian.username and body["approved_by"] == head.username
    assert body["metadata"]["original_filename"] == "执法记录仪_001.mp4"
    assert tombstone.object_id == str(segment.pk)
    item = proposal.items.get()
    assert item.tombstone_seq == tombstone.seq and item.disposed_at is not None
    assert tombstone_of(segment) == item and is_disposed(segment)
    # Content gone; the row and its metadata stay.
    assert not blob_store().exists(sha256)
    assert Segment.objects.filter(pk=segment.pk, blob_id=sha256).exists()
    assert Blob.objects.get(sha256=sha256).disposed_at is not None
    assert ItemRetention.objects.get(item_id=segment.pk).disposed
    # The hash was re-verified first, as a fixity check.
    check = Event.objects.filter(action="fixity.checked", object_id=sha256).get()
    assert check.seq < tombstone.seq
    report = verify_ledger()
    assert report.ok, report.summary()
    assert not pending_for_head(head).exists()
    assert due_refs(custodian) == []


def test_a_second_item_sharing_the_blob_keeps_it(officer, custodian, head, act):
    blob = store_bytes(act.agency, b"%PDF-1.4 shared scan " + os.urandom(64))
    first = make_document(officer, act, blob=blob)
    second = make_document(officer, act, blob=blob)
    recompute_for_dossier(freeze_dossier(act, custodian, archived_on=dt.date(2016, 1, 1)))
    with at(FIRST_DUE):
        proposal = propose_disposal(custodian, [("document", first.pk)], "期满")
        decide_disposal(head, proposal, approve=True)

    assert is_disposed(first) and not is_disposed(second)
    assert blob_store().exists(blob.sha256)
    assert Blob.objects.get(sha256=blob.sha256).disposed_at is None
    assert blob_in_use(blob.sha256)
    assert Document.objects.filter(pk=second.pk).exists()


def test_a_hash_mismatch_aborts_the_item_and_fails_the_proposal(custodian, head, segment):
    path = blob_store().path(segment.blob_id)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with at(FIRST_DUE):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "期满")
        proposal = decide_disposal(head, proposal, approve=True)

    assert proposal.status == DisposalProposal.Status.FAILED
    assert not is_disposed(segment)
    assert not Event.objects.filter(action="segment.disposed").exists()
    assert path.exists()
    assert Alert.objects.filter(kind="fixity.mismatch").exists()
    assert Alert.objects.filter(kind="disposal.verification_failed").exists()


def test_a_refused_proposal_disposes_nothing(custodian, head, segment):
    with at(FIRST_DUE):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "期满")
        proposal = decide_disposal(head, proposal, approve=False, note="暂缓")
        assert proposal.status == DisposalProposal.Status.REFUSED
        assert due_refs(custodian) == [("segment", segment.pk)]  # may be proposed again
        with pytest.raises(DisposalRefused, match="已处理"):
            decide_disposal(head, proposal, approve=True)
    assert blob_store().exists(segment.blob_id)


def test_fixity_sweeps_do_not_alert_on_a_disposed_blob(custodian, head, segment):
    with at(FIRST_DUE):
        decide_disposal(
            head, propose_disposal(custodian, [("segment", segment.pk)], "期满"), approve=True
        )
    sweep = run_sweep(resume=False, trigger=FixitySweep.Trigger.COMMAND)
    assert sweep.missing == 0 and sweep.failed == 0
    assert not Alert.objects.filter(kind="fixity.missing").exists()


def test_a_data_record_loses_its_data_but_keeps_its_hash(officer, custodian, head, act):
    from quancheng.records.items import create_data_record

    kind = DataKind.objects.create(code="temp", name="温度", schema={"type": "object"})
    record = create_data_record(
        officer,
        agency=act.agency,
        kind=kind,
        data={"celsius": 36.5},
        recorded_at=RECORDED,
        source="api",
        act=act,
    )
    recompute_for_dossier(freeze_dossier(act, custodian, archived_on=dt.date(2016, 1, 1)))
    sha256 = record.sha256
    with at(FIRST_DUE):
        decide_disposal(
            head, propose_disposal(custodian, [("datarecord", record.pk)], "期满"), approve=True
        )
    record.refresh_from_db()
    assert record.data == {} and record.sha256 == sha256
    body = json.loads(Event.objects.get(action="datarecord.disposed").body)
    assert body["sha256"] == sha256
    assert "data" not in body["metadata"]


def test_no_other_delete_path_for_record_content():
    """Only the disposal service calls BlobStore.dispose; the store deletes only incoming/
    leftovers otherwise; no code deletes record item rows."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    calls = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        # tests_deploy/ is the installation check, which tries a delete to see it refused.
        if "/tests/" in rel or "/migrations/" in rel or rel.startswith("tests_deploy/"):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"\.dispose\(",
            r"delete_object\(",
            r"(Segment|Document|DataRecord|Blob)\.objects[^\n]*\.delete\(",
        ):
            calls += [(rel, pattern) for _ in re.finditer(pattern, text)]
    assert sorted(calls) == [
        ("archive/disposal.py", r"\.dispose\("),
        ("lib/blobstore/s3.py", r"delete_object\("),  # incoming/ leftovers of a put
        ("lib/blobstore/s3.py", r"delete_object\("),  # dispose() itself
    ]


def test_disposal_on_s3_removes_every_version(
    s3_blob_store, officer, custodian, head, act, django_capture_on_commit_callbacks
):
    # No travelling clock here: S3 refuses requests signed at another time.
    segment = make_segment(officer, act, started_at=LONG_AGO())
    recompute_for_items([("segment", segment.pk)])
    decide_disposal(
        head, propose_disposal(custodian, [("segment", segment.pk)], "期满"), approve=True
    )
    assert not s3_blob_store.exists(segment.blob_id)
    listing = s3_blob_store.client.list_object_versions(
        Bucket=s3_blob_store.bucket, Prefix=f"blobs/{segment.blob_id}"
    )
    assert not listing.get("Versions")
    assert verify_ledger().ok


def test_a_store_that_still_retains_the_blob_keeps_it_and_alerts(
    s3_blob_store, officer, custodian, head, act
):
    from quancheng.lib.blobstore.tests.test_s3 import later

    segment = make_segment(officer, act, started_at=LONG_AGO())
    s3_blob_store.extend_retention(segment.blob_id, later(days=1))  # locked by someone else
    recompute_for_items([("segment", segment.pk)])
    decide_disposal(
        head, propose_disposal(custodian, [("segment", segment.pk)], "期满"), approve=True
    )
    assert s3_blob_store.verify(segment.blob_id).ok  # WORM won: the content is still there
    alert = Alert.objects.get(kind="disposal.store_failed")
    assert "RetentionInForce" in alert.detail["error"]
    assert is_disposed(segment)  # the tombstone stands; the operator resolves the alert


def test_a_disposal_interrupted_by_a_crash_is_finished_by_the_daily_task(
    custodian, head, segment, monkeypatch
):
    """A process dying after the approval (before the tombstone) or after the tombstone (before
    the content went) leaves work that the daily retention task completes."""
    from quancheng.archive import disposal
    from quancheng.archive.tasks import recompute_retention

    sha256 = segment.blob_id
    with at(FIRST_DUE):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "保管期满，依规销毁")
        # 1. The process dies right after the approval is committed.
        monkeypatch.setattr(disposal, "dispose_item", _crash)
        with pytest.raises(SystemExit):
            decide_disposal(head, proposal, approve=True, note="同意销毁")
        monkeypatch.undo()
        proposal.refresh_from_db()
        assert proposal.status == DisposalProposal.Status.APPROVED
        assert not Event.objects.filter(action="segment.disposed").exists()
        # 2. The daily run disposes of it, as approved; this time the process dies after the
        # tombstone's commit, before the content is removed.
        monkeypatch.setattr(disposal, "_remove_from_store", _crash)
        with pytest.raises(SystemExit):
            recompute_retention.call()
        monkeypatch.undo()
        tombstone = Event.objects.get(action="segment.disposed")
        assert json.loads(tombstone.body)["approved_by"] == head.username
        assert blob_store().exists(sha256)
        # 3. The next daily run removes the content the tombstone says is gone.
        recompute_retention.call()
    assert not blob_store().exists(sha256)
    assert Event.objects.filter(action="segment.disposed").count() == 1
    assert verify_ledger().ok


def _crash(*args, **kwargs):
    raise SystemExit("the process died here")
