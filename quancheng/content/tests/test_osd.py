"""The picture's clock: OSD read from real clips, stored, compared with the file's time."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from quancheng.compliance.config import defaults as rule_defaults
from quancheng.compliance.config import validate_config
from quancheng.content import ocr
from quancheng.content.models import OsdReading
from quancheng.content.osd import combine, parse_time, read_osd, read_sample, sample_times
from quancheng.ledger.models import Event
from quancheng.orgs.models import Device

from .conftest import (
    DEVICE,
    IN_STEP,
    OFFICER_NUMBER,
    PLAIN,
    RETIMED_FILE,
    RETIMED_PICTURE,
    add_clip,
)

RULE = "A18-picture-clock"
pytestmark = pytest.mark.rule("A18-picture-clock")


@pytest.fixture
def built(scene):
    built = scene(compliant=False)
    built.camera = Device.objects.create(
        agency=built.agency, kind=Device.Kind.BODY_CAMERA, serial_number=DEVICE
    )
    return built


def _events(obj, action):
    return Event.objects.for_object(obj).filter(action=action)


def _body(obj, action) -> dict:
    return json.loads(_events(obj, action).get().body)


# --- reading ---------------------------------------------------------------------------------


def test_in_step_clip_gives_time_to_the_second_and_numbers_exactly(built, clips):
    segment = add_clip(built, clips["in_step"], IN_STEP)
    reading = read_osd(segment.pk)
    assert reading.status == OsdReading.Status.READ
    assert reading.picture_started_at == IN_STEP
    assert reading.device_number == DEVICE
    assert reading.officer_number == OFFICER_NUMBER
    assert reading.sampled == 2 and reading.readable_samples == 2
    assert reading.inconsistent_samples == 0
    assert [s["at"] for s in reading.samples] == [0.0, 2.0]
    body = _body(segment, "segment.osd_read")
    assert dt.datetime.fromisoformat(body["picture_started_at"]) == IN_STEP
    assert body["device_number"] == DEVICE
    assert "rapidocr-onnxruntime 1.4.4" in body["engine"]
    assert built.hits(RULE) == []


def test_clip_seven_minutes_off_raises_the_finding(built, clips):
    segment = add_clip(built, clips["retimed"], RETIMED_FILE)
    reading = read_osd(segment.pk)
    assert reading.picture_started_at == RETIMED_PICTURE
    hits = built.hits(RULE)
    assert len(hits) == 1
    assert hits[0].evidence["difference_seconds"] == 420
    assert hits[0].evidence["segments"] == [segment.pk]
    assert "相差420秒（允许30秒）" in hits[0].params["problem"]


def test_clip_without_osd_is_unreadable_not_guessed(built, clips):
    segment = add_clip(built, clips["plain"], PLAIN)
    reading = read_osd(segment.pk)
    assert reading.status == OsdReading.Status.UNREADABLE
    assert reading.picture_started_at is None
    assert reading.device_number == ""
    assert reading.sampled == 2 and reading.readable_samples == 0
    assert _body(segment, "segment.osd_read")["status"] == "unreadable"
    assert built.hits(RULE) == []


def test_another_device_number_in_the_picture_is_a_finding(built, clips):
    other = Device.objects.create(
        agency=built.agency, kind=Device.Kind.BODY_CAMERA, serial_number="DSJ-B999999"
    )
    segment = add_clip(built, clips["in_step"], IN_STEP, device=other)
    read_osd(segment.pk)
    [hit] = built.hits(RULE)
    assert hit.evidence == {
        "segments": [segment.pk],
        "picture_device": DEVICE,
        "device": "DSJ-B999999",
    }


def test_reading_is_not_repeated_unless_forced(built, clips, monkeypatch):
    segment = add_clip(built, clips["plain"], PLAIN)
    read_osd(segment.pk)
    monkeypatch.setattr(ocr, "read_lines", lambda image: pytest.fail("read again"))
    read_osd(segment.pk)
    assert _events(segment, "segment.osd_read").count() == 1


def test_a_new_video_segment_queues_the_reading(built, clips, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        segment = add_clip(built, clips["plain"], PLAIN)
    queued = [r for r in DBTaskResult.objects.all() if r.task_path.endswith("read_segment_osd")]
    assert [r.args_kwargs["args"] for r in queued] == [[segment.pk]]


def test_read_osd_command_reads_what_was_never_read(built, clips):
    segment = add_clip(built, clips["plain"], PLAIN)
    out = io.StringIO()
    call_command("read_osd", stdout=out)
    assert f"segment {segment.pk}: 画面时间不可读" in out.getvalue()
    out = io.StringIO()
    call_command("read_osd", stdout=out)
    assert out.getvalue().strip() == "0 segment(s)"


# --- pages -----------------------------------------------------------------------------------


def test_segment_page_and_timeline_show_picture_time(built, clips, client, officer):
    retimed = add_clip(built, clips["retimed"], RETIMED_FILE)
    plain = add_clip(built, clips["plain"], PLAIN)
    read_osd(retimed.pk)
    read_osd(plain.pk)
    client.force_login(officer)
    page = client.get(retimed.get_absolute_url()).content.decode()
    assert "画面时间" in page
    assert "2026-11-16 09:20:00" in page
    assert "画面时间晚于文件时间 420 秒" in page
    assert "按画面时间更新设备时钟偏差" not in page  # the custodian's
    assert "画面时间不可读" in client.get(plain.get_absolute_url()).content.decode()
    act_page = client.get(built.act.get_absolute_url()).content.decode()
    assert "<th>画面时间</th>" in act_page
    assert "画面减文件 420 秒" in act_page
    assert "画面时间09:20:00" in act_page  # the bar's title on the axis
    assert "画面时间不可读" in act_page


def test_custodian_confirms_offset_from_the_picture(built, clips, client, custodian):
    segment = add_clip(built, clips["retimed"], RETIMED_FILE)
    read_osd(segment.pk)
    client.force_login(custodian)
    assert "按画面时间更新设备时钟偏差" in client.get(segment.get_absolute_url()).content.decode()
    url = reverse("content:picture_offset_confirm", args=[segment.pk])
    response = client.post(url, {"note": "与授时中心比对，画面时间正确"})
    assert response.status_code == 302
    built.camera.refresh_from_db()
    # The file's (device) time minus the picture's: 09:13:00 − 09:20:00.
    assert built.camera.clock_offset_seconds == -420
    device_body = _body(built.camera, "device.clock_offset_set")
    assert device_body["after"] == -420
    assert f"第{segment.pk}号音像记录画面时间" in device_body["note"]
    confirmed = _events(segment, "segment.picture_offset_confirmed").get()
    assert json.loads(confirmed.body)["before"] == 0
    assert json.loads(confirmed.body)["after"] == -420
    assert confirmed.actor == custodian


def test_picture_offset_needs_the_custodian_and_a_note(
    built, clips, client, officer, outsider, custodian
):
    segment = add_clip(built, clips["retimed"], RETIMED_FILE)
    read_osd(segment.pk)
    url = reverse("content:picture_offset_confirm", args=[segment.pk])
    client.force_login(officer)
    assert client.post(url, {"note": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"note": "x"}).status_code == 404
    client.force_login(custodian)
    client.post(url, {"note": ""})
    built.camera.refresh_from_db()
    assert built.camera.clock_offset_seconds == 0
    assert not _events(segment, "segment.picture_offset_confirmed").exists()


# --- parsing and configuration (no OCR) ------------------------------------------------------


def test_parse_time_reads_osd_forms_and_refuses_impossible_ones():
    expected = IN_STEP
    assert parse_time("2026-11-1609:00:05") == expected
    assert parse_time("2026/11/16 09:00:05") == expected
    assert parse_time("2026年11月16日 星期一 09:00:05") == expected
    assert parse_time("2026-13-16 09:00:05") is None
    assert parse_time("DSJ-A123456") is None


def test_combine_takes_the_consensus_and_counts_jumps():
    def sample(at, moment):
        line = ocr.Line(f"{moment:%Y-%m-%d %H:%M:%S}", 0.99, (0, 0, 10, 10))
        return read_sample(at, [line])

    jump = IN_STEP + dt.timedelta(minutes=5)
    result = combine(
        [sample(0.0, IN_STEP), sample(10.0, IN_STEP + dt.timedelta(seconds=10)), sample(19.0, jump)]
    )
    assert result.picture_started_at == IN_STEP
    assert result.inconsistent == 1


def test_sample_times_first_every_ten_seconds_and_last():
    assert sample_times(3) == [0.0, 2.0]
    assert sample_times(35) == [0.0, 10.0, 20.0, 30.0, 34.0]
    assert sample_times(None) == [0.0]


def test_picture_clock_tolerance_has_a_ceiling():
    data = {**rule_defaults(), "tolerances": {**rule_defaults()["tolerances"]}}
    data["tolerances"]["picture_clock_seconds"] = 301
    with pytest.raises(Exception, match="第十八条"):
        validate_config(data)
