"""第十一条 音像记录的范围与不间断记录: acts prone to dispute recorded as circumstances require;
acts directly involving life, health or major property, and case-handling rooms, recorded over
the whole process (¶1); no interruption, or a voice explanation, or a written one after the act
(¶2)."""

import datetime as dt

import pytest

from quancheng.compliance.services import add_explanation

from .conftest import END, START, api_findings, at, config_with, hits, keys

pytestmark = pytest.mark.django_db

MID = START + dt.timedelta(minutes=30)
RESUME = MID + dt.timedelta(minutes=3)


def _gapped(scene):
    built = scene(compliant=False)
    first = built.segment(START, MID)
    second = built.segment(RESUME, END)
    return built, first, second


@pytest.mark.rule("A11-dispute")
def test_11_1_an_onsite_act_without_av_is_a_warning(scene):
    """现场执法（容易引发争议）未见音像记录：提示根据实际情况音像记录。"""
    built = scene("onsite", compliant=False)
    [hit] = hits(built, "A11-dispute")
    assert hits(built, "A11-mandatory") == []
    assert hit.params["kind"]


@pytest.mark.rule("A11-dispute")
def test_11_1_an_onsite_act_the_configuration_leaves_out_is_silent(scene):
    """配置未列入容易引发争议的种类：不提示。"""
    built = scene("onsite", compliant=False)
    config = config_with(av_dispute_kinds=["hearing"])
    assert hits(built, "A11-dispute", config=config) == []


@pytest.mark.rule("A11-mandatory")
def test_11_1_an_act_involving_life_or_health_must_be_recorded_whatever_its_kind(scene):
    """直接涉及生命健康的现场执法：无论种类，均应全过程音像记录。"""
    built = scene("onsite", compliant=False)
    built.act.involves_life_or_property = True
    built.act.save()
    assert keys(built, "A11-mandatory") == {"absent"}


@pytest.mark.rule("A11-mandatory")
def test_11_1_a_recording_stopped_before_the_end_is_flagged(scene):
    """执法结束前10分钟已停止录制：未全过程记录。"""
    built = scene("interrogation", compliant=False)
    built.segment(START, END - dt.timedelta(minutes=10))
    assert keys(built, "A11-mandatory") == {"incomplete"}


@pytest.mark.rule("A11-gap")
def test_11_2_an_unexplained_three_minute_gap_is_flagged(scene):
    """中断3分钟且无说明：报。"""
    built, _, _ = _gapped(scene)
    [hit] = hits(built, "A11-gap")
    assert hit.params["duration"] == "3分0秒"


@pytest.mark.rule("A11-gap")
def test_11_2_a_twenty_second_break_is_within_the_tolerance(scene):
    """20秒的间隔（允许30秒）：不是中断。"""
    built = scene(compliant=False)
    built.segment(START, MID)
    built.segment(MID + dt.timedelta(seconds=20), END)
    assert hits(built, "A11-gap") == []


@pytest.mark.rule("A11-gap")
def test_11_2_a_voice_explanation_at_the_restart_satisfies_it(scene):
    """恢复录制后即作语音说明：不报。"""
    built, _, second = _gapped(scene)
    built.mark(second, "interruption_explained", 20)
    assert hits(built, "A11-gap") == []


@pytest.mark.rule("A11-gap")
def test_11_2_a_voice_explanation_twenty_minutes_later_is_too_late(scene):
    """恢复录制20分钟后才作语音说明：仍报。"""
    built, _, second = _gapped(scene)
    built.mark(second, "interruption_explained", 1200)
    assert len(hits(built, "A11-gap")) == 1


@pytest.mark.rule("A11-gap")
def test_11_2_a_written_explanation_after_the_act_satisfies_it(scene, clock):
    """执法活动结束后制作书面说明：不报。"""
    built, _, _ = _gapped(scene)
    clock(at(2026, 11, 16, 11, 0))
    add_explanation(built.officer, built.act, "written_gap", "记录仪电量耗尽，更换电池")
    assert hits(built, "A11-gap") == []


@pytest.mark.rule("A11-gap")
def test_11_2_a_colleagues_camera_covering_the_break_is_not_a_gap(scene):
    """另一名执法人员的执法记录仪覆盖了中断时段：不是中断。"""
    built, _, _ = _gapped(scene)
    built.segment(MID, RESUME, officer=built.colleague, device=built.device())
    assert hits(built, "A11-gap") == []


@pytest.mark.rule("A11-gap")
def test_11_api_an_unexplained_gap_reaches_the_terminal(scene, api):
    """接口：未说明的中断经接口可见，并引用第十一条第二款。"""
    built, _, _ = _gapped(scene)
    [finding] = api_findings(api, built)["A11-gap"]
    assert finding["message"].endswith("（第十一条第二款）")
