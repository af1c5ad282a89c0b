"""第十四条 记录原则: lawful (合法: two officers with valid certificates, 行政处罚法第四十二条),
objective and true (客观: one camera cannot record twice at once), complete (全面)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from quancheng.compliance.config import defaults, validate_config

from .conftest import END, START, api_findings, hits

pytestmark = pytest.mark.django_db


@pytest.mark.rule("TWO-officers")
def test_14_an_act_by_one_officer_is_flagged(scene):
    """只有一名执法人员：不合法。"""
    built = scene()
    built.act.officers.set([built.officer])
    assert hits(built, "TWO-officers")


@pytest.mark.rule("TWO-officers")
def test_14_an_officer_with_an_expired_certificate_is_flagged(scene):
    """执法证件已过期的执法人员：报。"""
    built = scene()
    built.colleague.certificate_valid_until = dt.date(2026, 1, 1)
    built.colleague.save()
    assert hits(built, "TWO-officers")


@pytest.mark.rule("TWO-officers")
def test_14_two_officers_with_valid_certificates_are_silent(scene):
    """两名持有效执法证件的执法人员：不报。"""
    assert hits(scene(), "TWO-officers") == []


def test_14_the_two_officer_minimum_cannot_be_configured_away():
    """配置不能把执法人员下限设为1人：拒绝并引用行政处罚法第四十二条。"""
    with pytest.raises(ValidationError) as error:
        validate_config({**defaults(), "min_officers": 1})
    assert "第四十二条" in str(error.value)


@pytest.mark.rule("A27-violations")
def test_14_one_camera_recording_twice_at_once_is_not_objective(scene):
    """同一设备的两段记录时间重叠（不可能同时录两段）：报。"""
    built = scene()
    built.segment(END - dt.timedelta(minutes=10), END)
    assert hits(built, "A27-violations")


@pytest.mark.rule("TWO-officers")
def test_14_api_a_one_officer_act_reaches_the_terminal(scene, api):
    """接口：一名执法人员的检查发现经接口可见。"""
    built = scene()
    built.act.officers.set([built.officer])
    assert "TWO-officers" in api_findings(api, built)
    assert START < END
