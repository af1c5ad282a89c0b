"""第二十六条 法制稽查抽查: the legal-audit department samples the archived records reproducibly,
scores them (the rule items pre-filled from the compliance findings) and reports the results."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied

from quancheng.compliance.evaluate import evaluate_act
from quancheng.supervision.spotchecks import (
    compute_score,
    draw_sample,
    require_audit,
    suggested_results,
)

from .conftest import LATER, NOW

pytestmark = pytest.mark.django_db

CHECKLIST = [
    {"code": "A11-mandatory", "source": "rule", "weight": 60},
    {"code": "A21-deadline", "source": "rule", "weight": 40},
    {"code": "file_order", "source": "manual", "weight": 10},
]


def _suggested(act):
    return suggested_results(
        SimpleNamespace(checklist=CHECKLIST), SimpleNamespace(pk=1, case_id=None, act_id=act.pk)
    )


def test_26_a_sampled_record_with_an_open_finding_fails_that_item(scene):
    """抽中的执法行为有未处理的检查发现：对应评查项预填“不符合”。"""
    built = scene("interrogation", compliant=False)
    evaluate_act(built.act, now=LATER)
    assert _suggested(built.act) == {"A11-mandatory": "fail", "A21-deadline": "fail"}


def test_26_a_compliant_sampled_record_passes_every_rule_item(scene):
    """合规的执法行为：规则评查项均预填“符合”，人工项留给稽查人员。"""
    built = scene()
    evaluate_act(built.act, now=NOW)
    assert _suggested(built.act) == {"A11-mandatory": "pass", "A21-deadline": "pass"}


def test_26_the_score_is_the_weighted_share_of_conforming_items():
    """评分为符合项权重占适用项权重之比：60分项符合、40分项不符合，得60.0分。"""
    results = {"A11-mandatory": {"result": "pass"}, "A21-deadline": {"result": "fail"}}
    assert compute_score(CHECKLIST, results) == Decimal("60.0")
    assert compute_score(CHECKLIST, {}) is None


def test_26_the_same_seed_draws_the_same_sample():
    """同一随机种子、同一候选范围：抽样结果可复现。"""
    candidates = list(range(1, 41))
    assert draw_sample(20260315, candidates, 5) == draw_sample(20260315, candidates, 5)
    assert len(set(draw_sample(20260315, candidates, 5))) == 5


def test_26_an_officer_cannot_audit(officer):
    """执法人员不能开展法制稽查抽查。"""
    with pytest.raises(PermissionDenied):
        require_audit(officer)


def test_26_page_an_officer_is_refused_the_spot_check_pages(client, officer):
    """页面（抽查无接口）：执法人员打开新建抽查页面被拒绝。"""
    from django.urls import reverse

    client.force_login(officer)
    assert client.get(reverse("spot:spotcheck_new")).status_code in (403, 404)
