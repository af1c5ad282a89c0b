"""District evaluations through the service (A25): totals, the spot-check feed, the trend."""

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from quancheng.ledger.models import Event
from quancheng.supervision import evaluations, spotchecks
from quancheng.supervision.models_spot import Evaluation

pytestmark = pytest.mark.django_db

Q1 = {"period_label": "2026年第一季度", "period_start": dt.date(2026, 1, 1)}
Q1["period_end"] = dt.date(2026, 3, 31)
MANUAL = {
    "E-registration": "8",
    "E-explanations": "9.5",
    "D-equipment": "10",
    "D-maintenance": "6",
    "A-retention": "7",
}


def _quarter(year, quarter):
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (dt.date(year + quarter // 4, (3 * quarter) % 12 + 1, 1)) - dt.timedelta(days=1)
    return {"period_label": f"{year}年第{quarter}季度", "period_start": start, "period_end": end}


def _scored_spot_check(auditor, fail_codes_by_position):
    """A spot check of 渝中区's Q1 dossiers with the given failing items per sample."""
    spot_check = spotchecks.draw_spot_check(
        auditor,
        district="渝中区",
        period_start=Q1["period_start"],
        period_end=Q1["period_end"],
        sample_size=len(fail_codes_by_position),
        seed=42,
    )
    for sample in spot_check.samples.all():
        results = {item["code"]: {"result": "pass"} for item in spot_check.checklist}
        for code in fail_codes_by_position[sample.position - 1]:
            results[code] = {"result": "fail"}
        spotchecks.score_sample(auditor, sample, results)
    return spot_check


def test_the_total_is_the_sum_of_the_items_points(commission, agency):
    evaluation = evaluations.create_evaluation(commission, agency, **Q1)
    assert evaluation.total == 0  # no spot check yet: nothing fed
    # Without scored samples the commission scores the spot-check items itself.
    points = {**MANUAL, "E-recording": "15", "A-dossiers": "15"}

    evaluations.score_evaluation(commission, evaluation, points, "设备维护记录不全")

    evaluation.refresh_from_db()
    assert evaluation.total == Decimal("70.5")
    assert evaluation.points["E-explanations"] == "9.5"
    assert evaluation.remarks == "设备维护记录不全"
    categories = {c["code"]: c["points"] for c in evaluations.category_totals(evaluation)}
    assert categories == {
        "execution": Decimal("32.5"),
        "devices": Decimal("16.0"),
        "archiving": Decimal("22.0"),
    }
    event = Event.objects.for_object(evaluation).filter(action="evaluation.scored").get()
    assert json.loads(event.body)["total"] == "70.5"


def test_spot_check_scores_feed_the_recording_and_archiving_items(
    auditor, commission, agency, officer, colleague, subject, custodian, make_dossiers
):
    make_dossiers(agency, [officer, colleague], subject, custodian, 4)
    spot_check = _scored_spot_check(auditor, [[], ["M-catalogue"], [], ["A11-gap", "A15-docs"]])
    scores = [s.score for s in spot_check.samples.all()]
    mean = (sum(scores) / 4).quantize(Decimal("0.1"), ROUND_HALF_UP)
    recording = (30 * mean / 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    dossiers = (20 * mean / 100).quantize(Decimal("0.1"), ROUND_HALF_UP)

    evaluation = evaluations.create_evaluation(commission, agency, **Q1)

    assert evaluation.spotcheck_basis == {"samples": 4, "mean": str(mean)}
    assert Decimal(evaluation.points["E-recording"]) == recording
    assert Decimal(evaluation.points["A-dossiers"]) == dossiers
    # The commission cannot override a fed item.
    evaluations.score_evaluation(commission, evaluation, {**MANUAL, "E-recording": "1"})
    evaluation.refresh_from_db()
    assert Decimal(evaluation.points["E-recording"]) == recording
    assert evaluation.total == sum(Decimal(v) for v in MANUAL.values()) + recording + dossiers


def test_points_outside_the_items_range_are_refused_in_chinese(commission, agency):
    evaluation = evaluations.create_evaluation(commission, agency, **Q1)
    with pytest.raises(ValidationError, match="得分应在0至10分之间"):
        evaluations.score_evaluation(commission, evaluation, {"D-equipment": "11"})
    with pytest.raises(ValidationError, match="得分应为数字"):
        evaluations.score_evaluation(commission, evaluation, {"D-equipment": "十"})
    evaluation.refresh_from_db()
    assert evaluation.points == {}


def test_finalising_needs_every_item_and_then_nothing_changes(commission, agency):
    evaluation = evaluations.create_evaluation(commission, agency, **Q1)
    evaluations.score_evaluation(commission, evaluation, MANUAL)
    with pytest.raises(ValidationError, match="尚未评分"):
        evaluations.finalise_evaluation(commission, evaluation)
    evaluations.score_evaluation(
        commission, evaluation, {**MANUAL, "E-recording": "20", "A-dossiers": "18"}
    )
    evaluations.finalise_evaluation(commission, evaluation)
    evaluation.refresh_from_db()
    assert evaluation.is_final and evaluation.total == Decimal("78.5")
    assert Event.objects.for_object(evaluation).last().action == "evaluation.finalised"
    with pytest.raises(ValidationError, match="已定稿"):
        evaluations.score_evaluation(commission, evaluation, MANUAL)


def test_one_evaluation_per_agency_and_period(commission, agency):
    evaluations.create_evaluation(commission, agency, **Q1)
    with pytest.raises(ValidationError, match="已存在"):
        evaluations.create_evaluation(commission, agency, **Q1)
    with pytest.raises(ValidationError, match="不能早于"):
        evaluations.create_evaluation(
            commission, agency, **{**Q1, "period_end": dt.date(2025, 12, 31)}
        )


def test_the_trend_lists_finalised_totals_by_period(commission, agency):
    totals = {}
    for quarter, bonus in ((3, "2"), (1, "0"), (2, "1")):
        evaluation = evaluations.create_evaluation(commission, agency, **_quarter(2026, quarter))
        points = {**MANUAL, "E-recording": "20", "A-dossiers": "15", "D-maintenance": bonus}
        evaluations.score_evaluation(commission, evaluation, points)
        evaluations.finalise_evaluation(commission, evaluation)
        totals[quarter] = Evaluation.objects.get(pk=evaluation.pk).total
    evaluations.create_evaluation(commission, agency, **_quarter(2026, 4))  # a draft

    rows = evaluations.trend(agency)

    assert [r["label"] for r in rows] == ["2026年第1季度", "2026年第2季度", "2026年第3季度"]
    assert [r["total"] for r in rows] == [totals[1], totals[2], totals[3]]
    assert totals[1] < totals[2] < totals[3]
    assert all(r["maximum"] == 100 for r in rows)


def test_only_the_districts_commission_evaluates_its_agency(
    commission, other_commission, auditor, head, agency, other_agency
):
    with pytest.raises(PermissionDenied, match="只有区县卫生健康行政部门可以开展考评"):
        evaluations.create_evaluation(auditor, agency, **Q1)
    with pytest.raises(PermissionDenied, match="只有区县卫生健康行政部门可以开展考评"):
        evaluations.create_evaluation(head, agency, **Q1)
    with pytest.raises(PermissionDenied, match="不在您的考评范围内"):
        evaluations.create_evaluation(other_commission, agency, **Q1)
    with pytest.raises(PermissionDenied, match="不在您的考评范围内"):
        evaluations.create_evaluation(commission, other_agency, **Q1)
    assert not Evaluation.objects.exists()
