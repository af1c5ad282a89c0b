"""第十条: 音像记录 is the real-time recording of the enforcement activity by cameras, recorder
pens, video cameras, body cameras and video surveillance; the city agency sets the list of items
to record (记录事项清单).

What the platform holds to: a file taken as AV is audio or video that can be read (its time,
duration and device read from it, like dock ingest); anything else is refused, a damaged file is
kept and raised; the items of the list are marked at moments inside the recording. An inspection
on 10 March 2026, 09:30–10:00 Beijing time, by 张伟 and 李娜; the clock stands at 12:00 that day.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import wave
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from quancheng import compliance
from quancheng.alerts.models import Alert
from quancheng.cases.services import create_act
from quancheng.compliance.config import validate_config
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Finding, Marker
from quancheng.compliance.services import add_marker
from quancheng.records.models import Segment
from quancheng.records.services import UploadError
from quancheng.records.tests.conftest import make_token
from quancheng.records.tests.ingest_media import clip_bytes, utc_tag
from quancheng.records.tests.upload_scene import (
    timed_clip,
    untimed_clip,
    upload_segment,
    upload_through_api,
)

pytestmark = [pytest.mark.django_db]

BEIJING = ZoneInfo("Asia/Shanghai")
ARRIVAL = dt.datetime(2026, 3, 10, 9, 30, tzinfo=BEIJING)
BUNDLED_RULES = Path(compliance.__file__).parent / "data" / "rules.json"


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
def video(officer, inspection) -> Segment:
    return upload_segment(officer, inspection, timed_clip(ARRIVAL), "DSC_1001.mp4")


def recorder_pen_wav(seconds: int = 1) -> bytes:
    """What a recorder pen (录音笔) produces: 8 kHz mono 16-bit PCM in a WAV file, no time."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(2 * 8000 * seconds))
    return out.getvalue()


# --- what counts as 音像记录 ----------------------------------------------------------------------


def test_a_file_that_is_not_audio_or_video_is_refused_as_av(officer, inspection):
    """文本或文书扫描件当作音像记录上传：拒绝（415），不登记"""
    with pytest.raises(UploadError) as refused:
        upload_segment(officer, inspection, b"%PDF-1.7\n" + bytes(100), "scan.mp4")
    assert refused.value.code == "wrong_content_type"
    assert Segment.objects.count() == 0


def test_a_body_camera_video_is_taken_with_its_recording_facts(officer, inspection):
    """执法记录仪视频：读取拍摄时间、时长、编码和分辨率，作为音像记录登记"""
    segment = upload_segment(officer, inspection, timed_clip(ARRIVAL), "DSC_1002.mp4")
    assert segment.readable and segment.media_kind == "video"
    assert segment.started_at == ARRIVAL and segment.duration_seconds == pytest.approx(2, 0.1)
    assert (segment.video_codec, segment.width, segment.height) == ("h264", 64, 48)


def test_a_recorder_pen_audio_file_is_taken_as_audio_awaiting_its_time(officer, inspection):
    """录音笔的 WAV 录音：作为音频登记，读取时长；文件无时间，等待手工录入"""
    segment = upload_segment(officer, inspection, recorder_pen_wav(), "REC001.WAV")
    assert segment.readable and segment.media_kind == "audio"
    assert segment.duration_seconds == pytest.approx(1, 0.1)
    assert segment.started_at is None and not segment.time_by_hand


def test_a_damaged_recording_is_kept_and_raised_not_taken_as_readable(officer, inspection):
    """传输中断的残缺视频：原样保存、标记无法解析并提醒记录管理专人"""
    cut = clip_bytes(utc_tag(ARRIVAL), 2)
    segment = upload_segment(officer, inspection, cut[: len(cut) // 2], "cut.mp4")
    assert not segment.readable and segment.parse_error
    assert Alert.objects.filter(kind="records.unreadable").count() == 1


# --- 记录事项清单: items marked inside the recording ---------------------------------------------


def test_an_item_marked_past_the_end_of_the_recording_is_refused(officer, video):
    """记录事项（表明身份）标记在录像结束之后：拒绝"""
    with pytest.raises(ValidationError) as refused:
        add_marker(officer, video, "identity_stated", video.duration_seconds + 5)
    assert refused.value.error_dict["offset_seconds"][0].code == "out_of_range"
    assert Marker.objects.count() == 0


def test_an_item_on_a_recording_of_unknown_length_is_refused(officer, inspection):
    """无法解析、时长不明的录像上标记记录事项：拒绝"""
    cut = clip_bytes(utc_tag(ARRIVAL), 2)
    segment = upload_segment(officer, inspection, cut[: len(cut) // 2], "cut.mp4")
    with pytest.raises(ValidationError) as refused:
        add_marker(officer, segment, "identity_stated", 0)
    assert refused.value.error_dict["offset_seconds"][0].code == "duration_unknown"


@pytest.mark.rule("A15-identity")
def test_items_marked_inside_the_recording_are_taken_by_the_rules(officer, inspection, video):
    """表明身份、出示证件标记在录像时长之内：接受，检查不再提示"""
    add_marker(officer, video, "identity_stated", 0.5)
    add_marker(officer, video, "certificate_shown", video.duration_seconds)
    evaluate_act(inspection)
    active = Finding.objects.filter(act=inspection, status__in=Finding.ACTIVE)
    assert not active.filter(rule_id="A15-identity").exists()


@pytest.mark.rule("A15-identity")
def test_without_the_items_marked_the_act_is_flagged(inspection, video):
    """录像中未标记表明身份、出示证件：提示"""
    evaluate_act(inspection)
    (finding,) = Finding.objects.filter(act=inspection, rule_id="A15-identity")
    assert "表明身份" in finding.message and "出示执法证件" in finding.message


def test_a_list_naming_an_item_no_marker_can_record_is_refused():
    """记录事项清单中有无法标记的事项：配置被拒绝"""
    with open(BUNDLED_RULES, encoding="utf-8") as f:
        data = json.load(f)
    data["a10_items"].append({"code": "weather_filmed", "label": "拍摄天气"})
    with pytest.raises(ValidationError, match="weather_filmed"):
        validate_config(data)


def test_the_bundled_list_names_only_markable_items():
    """内置的记录事项清单：每一项都有对应的标记类型"""
    with open(BUNDLED_RULES, encoding="utf-8") as f:
        data = json.load(f)
    validate_config(data)
    assert {i["code"] for i in data["a10_items"]} <= set(Marker.Kind.values)


# --- end to end through the API -------------------------------------------------------------------


def test_api_a_video_is_uploaded_and_its_items_marked_within_it(officer, inspection):
    """终端接口：上传视频后在时长之内标记记录事项被接受，超出时长被拒绝"""
    client, secret = Client(), make_token(officer)
    attached = upload_through_api(client, secret, inspection, untimed_clip(), "DSC_1003.mp4")
    assert attached.status_code == 201
    segment = attached.json()
    auth = {"Authorization": f"Bearer {secret}"}

    def mark(offset: float):
        return client.post(
            f"/api/v1/acts/{inspection.pk}/markers",
            {"segment_id": segment["id"], "kind": "identity_stated", "offset_seconds": offset},
            content_type="application/json",
            headers=auth,
        )

    late = mark(segment["duration_seconds"] + 1)
    assert late.status_code == 400 and late.json()["code"] == "out_of_range"
    assert mark(1).status_code == 201
