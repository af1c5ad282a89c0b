"""第二十五条 区县检查考评: the district commission checks and scores its enforcement agency's
keeping of the regulation; spot-check results feed the score (考核依据)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from quancheng.supervision.evaluations import fed_points, require_evaluator, spotcheck_basis

pytestmark = pytest.mark.django_db


def test_25_only_the_district_commission_evaluates_its_agency(officer, commission, agency):
    """执法人员不能考评；区县卫生健康行政部门可以考评本区执法机构。"""
    with pytest.raises(PermissionDenied):
        require_evaluator(officer, agency)
    require_evaluator(commission, agency)


def test_25_a_commission_cannot_evaluate_another_districts_agency(commission, other_agency):
    """不能考评其他区县的执法机构。"""
    with pytest.raises(PermissionDenied, match="考评范围"):
        require_evaluator(commission, other_agency)


def test_25_spot_check_scores_feed_the_evaluation_item():
    """抽查平均分85分、权重20分的考评项：计17.0分。"""
    item = {"code": "records", "weight": 20, "source": "spotcheck"}
    assert fed_points(item, {"samples": 3, "mean": "85.0"}) == Decimal("17.0")


def test_25_without_spot_checks_the_item_is_scored_by_hand(agency):
    """考评期内没有抽查结果：该项由考评人员填写，不自动计分。"""
    basis = spotcheck_basis(agency, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert basis == {"samples": 0, "mean": None}
    assert fed_points({"code": "records", "weight": 20, "source": "spotcheck"}, basis) is None


def test_25_page_an_officer_is_refused_the_evaluation_pages(client, officer):
    """页面（考评无接口）：执法人员打开考评页面被拒绝。"""
    from django.urls import reverse

    client.force_login(officer)
    response = client.get(reverse("spot:evaluation_new"))
    assert response.status_code in (403, 404)
