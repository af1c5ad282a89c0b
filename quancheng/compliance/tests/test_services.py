"""Markers and explanations through the services: permissions, validation, ledger events."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Explanation, Finding
from quancheng.compliance.services import (
    add_explanation,
    add_marker,
    answer_finding,
    decide_finding,
    review_explanation,
    withdraw_marker,
)
from quancheng.ledger.models import Event

from .scene import END, START

pytestmark = pytest.mark.django_db


def test_markers_are_ledger_events_and_withdrawal_keeps_them(scene, colleague):
    built = scene(compliant=False)
    segment = built.segment(START, END)
    marker = add_marker(
        colleague, segment, "identity_stated", 42.5, "  执法人员出示证件前表明身份 "
    )
    assert marker.note == "执法人员出示证件前表明身份"
    event = Event.objects.get(action="marker.added")
    assert json.loads(event.body)["offset_seconds"] == 42.5 and event.actor == colleague
    with pytest.raises(ValidationError):
        withdraw_marker(colleague, marker, " ")
    withdraw_marker(colleague, marker, "标错了时间")
    marker.refresh_from_db()
    assert marker.withdrawn_by == colleague
    assert Event.objects.filter(action="marker.withdrawn").count() == 1


def test_marker_validation_and_scope(scene, outsider, commission):
    built = scene(compliant=False)
    segment = built.segment(START, START + dt.timedelta(minutes=10))
    for kind, offset in (
        ("nonsense", 1),
        ("arrival_door", -1),
        ("arrival_door", 601),
        ("arrival_door", "x"),
    ):
        with pytest.raises(ValidationError):
            add_marker(built.officer, segment, kind, offset)
    with pytest.raises(Http404):  # another district's segment does not exist for them
        add_marker(outsider, segment, "arrival_door", 1)
    with pytest.raises(PermissionDenied):
        add_marker(commission, segment, "arrival_door", 1)


def test_explanations_after_the_act_only_by_its_people_and_a13_needs_a_reason(
    scene, outsider, custodian, head
):
    built = scene(compliant=False)
    with pytest.raises(Http404):
        add_explanation(outsider, built.act, "written_gap", "x")
    with pytest.raises(ValidationError) as error:
        add_explanation(built.officer, built.act, "a13_work_record", "涉及隐私")
    assert [e.code for e in error.value.error_dict["reason"]] == ["reason_required"]
    record = add_explanation(custodian, built.act, "a13_work_record", "涉及隐私", reason="privacy")
    assert record.review == Explanation.Review.PENDING
    with pytest.raises(PermissionDenied):
        review_explanation(built.officer, record, accept=True)
    with pytest.raises(ValidationError):
        review_explanation(head, record, accept=False, note="")
    review_explanation(head, record, accept=True)
    with pytest.raises(ValidationError):
        review_explanation(head, record, accept=True)
    actions = [e.action for e in Event.objects.for_object(built.act)]
    assert actions[-2:] == ["explanation.added", "explanation.accepted"]


def test_a_written_gap_explanation_with_times_in_the_wrong_order_is_refused(scene):
    built = scene(compliant=False)
    with pytest.raises(ValidationError):
        add_explanation(
            built.officer, built.act, "written_gap", "x", gap_started_at=END, gap_ended_at=START
        )
    with pytest.raises(ValidationError):
        add_explanation(built.officer, built.act, "written_gap", "x", gap_started_at=END)


def test_finding_lifecycle_permissions(scene, head, colleague, outsider):
    built = scene(compliant=False)
    evaluate_act(built.act)
    finding = Finding.objects.filter(act=built.act).first()
    with pytest.raises(Http404):
        answer_finding(outsider, finding, "x")
    with pytest.raises(ValidationError):
        decide_finding(head, finding, accept=True)  # not answered yet
    answer_finding(colleague, finding, "已补传")
    with pytest.raises(PermissionDenied):
        decide_finding(built.officer, finding, accept=True)
    decide_finding(head, finding, accept=False, note="未见补传的文书")
    finding.refresh_from_db()
    assert finding.status == "returned"
    answer_finding(built.officer, finding, "已补传《现场笔录》")
    decide_finding(head, finding, accept=True)
    finding.refresh_from_db()
    assert finding.status == "accepted" and finding.decided_by == head
