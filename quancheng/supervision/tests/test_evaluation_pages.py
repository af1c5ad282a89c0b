"""The evaluation pages: list, new, detail with score entry, finalise, trend."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.supervision import evaluations
from quancheng.supervision.models_spot import Evaluation

pytestmark = pytest.mark.django_db

POINTS = {
    "points-E-recording": "25",
    "points-E-registration": "8",
    "points-E-explanations": "9",
    "points-D-equipment": "10",
    "points-D-maintenance": "6",
    "points-A-dossiers": "18",
    "points-A-retention": "7",
}


def _evaluation(commission, agency, quarter, total_points=None):
    start = dt.date(2026, 3 * quarter - 2, 1)
    end = dt.date(2026, 3 * quarter, 28)
    evaluation = evaluations.create_evaluation(
        commission,
        agency,
        period_label=f"2026年第{quarter}季度",
        period_start=start,
        period_end=end,
    )
    if total_points is not None:
        points = {k.removeprefix("points-"): v for k, v in POINTS.items()}
        points["D-maintenance"] = str(total_points - 77)
        evaluations.score_evaluation(commission, evaluation, points)
        evaluations.finalise_evaluation(commission, evaluation)
    return evaluation


def test_a_commission_creates_scores_and_finalises_an_evaluation(client, commission, agency):
    client.force_login(commission)
    page = client.get(reverse("spot:evaluation_new")).text
    assert agency.name in page and "江北区" not in page
    form = {
        "agency": agency.pk,
        "period_label": "2026年第一季度",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
    }

    response = client.post(reverse("spot:evaluation_new"), form)

    evaluation = Evaluation.objects.get()
    assert response.url == evaluation.get_absolute_url()
    page = client.get(response.url).text
    assert "本期归档案卷尚无抽查评分，相关项目人工评定" in page
    assert "设备设施运行管理维护" in page
    response = client.post(response.url, {**POINTS, "points-D-equipment": "12"})
    assert "得分应在0至10分之间" in response.text
    response = client.post(evaluation.get_absolute_url(), {**POINTS, "remarks": "整改设备维护"})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert str(evaluation.total) == "83.0"
    finalise = reverse("spot:evaluation_finalise", args=[evaluation.pk])
    asked = client.post(finalise)  # one click: only what finalising does
    assert asked.status_code == 200 and "请确认：考评定稿" in asked.text
    assert "总分83.0分" in asked.text and "只读" in asked.text
    evaluation.refresh_from_db()
    assert not evaluation.is_final
    token = re.search(r'name="confirm" value="([^"]+)"', asked.text).group(1)
    client.post(finalise, {"confirm": token})
    evaluation.refresh_from_db()
    assert evaluation.is_final
    page = client.get(evaluation.get_absolute_url()).text
    assert re.search(r'class="evaluation-total">83\.0</strong> / 100', page)
    assert 'name="points-' not in page  # nothing left to enter


def test_the_trend_page_draws_the_totals_and_lists_them(client, commission, agency, head):
    for quarter, total in ((1, 80), (2, 78), (3, 83)):
        _evaluation(commission, agency, quarter, total)
    client.force_login(head)  # the agency's head reads its evaluations

    page = client.get(reverse("spot:evaluation_trend")).text

    assert '<polyline points="' in page
    points = re.search(r'<polyline points="([^"]+)"', page).group(1).split()
    ys = [float(p.split(",")[1]) for p in points]
    assert len(ys) == 3 and ys[1] > ys[0] > ys[2]  # SVG y grows downwards: 78 < 80 < 83
    table = page[page.index("trend-table") :]
    for label, total in (
        ("2026年第1季度", "80.0"),
        ("2026年第2季度", "78.0"),
        ("2026年第3季度", "83.0"),
    ):
        assert label in table and f"<td>{total}</td>" in table


def test_the_city_auditor_chooses_the_agency_of_the_trend(client, auditor, commission, agency):
    _evaluation(commission, agency, 1, 82)
    client.force_login(auditor)
    page = client.get(reverse("spot:evaluation_trend")).text
    assert "<polyline" not in page and "江北区" in page  # every district offered
    page = client.get(reverse("spot:evaluation_trend"), {"agency": agency.pk}).text
    assert "<polyline" in page and "82.0" in page


def test_an_auditor_is_refused_evaluating_in_chinese(client, auditor, commission, agency):
    evaluation = _evaluation(commission, agency, 1)
    client.force_login(auditor)
    assert client.get(evaluation.get_absolute_url()).status_code == 200
    response = client.get(reverse("spot:evaluation_new"))
    assert response.status_code == 403
    assert "只有区县卫生健康行政部门可以开展考评" in response.text
    response = client.post(evaluation.get_absolute_url(), POINTS)
    assert response.status_code == 403
    assert "只有区县卫生健康行政部门可以开展考评" in response.text


def test_another_districts_commission_gets_404(client, commission, other_commission, agency):
    evaluation = _evaluation(commission, agency, 1)
    client.force_login(other_commission)
    assert evaluation.period_label not in client.get(reverse("spot:evaluation_list")).text
    assert client.get(evaluation.get_absolute_url()).status_code == 404
    assert client.post(reverse("spot:evaluation_finalise", args=[evaluation.pk])).status_code == 404
    trend = reverse("spot:evaluation_trend")
    assert client.get(trend, {"agency": agency.pk}).status_code == 404


def test_officers_are_refused_in_chinese(client, officer, commission, agency):
    evaluation = _evaluation(commission, agency, 1)
    client.force_login(officer)
    for url in (reverse("spot:evaluation_list"), evaluation.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 403
        assert "可以查看抽查与考评" in response.text


def test_scoring_needs_the_csrf_token(commission, agency):
    evaluation = _evaluation(commission, agency, 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(commission)
    assert client.post(evaluation.get_absolute_url(), POINTS).status_code == 403
    evaluation.refresh_from_db()
    assert evaluation.points == {}
