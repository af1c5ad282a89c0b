"""第二十七条 责任追究: acts that should have been recorded and were not (一), falsified records
(二), cut, altered or damaged AV (三) are found and raised so that the head can act."""

import datetime as dt

import pytest

from quancheng.alerts.models import Alert
from quancheng.compliance.evaluate import evaluate_act

from .conftest import END, NOW, START, api_findings, hits, keys

pytestmark = pytest.mark.django_db


def _missing_av_alert(act):
    return Alert.objects.filter(kind="record.missing_av", object_id=str(act.pk)).first()


def test_27_1_an_act_not_recorded_raises_the_alert_and_recording_closes_it(scene):
    """应当记录而未记录：告警；补充关联音像记录后告警关闭。"""
    built = scene("interrogation", compliant=False)
    built.document("询问记录")
    evaluate_act(built.act, now=NOW)
    assert _missing_av_alert(built.act).closed_at is None
    built.segment(START, END)
    evaluate_act(built.act, now=NOW)
    assert _missing_av_alert(built.act).closed_at is not None


@pytest.mark.rule("A27-violations")
def test_27_2_overlapping_segments_of_one_camera_are_flagged(scene):
    """同一设备的两段记录时间重叠（弄虚作假的迹象）：报。"""
    built = scene()
    overlapping = built.segment(END - dt.timedelta(minutes=10), END)
    assert f"overlap:{built.main.pk}:{overlapping.pk}" in keys(built, "A27-violations")


@pytest.mark.rule("A27-violations")
def test_27_3_damaged_av_is_flagged(scene):
    """音像记录文件损坏、无法读取：报。"""
    built = scene()
    damaged = built.segment(START, END, device=built.device(), readable=False)
    assert f"unreadable:{damaged.pk}" in keys(built, "A27-violations")


@pytest.mark.rule("A27-violations")
def test_27_two_cameras_recording_at_once_is_normal(scene):
    """两台设备同时录制：正常，不报。"""
    built = scene()
    built.segment(START, END, officer=built.colleague, device=built.device())
    assert hits(built, "A27-violations") == []


@pytest.mark.rule("A27-violations")
def test_27_api_damaged_av_reaches_the_terminal(scene, api):
    """接口：损坏的音像记录的检查发现经接口可见。"""
    built = scene()
    built.segment(START, END, device=built.device(), readable=False)
    assert "A27-violations" in api_findings(api, built)
