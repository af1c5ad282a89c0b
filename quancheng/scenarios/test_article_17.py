"""第十七条 行政强制全过程记录: the decision documents (一), whole-process AV (二), identity,
reasons, basis, rights, 现场笔录 and the party's signature on camera (三), the approval procedure
recorded in writing before the measure (四; 行政强制法第十八条, 行政处罚法第五十六条 for
证据先行登记保存)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from quancheng.compliance.config import defaults, validate_config

from .conftest import START, api_findings, hits, keys

pytestmark = pytest.mark.django_db


@pytest.mark.rule("A17-coercion")
def test_17_4_evidence_preservation_without_the_heads_approval_is_flagged(scene):
    """证据先行登记保存未经负责人批准（无审批文书）：报。"""
    built = scene("evidence_preservation", compliant=False)
    built.segment(START, built.act.ended_at)
    built.document("证据先行登记保存决定书")
    built.document("现场笔录")
    assert "approval" in keys(built, "A17-coercion")


@pytest.mark.rule("A17-coercion")
def test_17_4_evidence_preservation_approved_beforehand_is_silent(scene):
    """证据先行登记保存事先经负责人批准：不报。"""
    assert hits(scene("evidence_preservation"), "A17-coercion") == []


@pytest.mark.rule("A17-coercion")
def test_17_4_an_approval_dated_after_the_measure_began_is_flagged(scene):
    """审批表记载的审批时间晚于查封开始时间：未事先批准。"""
    built = scene("seizure", compliant=False)
    built.segment(START, built.act.ended_at)
    built.document("查封、扣押决定书")
    built.document("现场笔录")
    built.approval(START + dt.timedelta(minutes=20))
    [hit] = [h for h in hits(built, "A17-coercion") if h.key == "approval_date"]
    assert "未事先批准" in hit.params["missing"]


@pytest.mark.rule("A17-coercion")
def test_17_1_a_seizure_without_its_decision_is_flagged(scene):
    """实施查封、扣押未制作《查封、扣押决定书》：缺少执法文书。"""
    built = scene("seizure", compliant=False)
    built.segment(START, built.act.ended_at)
    built.document("现场笔录")
    built.approval()
    assert any(h.missing_record for h in hits(built, "A17-coercion"))


@pytest.mark.rule("A17-coercion")
def test_17_3_a_compliant_control_measure_is_silent(scene):
    """行政控制：决定书、现场笔录、审批、告知与签字均齐全：不报。"""
    assert hits(scene("control"), "A17-coercion") == []


@pytest.mark.rule("A11-mandatory")
def test_17_2_a_seizure_without_av_is_flagged(scene):
    """实施查封、扣押未全过程音像记录：应录未录。"""
    assert keys(scene("seizure", compliant=False), "A11-mandatory") == {"absent"}


def test_17_4_evidence_preservation_cannot_be_configured_out_of_the_approval():
    """配置不能取消证据先行登记保存的审批要求：拒绝并引用第十七条第（四）项。"""
    data = {**defaults(), "coercion_approval_kinds": ["seizure", "control"]}
    with pytest.raises(ValidationError) as error:
        validate_config(data)
    assert "第十七条第（四）项" in str(error.value)


@pytest.mark.rule("A17-coercion")
def test_17_api_an_unapproved_preservation_reaches_the_terminal(scene, api):
    """接口：未经审批的证据先行登记保存，检查发现经接口可见并引用第十七条。"""
    built = scene("evidence_preservation", compliant=False)
    built.segment(START, built.act.ended_at)
    built.document("证据先行登记保存决定书")
    built.document("现场笔录")
    messages = [f["message"] for f in api_findings(api, built)["A17-coercion"]]
    assert any("缺少强制措施审批文书" in m for m in messages)
