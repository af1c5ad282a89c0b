"""evaluate_act: idempotent, closes and reopens findings, keeps answered ones; case status."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quancheng.cases.models import Act
from quancheng.compliance.evaluate import evaluate_act, evaluate_acts, evaluate_all
from quancheng.compliance.models import ActCompliance, CaseCompliance, Finding, Marker
from quancheng.compliance.services import answer_finding
from quancheng.ledger.models import Event

from .scene import END, START

pytestmark = pytest.mark.django_db


def test_a_finding_closes_when_fixed_and_reopens_when_broken_again(scene):
    built = scene()
    evaluate_act(built.act)
    assert not Finding.objects.filter(act=built.act).exists()
    assert ActCompliance.objects.get(act=built.act).status == "complete"
    Marker.objects.filter(segment=built.main, kind="arrival_door").update(withdrawn_at=END)
    evaluate_act(built.act)
    finding = Finding.objects.get(act=built.act, rule_id="A15-door")
    assert finding.status == "open"
    Marker.objects.filter(segment=built.main, kind="arrival_door").update(withdrawn_at=None)
    result = evaluate_act(built.act)
    finding.refresh_from_db()
    assert finding.status == "closed" and result.closed == 1
    Marker.objects.filter(segment=built.main, kind="arrival_door").update(withdrawn_at=END)
    result = evaluate_act(built.act)
    finding.refresh_from_db()
    assert finding.status == "open" and result.opened == 1
    actions = [e.action for e in Event.objects.for_object(finding)]
    assert actions == ["finding.opened", "finding.closed", "finding.reopened"]


def test_an_answered_finding_is_kept_when_the_rule_stops_firing(scene):
    built = scene(compliant=False)
    segment = built.segment(START, END)
    evaluate_act(built.act)
    finding = Finding.objects.get(act=built.act, rule_id="A15-door", key="arrival")
    answer_finding(built.officer, finding, "门头已拍摄，补充标记")
    built.mark(segment, "arrival_door", 1)
    assert not [h for h in built.hits("A15-door") if h.key == "arrival"]
    evaluate_act(built.act)
    finding.refresh_from_db()
    assert finding.status == "answered"


def test_case_takes_the_worst_status_of_its_acts(scene, case):
    good, bad = scene(), scene(compliant=False)
    for built in (good, bad):
        built.act.case = case
        built.act.save()
    evaluate_acts(list(Act.objects.select_related("agency").filter(case=case)))
    assert CaseCompliance.objects.get(case=case).status == "mandatory_missing"


def test_re_evaluating_many_unchanged_acts_costs_a_fixed_number_of_queries(scene):
    for _ in range(3):
        scene()
    evaluate_all()
    with CaptureQueriesContext(connection) as queries:
        summary = evaluate_all()
    assert summary.acts == 3 and (summary.opened, summary.closed) == (0, 0)
    many = len(queries)
    scene()
    scene(compliant=False)
    evaluate_all()
    with CaptureQueriesContext(connection) as queries:
        evaluate_all()
    assert len(queries) == many
    writes = [q for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
