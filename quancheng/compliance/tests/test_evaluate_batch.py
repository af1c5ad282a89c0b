"""evaluate_acts writes a batch's changes in bulk: the same rows and events as one act at a
time, by a few statements per batch, all or nothing."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quancheng.alerts.models import Alert
from quancheng.cases.models import Act
from quancheng.cases.services import create_case
from quancheng.compliance import evaluate
from quancheng.compliance.evaluate import evaluate_act, evaluate_acts
from quancheng.compliance.models import ActCompliance, CaseCompliance, Finding
from quancheng.ledger.models import Event, StagedEvent
from quancheng.supervision.models_rollups import RollupMark

pytestmark = pytest.mark.django_db

_cases = iter(range(1, 100))


def _acts(scene, officer, colleague, agency, subject):
    """Acts that find different things: one without any AV (findings and the missing-AV alert),
    a search without registration (a finding), one evaluated before and registered since (its
    overdue finding closes), all three in a case of their own; a compliant one (no finding)."""
    case = create_case(
        officer,
        agency,
        [officer, colleague],
        number=f"渝中卫医罚〔2026〕{next(_cases)}号",
        cause="未取得医疗机构执业许可证擅自执业",
        subject=subject,
        filed_on=timezone.localdate(),
    )
    missing = scene(compliant=False)
    search = scene(kind="search", compliant=False)
    complete = scene()
    registered = scene(compliant=False)
    evaluate_act(registered.act)
    registered.register()
    acts = [built.act for built in (missing, search, complete, registered)]
    Act.objects.filter(pk__in=[missing.act.pk, search.act.pk, registered.act.pk]).update(case=case)
    return case, acts


def _loaded(acts):
    chosen = Act.objects.select_related("agency").filter(pk__in=[a.pk for a in acts])
    return list(chosen.order_by("pk"))


def _outcome(acts, case, events):
    """What the evaluation left, with the ids replaced by the acts' positions."""
    position = {act.pk: i for i, act in enumerate(acts)}
    findings = Finding.objects.filter(act__in=acts).order_by("pk")
    label = {("cases.act", str(pk)): f"act{i}" for pk, i in position.items()}
    label.update(
        {
            ("compliance.finding", str(f.pk)): f"{position[f.act_id]}:{f.rule_id}:{f.key}"
            for f in findings
        }
    )
    alerts = Alert.objects.filter(object_type="cases.act", object_id__in=[str(a.pk) for a in acts])
    label.update(
        {
            ("alerts.alert", str(a.pk)): f"{label[('cases.act', a.object_id)]}:{a.kind}"
            for a in alerts
        }
    )

    def body(event):
        body = json.loads(event.body)
        if "act" in body:
            body["act"] = position[body["act"]]
        if event.action == "alert.raised":
            body["object_id"] = label[("cases.act", body["object_id"])]
            detail = body["detail"]
            detail["act"] = position[detail["act"]]
            detail["findings"] = [
                label[("compliance.finding", str(pk))] for pk in detail["findings"]
            ]
        return body

    return {
        "findings": [
            (
                label[("compliance.finding", str(f.pk))],
                f.article,
                f.severity,
                f.message,
                f.evidence,
                f.missing_record,
                f.status,
            )
            for f in findings
        ],
        "events": [
            (e.action, label[(e.object_type, e.object_id)], body(e), e.agency_id, e.actor_label)
            for e in events
        ],
        "compliance": [
            (position[c.act_id], c.status, c.active_findings, c.config_version)
            for c in ActCompliance.objects.filter(act__in=acts).order_by("act_id")
        ],
        "alerts": sorted(
            (label[("alerts.alert", str(a.pk))], a.severity, a.title, a.closed_at is None)
            for a in alerts
        ),
        "case": CaseCompliance.objects.get(case=case).status,
        "marked": sorted(
            position[m.act_id] for m in RollupMark.objects.filter(act_id__in=position)
        ),
    }


def _events_since(seq):
    return list(Event.objects.filter(seq__gt=seq).order_by("seq"))


def test_a_batch_writes_what_one_act_at_a_time_writes(scene, officer, colleague, agency, subject):
    case_a, batch = _acts(scene, officer, colleague, agency, subject)
    case_b, single = _acts(scene, officer, colleague, agency, subject)
    before = Event.objects.order_by("-seq").first().seq
    results = evaluate_acts(_loaded(batch))
    batch_events = _events_since(before)
    after_batch = batch_events[-1].seq
    single_results = [evaluate_act(act) for act in single]
    single_events = _events_since(after_batch)

    assert [(r.status, r.opened, r.closed) for r in results] == [
        (r.status, r.opened, r.closed) for r in single_results
    ]
    assert [r.opened for r in results] == [4, 1, 0, 0]
    assert results[3].closed == 1
    batched, one_by_one = (
        _outcome(batch, case_a, batch_events),
        _outcome(single, case_b, single_events),
    )
    assert batched == one_by_one
    # in the acts' order, each act's alert after its findings' events (as before the bulk)
    assert [e[0] for e in batched["events"]] == [
        *["finding.opened"] * 4,
        "alert.raised",
        "finding.opened",
        "finding.closed",
    ]


def test_a_batch_inserts_its_findings_events_and_completeness_once(scene):
    acts = [scene(kind="search", compliant=False).act for _ in range(3)] + [scene().act]
    with CaptureQueriesContext(connection) as queries:
        results = evaluate_acts(_loaded(acts))
    assert [r.opened for r in results] == [1, 1, 1, 0]
    inserts = [q["sql"].split('"')[1] for q in queries if q["sql"].startswith("INSERT")]
    assert inserts.count("compliance_finding") == 1
    assert inserts.count("ledger_stagedevent") == 1
    assert inserts.count("compliance_actcompliance") == 1


def test_a_failure_in_the_middle_of_the_writes_leaves_nothing_written(scene, monkeypatch):
    acts = [scene(compliant=False).act for _ in range(3)]
    events, alerts = Event.objects.count(), Alert.objects.count()
    raise_alert = evaluate.sync_missing_av_alert
    calls = []

    def failing_on_the_second_act(act, findings):
        calls.append(act.pk)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        raise_alert(act, findings)

    monkeypatch.setattr(evaluate, "sync_missing_av_alert", failing_on_the_second_act)
    with pytest.raises(RuntimeError):
        evaluate_acts(_loaded(acts))
    assert calls == [acts[0].pk, acts[1].pk]  # the first act's events and alert were written
    assert not Finding.objects.filter(act__in=acts).exists()
    assert not ActCompliance.objects.filter(act__in=acts).exists()
    assert not StagedEvent.objects.exists()
    assert (Event.objects.count(), Alert.objects.count()) == (events, alerts)
