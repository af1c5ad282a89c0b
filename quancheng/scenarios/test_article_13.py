"""第十三条 停止使用音像记录: secrets, privacy or force majeure allow AV to stop; the officers
make a work record after the act giving the reason, reviewed by the agency head and filed."""

import datetime as dt

import pytest

from quancheng.compliance.models import Explanation
from quancheng.compliance.services import add_explanation, review_explanation

from .conftest import api_findings, at, hits, keys

pytestmark = pytest.mark.django_db


def _work_record(built, clock, reason="privacy"):
    clock(at(2026, 11, 16, 11, 0))
    return add_explanation(
        built.officer, built.act, "a13_work_record", "涉及患者隐私，停止录像", reason=reason
    )


@pytest.mark.rule("A13-exempt")
def test_13_a_work_record_waiting_for_the_head_is_flagged_and_exempts_nothing(scene, clock):
    """工作记录尚待负责人审核：报，且不免除全过程音像记录的要求。"""
    built = scene("interrogation", compliant=False)
    _work_record(built, clock)
    [hit] = hits(built, "A13-exempt")
    assert "尚待机构负责人审核" in hit.params["problems"]
    assert keys(built, "A11-mandatory") == {"absent"}


@pytest.mark.rule("A13-exempt")
def test_13_a_work_record_the_head_returned_is_flagged(scene, head, clock):
    """负责人退回工作记录：报。"""
    built = scene("interrogation", compliant=False)
    record = _work_record(built, clock)
    review_explanation(head, record, accept=False, note="原因不充分")
    [hit] = hits(built, "A13-exempt")
    assert "已被机构负责人退回" in hit.params["problems"]


@pytest.mark.rule("A13-exempt")
def test_13_a_work_record_the_head_accepted_exempts_the_act(scene, head, clock):
    """负责人审核同意的工作记录：不报，且免除音像记录的要求。"""
    built = scene("interrogation", compliant=False)
    record = _work_record(built, clock)
    review_explanation(head, record, accept=True)
    assert hits(built, "A13-exempt") == []
    assert hits(built, "A11-mandatory") == []


@pytest.mark.rule("A13-exempt")
def test_13_a_work_record_dated_before_the_act_ended_is_flagged(scene):
    """工作记录早于执法结束（应在执法结束后制作）：报。"""
    built = scene("interrogation", compliant=False)
    Explanation.objects.create(
        act=built.act,
        kind="a13_work_record",
        reason="weather",
        text="暴雨",
        requested_by=built.officer,
        requested_at=built.act.ended_at - dt.timedelta(minutes=5),
        review="accepted",
    )
    [hit] = hits(built, "A13-exempt")
    assert "应当在执法结束后制作" in hit.params["problems"]


@pytest.mark.rule("A13-exempt")
def test_13_api_a_work_record_filed_by_the_terminal_waits_for_the_head(scene, api, clock):
    """接口：执法终端提交工作记录（201），在负责人审核前经接口可见检查发现。"""
    built = scene("interrogation", compliant=False)
    clock(at(2026, 11, 16, 11, 0))
    response = api.post(
        f"/acts/{built.act.pk}/explanations",
        {
            "kind": "a13_work_record",
            "text": "涉及商业秘密，停止录像",
            "reason": "commercial_secret",
        },
    )
    assert response.status_code == 201, response.content
    assert "A13-exempt" in api_findings(api, built)
