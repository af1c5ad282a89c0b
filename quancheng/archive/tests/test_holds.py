"""Long-term holds (A23): request, the head's approval, offline copies, lift, S3 legal hold."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from quancheng.archive.holds import (
    HoldRefused,
    decide_hold,
    decide_lift,
    mark_offline_copy_done,
    pending_for_head,
    request_hold,
    request_lift,
)
from quancheng.archive.models import Hold, ItemRetention, OfflineCopyJob
from quancheng.archive.retention import recompute_for_items, store_until
from quancheng.ledger.models import Event
from quancheng.orgs.models import Role

from .conftest import make_document, make_segment, shanghai

pytestmark = pytest.mark.django_db


def actions(obj):
    return list(Event.objects.for_object(obj).order_by("seq").values_list("action", flat=True))


@pytest.fixture
def items(officer, act):
    segment = make_segment(officer, act, started_at=shanghai(2026, 1, 10))
    document = make_document(officer, act)
    recompute_for_items([("segment", segment.pk), ("document", document.pk)])
    return segment, document


def held(item) -> bool:
    return ItemRetention.objects.get(item_kind=item._meta.model_name, item_id=item.pk).on_hold


def test_hold_request_approval_and_offline_copies(officer, head, act, items):
    hold = request_hold(officer, act=act, reason=Hold.Reason.OBSTRUCTION, note="当事人阻碍检查")
    assert hold.status == Hold.Status.REQUESTED
    assert list(pending_for_head(head)) == [hold]
    assert not any(held(i) for i in items)

    hold = decide_hold(head, hold, approve=True, note="同意")

    assert hold.status == Hold.Status.ACTIVE and hold.decided_by == head
    assert all(held(i) for i in items)
    jobs = OfflineCopyJob.objects.filter(hold=hold)
    assert {(j.item_kind, j.item_id) for j in jobs} == {
        ("segment", items[0].pk),
        ("document", items[1].pk),
    }
    assert {j.sha256 for j in jobs} == {items[0].blob_id, items[1].blob_id}
    assert actions(hold) == ["hold.requested", "hold.approved", "hold.offline_copies_queued"]
    assert not pending_for_head(head).exists()


def test_refused_hold_changes_nothing(officer, head, act, items):
    hold = request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="当事人投诉")
    hold = decide_hold(head, hold, approve=False, note="证据不足")
    assert hold.status == Hold.Status.REFUSED
    assert not any(held(i) for i in items)
    assert not OfflineCopyJob.objects.exists()
    assert actions(hold)[-1] == "hold.refused"


def test_only_the_head_of_the_same_agency_decides(officer, colleague, custodian, act, outsider):
    from quancheng.conftest import make_person

    other_head = make_person("heads2", "江北负责人", outsider.agency, Role.HEAD)
    hold = request_hold(officer, act=act, reason=Hold.Reason.OTHER_EVIDENCE, note="重要证据")
    for user in (officer, colleague, custodian, other_head):
        with pytest.raises(PermissionDenied):
            decide_hold(user, hold, approve=True)
    assert not pending_for_head(other_head).exists()
    assert Hold.objects.get().status == Hold.Status.REQUESTED


def test_the_four_reasons_and_a_note_are_required(officer, act, head):
    with pytest.raises(HoldRefused):
        request_hold(officer, act=act, reason="whim", note="x")
    with pytest.raises(HoldRefused):
        request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note=" ")
    with pytest.raises(PermissionDenied):
        request_hold(head, act=act, reason=Hold.Reason.OBJECTION, note="x")
    assert not Hold.objects.exists()


def test_an_outsider_cannot_request_a_hold(outsider, act):
    with pytest.raises(Http404):  # another district's act: as if it did not exist
        request_hold(outsider, act=act, reason=Hold.Reason.OBJECTION, note="x")


def test_lift_needs_the_heads_approval(officer, custodian, head, act, items):
    hold = decide_hold(
        head,
        request_hold(officer, act=act, reason=Hold.Reason.MASS_INCIDENT, note="群体性事件"),
        approve=True,
    )
    hold = request_lift(custodian, hold, reason="事件已处置完毕")
    assert hold.status == Hold.Status.LIFT_REQUESTED
    assert all(held(i) for i in items)  # still held while the lift waits
    assert list(pending_for_head(head)) == [hold]

    hold = decide_lift(head, hold, approve=False, note="继续保存")
    assert hold.status == Hold.Status.ACTIVE
    hold = decide_lift(head, request_lift(custodian, hold, reason="已结案"), approve=True)

    assert hold.status == Hold.Status.LIFTED and hold.lifted_by == head
    assert not any(held(i) for i in items)
    assert actions(hold)[-4:] == [
        "hold.lift_requested",
        "hold.lift_refused",
        "hold.lift_requested",
        "hold.lifted",
    ]


def test_a_head_cannot_approve_the_lift_they_requested(officer, head, act, items):
    hold = decide_hold(
        head,
        request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="异议"),
        approve=True,
    )
    hold = request_lift(head, hold, reason="无需保存")
    assert not pending_for_head(head).exists()
    with pytest.raises(HoldRefused, match="申请人不能审批"):
        decide_lift(head, hold, approve=True)


def test_another_active_hold_keeps_items_held(officer, custodian, head, act, items):
    first = decide_hold(
        head, request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="a"), approve=True
    )
    decide_hold(
        head, request_hold(officer, act=act, reason=Hold.Reason.OBSTRUCTION, note="b"), approve=True
    )
    decide_lift(head, request_lift(custodian, first, reason="已处理"), approve=True)
    assert all(held(i) for i in items)


def test_offline_copy_done_is_logged_with_the_medium(officer, custodian, head, act, items):
    hold = decide_hold(
        head, request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="a"), approve=True
    )
    job = OfflineCopyJob.objects.filter(hold=hold).first()

    with pytest.raises(PermissionDenied):
        mark_offline_copy_done(officer, job, medium_label="BD-2026-001")
    with pytest.raises(HoldRefused):
        mark_offline_copy_done(custodian, job, medium_label=" ")
    job = mark_offline_copy_done(custodian, job, medium_label="BD-2026-001")

    assert job.status == OfflineCopyJob.Status.DONE and job.done_by == custodian
    event = Event.objects.for_object(job).get()
    assert event.action == "offline_copy.done"
    assert json.loads(event.body)["medium_label"] == "BD-2026-001"
    with pytest.raises(HoldRefused):
        mark_offline_copy_done(custodian, job, medium_label="BD-2026-002")


def test_s3_legal_hold_and_retention_follow_the_hold(
    s3_blob_store, officer, custodian, head, act, django_capture_on_commit_callbacks
):
    """On SeaweedFS with Object Lock: a hold puts its blobs under legal hold, a lift takes it
    off unless another hold still covers the blob, and retain-until dates follow the items."""
    with django_capture_on_commit_callbacks(execute=True):
        segment = make_segment(officer, act, started_at=timezone.now() - dt.timedelta(days=1))
        document = make_document(officer, act)
        recompute_for_items([("segment", segment.pk), ("document", document.pk)])
    row = ItemRetention.objects.get(item_kind="segment")
    mode, until = s3_blob_store.retention(segment.blob_id)
    assert mode == "COMPLIANCE"
    assert until == store_until(row)  # midnight in Shanghai after six months
    assert until > timezone.now() + dt.timedelta(days=175)
    assert s3_blob_store.retention(document.blob_id) is None  # pending: nothing to extend yet
    assert not s3_blob_store.legal_hold(segment.blob_id)

    with django_capture_on_commit_callbacks(execute=True):
        first = decide_hold(
            head,
            request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="投诉"),
            approve=True,
        )
        second = decide_hold(
            head,
            request_hold(officer, act=act, reason=Hold.Reason.OBSTRUCTION, note="阻碍"),
            approve=True,
        )
    assert s3_blob_store.legal_hold(segment.blob_id)
    assert s3_blob_store.legal_hold(document.blob_id)

    with django_capture_on_commit_callbacks(execute=True):
        decide_lift(head, request_lift(custodian, first, reason="已处理"), approve=True)
    assert s3_blob_store.legal_hold(segment.blob_id)  # the second hold still covers it

    with django_capture_on_commit_callbacks(execute=True):
        decide_lift(head, request_lift(custodian, second, reason="已处理"), approve=True)
    assert not s3_blob_store.legal_hold(segment.blob_id)
    assert not s3_blob_store.legal_hold(document.blob_id)


def test_deciding_or_lifting_a_hold_checks_its_acts_again(
    officer, head, custodian, act, monkeypatch
):
    """A23-longterm reads the hold: the act is queued for evaluation at the request, at each
    decision and at a refusal (which leaves an open finding, never silence)."""
    queued = []
    monkeypatch.setattr(
        "quancheng.archive.holds.schedule_evaluation", lambda *acts: queued.extend(acts)
    )
    hold = request_hold(officer, act=act, reason=Hold.Reason.OBSTRUCTION, note="当事人阻碍检查")
    assert queued == [act.pk]
    hold = decide_hold(head, hold, approve=True, note="同意")
    assert queued == [act.pk] * 2
    request_lift(custodian, hold, reason="复议已结束")
    decide_lift(head, hold, approve=True, note="同意解除")
    assert queued == [act.pk] * 3
    refused = request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="当事人投诉")
    decide_hold(head, refused, approve=False, note="不属于第二十三条情形")
    assert queued == [act.pk] * 5


def test_an_item_linked_after_the_approval_is_queued_for_an_offline_copy(officer, head, act, items):
    hold = request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="当事人投诉")
    hold = decide_hold(head, hold, approve=True, note="同意")
    assert OfflineCopyJob.objects.filter(hold=hold).count() == 2
    later = make_segment(officer, act, started_at=shanghai(2026, 1, 11))
    recompute_for_items([("segment", later.pk)])
    assert ItemRetention.objects.get(item_kind="segment", item_id=later.pk).on_hold
    job = OfflineCopyJob.objects.get(hold=hold, item_kind="segment", item_id=later.pk)
    assert job.sha256 == later.blob_id
    recompute_for_items([("segment", later.pk)])  # idempotent
    assert OfflineCopyJob.objects.filter(hold=hold).count() == 3
