"""Spot checks through the service (A26): the reproducible draw, scoring, findings, report."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from quancheng.archive.models import Dossier
from quancheng.compliance.models import Finding
from quancheng.documents.tests.conftest import poppler
from quancheng.ledger.models import Event
from quancheng.records.services import blob_store
from quancheng.supervision import spotchecks
from quancheng.supervision.models_spot import SpotCheck

pytestmark = pytest.mark.django_db

PERIOD = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 6, 30)}


@pytest.fixture
def dossiers(make_dossiers, agency, officer, colleague, subject, custodian):
    return make_dossiers(agency, [officer, colleague], subject, custodian, 12)


def _draw(actor, **kwargs):
    return spotchecks.draw_spot_check(
        actor, **{"district": "渝中区", "sample_size": 4, **PERIOD, **kwargs}
    )


def _all_pass(spot_check):
    return {item["code"]: {"result": "pass"} for item in spot_check.checklist}


def test_a_draw_from_the_same_seed_gives_the_same_sample(auditor, dossiers):
    first = _draw(auditor, seed=20260315)
    second = _draw(auditor, seed=20260315)

    assert spotchecks.sample_ids(first) == spotchecks.sample_ids(second)
    assert len(spotchecks.sample_ids(first)) == 4
    assert first.candidate_ids == [d.pk for d in dossiers]
    assert spotchecks.verify_draw(first) == {
        "sample_reproduced": True,
        "candidates_unchanged": True,
    }


def test_another_seed_draws_another_sample(auditor, dossiers):
    samples = {tuple(spotchecks.sample_ids(_draw(auditor, seed=seed))) for seed in range(5)}
    assert len(samples) > 1


def test_without_a_seed_one_is_generated_and_recorded(auditor, dossiers):
    spot_check = _draw(auditor)
    assert 0 <= spot_check.seed < 2**63
    again = spotchecks.draw_sample(spot_check.seed, spot_check.candidate_ids, 4)
    assert again == spotchecks.sample_ids(spot_check)


def test_the_draw_is_a_ledger_event_with_seed_filters_and_sample(auditor, dossiers):
    spot_check = _draw(auditor, seed=7, kind="inspection")

    event = Event.objects.for_object(spot_check).get()
    body = json.loads(event.body)
    assert event.action == "spotcheck.drawn"
    assert body["seed"] == "7"
    assert body["filters"] == {
        "district": "渝中区",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "kind": "inspection",
        "sample_size": 4,
    }
    assert body["sample"] == spotchecks.sample_ids(spot_check)
    assert body["candidate_count"] == 12
    assert event.agency.district == "渝中区"
    # The ledger alone is enough to redraw it.
    size = body["filters"]["sample_size"]
    assert spotchecks.draw_sample(int(body["seed"]), body["candidates"], size) == body["sample"]


def test_candidates_are_the_districts_frozen_dossiers_of_the_period_and_kind(
    auditor, make_dossiers, agency, officer, colleague, subject, custodian, dossiers,
    other_agency, outsider, outsider_colleague, other_subject,
):  # fmt: skip
    people = ([officer, colleague], subject, custodian)
    make_dossiers(agency, *people, 2, status=Dossier.Status.ASSEMBLING)
    make_dossiers(agency, *people, 2, archived_on=dt.date(2025, 12, 31))
    penalty = make_dossiers(agency, *people, 2, kind=Dossier.Kind.PENALTY_GENERAL)
    make_dossiers(other_agency, [outsider, outsider_colleague], other_subject, outsider, 3)

    everything = spotchecks.candidate_ids("渝中区", **PERIOD)
    assert everything == sorted(d.pk for d in dossiers + penalty)
    only_penalty = spotchecks.candidate_ids("渝中区", **PERIOD, kind="penalty_general")
    assert only_penalty == [d.pk for d in penalty]


def test_a_sample_larger_than_the_candidates_takes_them_all(auditor, dossiers):
    spot_check = _draw(auditor, sample_size=50, seed=1)
    assert sorted(spotchecks.sample_ids(spot_check)) == [d.pk for d in dossiers]


def test_no_candidates_is_refused_in_chinese_and_nothing_is_written(auditor, dossiers):
    with pytest.raises(ValidationError, match="没有符合条件的已归档案卷"):
        _draw(auditor, district="江北区")
    with pytest.raises(ValidationError, match="不能早于"):
        _draw(auditor, period_start=dt.date(2026, 7, 1))
    with pytest.raises(ValidationError, match="抽查数量"):
        _draw(auditor, sample_size=0)
    assert not SpotCheck.objects.exists()
    assert not Event.objects.filter(action="spotcheck.drawn").exists()


@given(
    seed=st.integers(min_value=0, max_value=2**63 - 1),
    candidates=st.lists(st.integers(min_value=1, max_value=10**9), unique=True, max_size=60),
    size=st.integers(min_value=1, max_value=80),
)
def test_draw_sample_is_a_deterministic_subset(seed, candidates, size):
    sample = spotchecks.draw_sample(seed, candidates, size)
    assert sample == spotchecks.draw_sample(seed, list(reversed(candidates)), size)
    assert len(sample) == min(size, len(candidates)) == len(set(sample))
    assert set(sample) <= set(candidates)


def test_only_legal_auditors_of_the_district_draw(
    district_auditor, officer, commission, other_agency, dossiers
):
    assert _draw(district_auditor, seed=3).district == "渝中区"
    with pytest.raises(PermissionDenied, match="不在您的稽查范围内"):
        _draw(district_auditor, district="江北区")
    for person in (officer, commission):
        with pytest.raises(PermissionDenied, match="只有法制稽查人员可以开展案卷抽查"):
            _draw(person)


def test_rule_items_are_prefilled_from_the_acts_findings(auditor, dossiers):
    spot_check = _draw(auditor, sample_size=12, seed=5)
    sample = spot_check.samples.get(position=1)
    act = sample.dossier.act
    common = {"article": "第十一条第二款", "severity": "error", "message": "中断未说明"}
    Finding.objects.create(act=act, rule_id="A11-gap", key="g1", status="open", **common)
    Finding.objects.create(act=act, rule_id="A15-door", status="accepted", **common)

    suggested = spotchecks.suggested_results(spot_check, sample.dossier)

    assert suggested["A11-gap"] == "fail"
    assert suggested["A15-door"] == "pass"  # the head accepted the officer's answer
    assert suggested["TWO-officers"] == "pass"
    assert "M-catalogue" not in suggested  # a manual item: the auditor decides


def test_the_score_is_the_weighted_share_of_applicable_conforming_items():
    checklist = [
        {"code": "a", "weight": 2},
        {"code": "b", "weight": 1},
        {"code": "c", "weight": 1},
        {"code": "d", "weight": 5},
    ]
    results = {
        "a": {"result": "pass"},
        "b": {"result": "fail"},
        "c": {"result": "pass"},
        "d": {"result": "na"},
    }
    assert spotchecks.compute_score(checklist, results) == Decimal("75.0")
    assert spotchecks.compute_score(checklist, {"d": {"result": "na"}}) is None


@given(
    items=st.lists(
        st.tuples(st.integers(min_value=1, max_value=20), st.sampled_from(["pass", "fail", "na"])),
        min_size=1,
        max_size=30,
    )
)
def test_the_score_lies_between_0_and_100_and_is_100_when_nothing_fails(items):
    checklist = [{"code": str(n), "weight": w} for n, (w, _) in enumerate(items)]
    results = {str(n): {"result": r} for n, (_, r) in enumerate(items)}
    score = spotchecks.compute_score(checklist, results)
    if all(r == "na" for _, r in items):
        assert score is None
        return
    assert 0 <= score <= 100
    assert (score == 100) == all(r != "fail" for _, r in items)


def test_scoring_records_every_item_the_score_and_an_event(auditor, dossiers):
    spot_check = _draw(auditor, seed=9)
    sample = spot_check.samples.get(position=2)
    results = _all_pass(spot_check)
    results["M-catalogue"] = {"result": "fail", "note": "卷内目录缺少第3页"}

    with pytest.raises(ValidationError, match="请选择"):
        spotchecks.score_sample(auditor, sample, {"M-catalogue": {"result": "fail"}})
    spotchecks.score_sample(auditor, sample, results)

    sample.refresh_from_db()
    total = sum(item["weight"] for item in spot_check.checklist)
    expected = Decimal((total - 2) * 100 / total).quantize(Decimal("0.1"))
    assert sample.score == expected
    assert sample.results["M-catalogue"]["note"] == "卷内目录缺少第3页"
    event = Event.objects.filter(action="spotcheck.scored").get()
    assert json.loads(event.body)["score"] == str(expected)


def test_findings_are_recorded_as_events(auditor, dossiers):
    spot_check = _draw(auditor, seed=11)
    sample = spot_check.samples.first()
    with pytest.raises(ValidationError, match="请填写问题描述"):
        spotchecks.record_finding(auditor, sample, "  ")
    finding = spotchecks.record_finding(auditor, sample, "询问记录未签名", "A16-interrogation")
    event = Event.objects.filter(action="spotcheck.finding_recorded").get()
    assert json.loads(event.body)["finding"] == finding.pk
    assert finding.item_code == "A16-interrogation"


def test_the_report_pdf_lists_each_dossiers_score(auditor, dossiers, store, tmp_path):
    spot_check = _draw(auditor, seed=13)
    samples = list(spot_check.samples.select_related("dossier"))
    with pytest.raises(ValidationError, match="未评分"):
        spotchecks.issue_reports(auditor, spot_check)
    for n, sample in enumerate(samples):
        results = _all_pass(spot_check)
        for item in spot_check.checklist[:n]:
            results[item["code"]] = {"result": "fail"}
        spotchecks.score_sample(auditor, sample, results)
    spotchecks.record_finding(auditor, samples[1], "现场笔录时间与音像记录不一致")

    [report] = spotchecks.issue_reports(auditor, spot_check)

    pdf = tmp_path / "report.pdf"
    with blob_store().open(report.sha256) as f:
        pdf.write_bytes(f.read())
    text = poppler("pdftotext", "-layout", str(pdf), "-")
    assert "渝中区执法全过程记录案卷抽查情况通报" in text
    assert f"随机种子 {spot_check.seed}" in text
    for sample in samples:
        sample.refresh_from_db()
        line = next(line for line in text.splitlines() if sample.dossier.number in line)
        assert f"{sample.score}分" in line
    assert "现场笔录时间与音像记录不一致" in text
    spot_check.refresh_from_db()
    assert spot_check.status == SpotCheck.Status.REPORTED
    event = Event.objects.for_object(report).get()
    assert event.action == "spotcheck.report_issued"
    assert json.loads(event.body)["sha256"] == report.sha256
    # Once circulated, the scores stand.
    with pytest.raises(ValidationError, match="已通报"):
        spotchecks.score_sample(auditor, samples[0], _all_pass(spot_check))
