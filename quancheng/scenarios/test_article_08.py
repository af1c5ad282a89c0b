"""第八条 记录形式: the record of an act is its documents, AV and electronic data together,
continuous, complete and consistent; the act's completeness (完整性) says so."""

import datetime as dt

import pytest

from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import ActCompliance, Completeness
from quancheng.ledger.models import Event

from .conftest import END, NOW, START, hits

pytestmark = pytest.mark.django_db


def test_08_an_act_with_documents_av_and_data_in_agreement_is_complete(scene):
    """文字记录、音像记录、电子数据齐全且一致：完整。"""
    built = scene()
    assert hits(built) == []
    assert evaluate_act(built.act, now=NOW).status == Completeness.COMPLETE


def test_08_an_act_missing_a_required_form_of_record_is_mandatory_missing(scene):
    """只有音像记录，缺少应有的文书：应录未录。"""
    built = scene(compliant=False)
    built.segment(START, END)
    assert evaluate_act(built.act, now=NOW).status == Completeness.MANDATORY_MISSING


@pytest.mark.rule("A11-gap")
def test_08_a_discontinuous_recording_leaves_findings_open(scene):
    """音像记录不连续（中断3分钟）：有未处理的检查发现。"""
    gapped = scene(compliant=False)
    gapped.segment(START, START + dt.timedelta(minutes=20))
    gapped.segment(START + dt.timedelta(minutes=23), END)
    assert hits(gapped, "A11-gap")


def test_08_evaluating_again_writes_nothing(scene):
    """记录未变时重复检查：不产生新的账本事件（结论一致）。"""
    built = scene(compliant=False)
    built.segment(START, END)
    evaluate_act(built.act, now=NOW)
    before = Event.objects.count()
    evaluate_act(built.act, now=NOW)
    assert Event.objects.count() == before


def test_08_completing_the_record_closes_the_findings(scene):
    """补齐文书后再次检查：检查发现关闭，执法行为变为完整。"""
    built = scene(compliant=False)
    built.main = built.segment(START, END)
    evaluate_act(built.act, now=NOW)
    for offset, kind in enumerate(
        ["arrival_door", "identity_stated", "certificate_shown", "rights_told", "party_signing"]
    ):
        built.mark(built.main, kind, 10 + offset * 60)
    built.mark(built.main, "door_at_end", 3590)
    built.document("现场笔录")
    built.data()
    built.register()
    evaluate_act(built.act, now=NOW)
    assert ActCompliance.objects.get(act=built.act).status == Completeness.COMPLETE


def test_08_api_the_terminal_reads_the_acts_completeness(scene, api):
    """接口：执法终端读取执法行为的完整性（应录未录）。"""
    built = scene(compliant=False)
    built.segment(START, END)
    evaluate_act(built.act, now=NOW)
    body = api.get(f"/acts/{built.act.pk}/findings").json()
    assert body["completeness"] == "mandatory_missing"
