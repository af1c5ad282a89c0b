"""The issue's acceptance scenario: a clinic inspection with a 3-minute unexplained gap, a 现场笔录
10 minutes off the AV, and registration on the third working day."""

import copy
import datetime as dt
import json

import pytest

from quancheng.compliance.config import defaults, save_config
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import ActCompliance, Completeness, Finding
from quancheng.compliance.services import answer_finding, decide_finding
from quancheng.ledger.models import Event
from quancheng.registration.services import (
    decide_late_request,
    register_records,
    request_late_registration,
)

from .scene import END, START, at

pytestmark = pytest.mark.django_db

MID = START + dt.timedelta(minutes=30)
RESUME = MID + dt.timedelta(minutes=3)


@pytest.fixture
def clinic(scene, custodian, head, clock):
    built = scene(compliant=False)
    first = built.segment(START, MID)
    second = built.segment(RESUME, END)
    built.mark(first, "arrival_door", 15)
    built.mark(first, "identity_stated", 60)
    built.mark(first, "certificate_shown", 75)
    built.mark(second, "party_signing", 1500)
    built.mark(second, "door_at_end", 1600)
    built.document("现场笔录", (START + dt.timedelta(minutes=10), END + dt.timedelta(minutes=10)))
    built.data()
    # Ended Monday 2026-11-16; due by the end of Wednesday; registered on Thursday, the third
    # working day, with the head's approval asked and given that morning.
    clock(at(2026, 11, 19, 9, 0))
    request = request_late_registration(
        built.officer, built.act, "两名执法人员外出培训，未能按期移交"
    )
    decide_late_request(head, request, approve=True, approved_until=dt.date(2026, 11, 20))
    clock(at(2026, 11, 19, 10, 0))
    register_records(custodian, built.act, confirm_open_findings=True)
    return built


def _active(act):
    return {f.rule_id: f for f in Finding.objects.filter(act=act).active()}


def test_exactly_three_findings_each_citing_its_article(clinic):
    result = evaluate_act(clinic.act)
    findings = _active(clinic.act)
    assert set(findings) == {"A11-gap", "A15-complete", "A21-deadline"}
    assert findings["A11-gap"].article == "第十一条第二款"
    assert findings["A15-complete"].article == "第十五条第（四）项"
    assert findings["A21-deadline"].article == "第二十一条第一款"
    for finding in findings.values():
        assert finding.message.endswith(f"（{finding.article}）")
    assert "中断3分0秒" in findings["A11-gap"].message
    assert "相差600秒，允许120秒" in findings["A15-complete"].message
    assert "超过登记期限 2026-11-18" in findings["A21-deadline"].message
    assert result.status == Completeness.FINDINGS_OPEN
    assert ActCompliance.objects.get(act=clinic.act).status == Completeness.FINDINGS_OPEN
    opened = Event.objects.filter(action="finding.opened").count()
    assert opened == 3


def test_evaluating_again_writes_nothing(clinic):
    evaluate_act(clinic.act)
    events = Event.objects.count()
    result = evaluate_act(clinic.act)
    assert (result.opened, result.closed) == (0, 0)
    assert Event.objects.count() == events
    assert Finding.objects.filter(act=clinic.act).count() == 3


def test_answering_and_the_head_accepting_makes_the_act_complete(clinic, head):
    evaluate_act(clinic.act)
    for finding in _active(clinic.act).values():
        answer_finding(clinic.officer, finding, "已补充书面说明并更正笔录时间")
    assert ActCompliance.objects.get(act=clinic.act).status == Completeness.FINDINGS_OPEN
    for finding in Finding.objects.filter(act=clinic.act):
        decide_finding(head, finding, accept=True)
    assert ActCompliance.objects.get(act=clinic.act).status == Completeness.COMPLETE
    # Re-evaluation keeps the accepted findings: the act stays complete.
    evaluate_act(clinic.act)
    assert ActCompliance.objects.get(act=clinic.act).status == Completeness.COMPLETE
    assert set(Finding.objects.filter(act=clinic.act).values_list("status", flat=True)) == {
        "accepted"
    }
    actions = list(
        Event.objects.filter(action__startswith="finding.").values_list("action", flat=True)
    )
    assert actions.count("finding.answered") == 3 and actions.count("finding.accepted") == 3


def test_a_tolerance_of_10_minutes_changes_the_findings_without_code_changes(clinic, city_admin):
    evaluate_act(clinic.act)
    data = copy.deepcopy(defaults())
    data["tolerances"]["document_time_minutes"] = 10
    config = save_config(city_admin, data, note="笔录时间允许误差调整为10分钟")
    event = Event.objects.get(action="compliance.config_changed")
    assert json.loads(event.body)["changed"] == ["tolerances"]
    assert config.version == 1
    result = evaluate_act(clinic.act)
    assert result.closed == 1
    assert set(_active(clinic.act)) == {"A11-gap", "A21-deadline"}
    assert Finding.objects.get(act=clinic.act, rule_id="A15-complete").status == "closed"
    assert ActCompliance.objects.get(act=clinic.act).config_version == 1
