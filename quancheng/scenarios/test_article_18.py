"""第十八条: AV records include the time, the officers and the subject of the act
(执法时间、执法人员、执法对象), and agree with the documents (反映的内容应当与相应文书记载的一致).

What the platform can judge of a recording is its time and whom it belongs to. Every upload is
probed like dock ingest (issue 14 ¶1); a file that carries no time gets one entered by hand with
a reason, and that time is named "时间为手工录入" wherever it is used. An inspection on 10 March
2026, 09:30–10:00 Beijing time, by 张伟 and 李娜; the clock stands at 12:00 that day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from quancheng.cases.services import create_act
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Finding
from quancheng.ledger.models import Event
from quancheng.orgs.services import assign_device, create_device, set_device_clock_offset
from quancheng.records.attach import attach_upload
from quancheng.records.models import Segment
from quancheng.records.tests.conftest import make_token
from quancheng.records.tests.upload_scene import (
    finished_upload,
    timed_clip,
    untimed_clip,
    upload_segment,
    upload_through_api,
)
from quancheng.records.timing import enter_segment_time

pytestmark = [pytest.mark.django_db]

BEIJING = ZoneInfo("Asia/Shanghai")
ARRIVAL = dt.datetime(2026, 3, 10, 9, 30, tzinfo=BEIJING)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
MANUAL = "时间为手工录入"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(ARRIVAL + dt.timedelta(hours=2, minutes=30), tick=False) as t:
        yield t


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def inspection(officer, colleague, agency, subject):
    return create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=ARRIVAL,
        ended_at=ARRIVAL + dt.timedelta(minutes=30),
        place=subject.address,
        subject=subject,
    )


@pytest.fixture
def body_camera(custodian, agency, officer):
    device = create_device(custodian, agency=agency, kind="body_camera", serial_number="DSJ-1801")
    assign_device(custodian, device, officer, ARRIVAL.date() - dt.timedelta(days=30))
    return device


def findings(act, rule_id: str, segment=None) -> list[Finding]:
    """The act's active findings of a rule (on one segment), after evaluating the act now."""
    evaluate_act(act)
    rows = Finding.objects.filter(act=act, rule_id=rule_id, status__in=Finding.ACTIVE)
    if segment is not None:
        rows = rows.filter(key=f"segment:{segment.pk}")
    return list(rows)


def at(minutes: float) -> dt.datetime:
    return ARRIVAL + dt.timedelta(minutes=minutes)


# --- 执法时间: every recording has its time -------------------------------------------------------


@pytest.mark.rule("A18-content")
def test_an_uploaded_video_without_a_time_is_flagged(officer, inspection):
    """上传的音像记录未记载拍摄时间：提示无法确定录制起止时间"""
    segment = upload_segment(officer, inspection, untimed_clip(), "phone.mp4")
    (finding,) = findings(inspection, "A18-content", segment)
    assert "无法确定录制起止时间" in finding.message


@pytest.mark.rule("A18-content")
def test_an_uploaded_video_with_its_creation_time_is_not_flagged(officer, inspection, body_camera):
    """上传的音像记录带拍摄时间：与采集站导入一样读取起止时间，不提示"""
    segment = upload_segment(officer, inspection, timed_clip(at(1)), "DSC_0001.mp4")
    assert segment.started_at == at(1) and segment.time_source == Segment.TimeSource.DEVICE
    assert segment.ended_at == at(1) + dt.timedelta(seconds=segment.duration_seconds)
    assert findings(inspection, "A18-content", segment) == []


@pytest.mark.rule("A18-content")
def test_a_time_entered_by_hand_with_a_reason_resolves_the_finding(
    officer, inspection, body_camera
):
    """文件无时间时由执法人员手工录入开始时间和设备并说明原因：提示消除，记录注明时间为手工录入"""
    segment = upload_segment(officer, inspection, untimed_clip(), "phone.mp4")
    assert findings(inspection, "A18-content", segment)
    enter_segment_time(
        officer, segment, started_at=at(2), device=body_camera, reason="记录仪时钟未设置"
    )
    assert findings(inspection, "A18-content", segment) == []
    segment.refresh_from_db()
    assert segment.time_by_hand and segment.started_at == at(2)
    assert Event.objects.filter(action="segment.time_entered").count() == 1


@pytest.mark.rule("A18-content")
def test_a_time_entered_without_a_reason_is_refused_and_the_finding_stays(
    officer, inspection, body_camera
):
    """手工录入时间不说明原因：拒绝，提示仍在"""
    segment = upload_segment(officer, inspection, untimed_clip(), "phone.mp4")
    with pytest.raises(ValidationError):
        enter_segment_time(officer, segment, started_at=at(2), device=body_camera, reason="")
    assert findings(inspection, "A18-content", segment)


@pytest.mark.rule("A18-content")
def test_a_camera_running_fast_gives_the_true_time(custodian, officer, inspection, body_camera):
    """记录仪时钟快10分钟：按设备时钟偏差校正为真实时间，保留设备时间"""
    set_device_clock_offset(custodian, body_camera, 600)
    segment = upload_segment(
        officer, inspection, timed_clip(at(11), ("serial_number", "DSJ-1801")), "fast.mp4"
    )
    assert segment.started_at == at(1) and segment.device_started_at == at(11)
    assert findings(inspection, "A18-content", segment) == []


# --- 执法人员: every recording belongs to an officer or a device ----------------------------------


@pytest.mark.rule("A18-content")
def test_a_video_tied_to_no_officer_or_device_is_flagged(custodian, inspection):
    """记录管理专人代传、文件未载设备编号：无法确定执法人员或设备，提示"""
    segment = upload_segment(custodian, inspection, timed_clip(at(1)), "copy.mp4")
    assert segment.officer is None and segment.device is None
    (finding,) = findings(inspection, "A18-content", segment)
    assert "无法确定执法人员或设备" in finding.message


@pytest.mark.rule("A18-content")
def test_a_video_uploaded_by_the_recording_officer_is_tied_to_the_officer(officer, inspection):
    """执法人员本人上传、未领用记录仪：记录归属上传的执法人员，不提示"""
    segment = upload_segment(officer, inspection, timed_clip(at(1)), "own.mp4")
    assert segment.officer == officer
    assert findings(inspection, "A18-content", segment) == []


# --- 与文书记载一致 -------------------------------------------------------------------------------


def _record_document(officer, act, started, ended):
    upload = finished_upload(officer, PDF, "现场笔录.pdf", act)
    attach_upload(
        officer,
        act,
        upload.pk,
        "document",
        doc_type="现场笔录",
        written_started_at=started,
        written_ended_at=ended,
    )


@pytest.mark.rule("A15-complete")
def test_a_document_disagreeing_with_a_hand_timed_video_is_flagged_and_says_so(
    officer, inspection, body_camera
):
    """文书记载时间与手工录入时间的音像记录不一致：提示，并注明时间为手工录入"""
    segment = upload_segment(officer, inspection, untimed_clip(), "phone.mp4")
    enter_segment_time(officer, segment, started_at=at(2), device=body_camera, reason="时钟未设")
    _record_document(officer, inspection, at(60), at(90))
    (finding,) = findings(inspection, "A15-complete")
    assert f"第{segment.pk}号音像记录的{MANUAL}" in finding.message


@pytest.mark.rule("A15-complete")
def test_a_document_agreeing_with_the_probed_video_is_not_flagged(officer, inspection, body_camera):
    """文书记载时间与音像记录读取的起止时间一致：不提示"""
    segment = upload_segment(officer, inspection, timed_clip(at(1)), "DSC_0002.mp4")
    _record_document(officer, inspection, segment.started_at, segment.ended_at)
    assert findings(inspection, "A15-complete") == []


# --- end to end through the API -------------------------------------------------------------------


@pytest.mark.rule("A18-content")
def test_api_an_untimed_upload_is_flagged_until_its_time_is_entered(
    officer, inspection, body_camera
):
    """终端接口：无时间的上传被提示；经接口手工录入时间并说明原因后提示消除"""
    client, secret = Client(), make_token(officer)
    attached = upload_through_api(client, secret, inspection, untimed_clip(), "phone.mp4")
    assert attached.status_code == 201
    body = attached.json()
    assert body["started_at"] is None and body["time_source"] == ""
    auth = {"Authorization": f"Bearer {secret}"}

    def a18_open() -> list:
        evaluate_act(inspection)
        listed = client.get(f"/api/v1/acts/{inspection.pk}/findings", headers=auth).json()
        return [
            f
            for f in listed["findings"]
            if f["rule_id"] == "A18-content" and f["status"] in Finding.ACTIVE
        ]

    assert a18_open()
    timed = client.post(
        f"/api/v1/segments/{body['id']}/time",
        {"started_at": at(2).isoformat(), "device": "DSJ-1801", "reason": "记录仪时钟未设置"},
        content_type="application/json",
        headers=auth,
    )
    assert timed.status_code == 200 and timed.json()["time_by_hand"] is True
    assert a18_open() == []


@pytest.mark.rule("A18-content")
def test_api_a_timed_upload_answers_with_its_probed_time(officer, inspection, body_camera):
    """终端接口：带拍摄时间的上传直接返回读取的起止时间、时长和设备"""
    client, secret = Client(), make_token(officer)
    data = timed_clip(at(1), ("serial_number", "DSJ-1801"))
    body = upload_through_api(client, secret, inspection, data, "DSC_0003.mp4").json()
    assert dt.datetime.fromisoformat(body["started_at"]) == at(1)
    assert body["duration_seconds"] == pytest.approx(2, abs=0.2)
    assert body["device"] == "DSJ-1801" and body["time_source"] == "device"
    assert findings(inspection, "A18-content") == []
