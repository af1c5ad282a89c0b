"""Every video gets its times on every path (issue 14 ¶1).

A browser or API upload attached as a segment is probed exactly like dock ingest; a file without
a usable time gets its start and device entered by hand, with a reason, as a ledger event; the
segment then says "时间为手工录入" wherever it is shown; markers lie within the duration.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from quancheng.alerts.models import Alert
from quancheng.compliance.services import add_marker
from quancheng.conftest import make_person
from quancheng.ledger.models import Event
from quancheng.records.models import Segment
from quancheng.records.tests.ingest_scene import bj, camera
from quancheng.records.timing import enter_segment_time

from .conftest import make_token
from .upload_scene import BROKEN_MP4 as MP4
from .upload_scene import (
    GPS,
    SERIAL,
    finished_upload,
    timed_clip,
    untimed_clip,
    upload_segment,
)


def events(action: str, segment=None) -> list[dict]:
    """The bodies of the ledger's events of that action (on that segment)."""
    rows = Event.objects.filter(action=action)
    if segment is not None:
        rows = rows.for_object(segment)
    return [json.loads(e.body) for e in rows]


# --- probing on the upload path -----------------------------------------------------------------


def test_an_uploaded_clip_gets_times_codecs_gps_and_device_like_dock_ingest(
    officer, scene_act, cam
):
    """The old attach step left every time empty: the rules could never be satisfied."""
    segment = upload_segment(
        officer, scene_act, timed_clip(bj(9, 31), ("serial_number", SERIAL), GPS)
    )
    assert segment.readable and segment.time_source == Segment.TimeSource.DEVICE
    assert segment.started_at == bj(9, 31) and segment.device_started_at == bj(9, 31)
    assert segment.duration_seconds == pytest.approx(2, abs=0.2)
    assert segment.ended_at == bj(9, 31) + dt.timedelta(seconds=segment.duration_seconds)
    assert (segment.video_codec, segment.audio_codec) == ("h264", "aac")
    assert (segment.width, segment.height, segment.container) == (64, 48, "mp4")
    assert (segment.gps_latitude, segment.gps_longitude) == (Decimal("29.563"), Decimal("106.5516"))
    assert segment.device == cam and segment.officer == officer
    (created,) = events("segment.created", segment)
    assert created["started_at"].startswith(bj(9, 31).astimezone(dt.UTC).isoformat()[:19])
    assert created["time_source"] == "device"


def test_the_device_clock_offset_is_applied_to_an_upload(officer, custodian, agency, scene_act):
    camera(custodian, agency, "DSJ-FAST", officer=officer, clock_offset=120)  # 2 minutes fast
    segment = upload_segment(
        officer, scene_act, timed_clip(bj(9, 33), ("serial_number", "DSJ-FAST"))
    )
    assert segment.device_started_at == bj(9, 33)
    assert segment.started_at == bj(9, 31) and segment.clock_offset_seconds == 120


def test_a_clip_naming_no_device_is_the_uploaders_assigned_camera(officer, scene_act, cam):
    segment = upload_segment(officer, scene_act, timed_clip(bj(9, 31)))
    assert segment.device == cam and segment.officer == officer


def test_a_clip_without_a_time_keeps_its_duration_and_waits_for_a_time(officer, scene_act):
    segment = upload_segment(officer, scene_act, untimed_clip())
    assert segment.readable and segment.started_at is None
    assert segment.time_source == Segment.TimeSource.NONE
    assert segment.duration_seconds == pytest.approx(2, abs=0.2)
    assert segment.video_codec == "h264"


def test_an_unparseable_upload_is_kept_and_raised_to_the_custodian(officer, scene_act):
    segment = upload_segment(officer, scene_act, MP4, "broken.mp4")
    assert not segment.readable and segment.parse_error
    alert = Alert.objects.get(kind="records.unreadable")
    assert alert.detail["source"] == "upload"


def test_the_api_attach_answers_with_the_probed_times(officer, scene_act, cam):
    upload = finished_upload(officer, timed_clip(bj(9, 31), ("serial_number", SERIAL)), "a.mp4")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(officer)}")
    response = client.post(
        f"/api/v1/acts/{scene_act.pk}/segments",
        {"upload_id": str(upload.pk)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["started_at"].startswith("20") and body["ended_at"] is not None
    assert body["device"] == SERIAL and body["time_source"] == "device"
    assert body["time_by_hand"] is False
    assert body["video_codec"] == "h264" and body["width"] == 64


# --- time entered by hand -----------------------------------------------------------------------


def test_the_officer_enters_start_and_device_with_a_reason(officer, untimed, cam):
    segment = enter_segment_time(
        officer, untimed, started_at=bj(9, 30, 5), device=cam, reason="记录仪时钟未设置"
    )
    assert segment.time_by_hand and segment.time_entry_reason == "记录仪时钟未设置"
    assert segment.started_at == bj(9, 30, 5) and segment.device == cam
    assert segment.ended_at == bj(9, 30, 5) + dt.timedelta(seconds=segment.duration_seconds)
    (event,) = events("segment.time_entered", segment)
    assert event["reason"] == "记录仪时钟未设置"
    assert event["before"]["started_at"] is None
    assert event["after"]["device"] == SERIAL and event["after"]["time_source"] == "manual"


def test_the_custodian_may_enter_the_time(custodian, untimed, cam):
    enter_segment_time(custodian, untimed, started_at=bj(9, 30), device=cam, reason="按笔录录入")
    assert Segment.objects.get(pk=untimed.pk).time_by_hand


def test_a_time_without_a_reason_is_refused_and_nothing_changes(officer, untimed, cam):
    with pytest.raises(ValidationError) as refused:
        enter_segment_time(officer, untimed, started_at=bj(9, 30), device=cam, reason="  ")
    assert refused.value.error_dict["reason"][0].code == "required"
    untimed.refresh_from_db()
    assert untimed.started_at is None and events("segment.time_entered") == []


@pytest.mark.parametrize("who", ["commission", "head", "bystander"])
def test_someone_not_allowed_is_refused(request, who, agency, untimed, cam):
    if who == "bystander":  # an officer of the agency who neither recorded nor handles the act
        person = make_person("wangqiang", "王强", agency)
    else:
        person = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        enter_segment_time(person, untimed, started_at=bj(9, 30), device=cam, reason="原因")
    assert events("segment.time_entered") == []


def test_a_time_the_device_recorded_cannot_be_overwritten(officer, scene_act, cam):
    segment = upload_segment(officer, scene_act, timed_clip(bj(9, 31)))
    with pytest.raises(ValidationError) as refused:
        enter_segment_time(officer, segment, started_at=bj(9, 40), device=cam, reason="改一下")
    assert refused.value.error_dict["started_at"][0].code == "time_from_file"


def test_an_unreadable_file_gets_no_time_by_hand(officer, scene_act, cam):
    segment = upload_segment(officer, scene_act, MP4, "broken.mp4")
    with pytest.raises(ValidationError) as refused:
        enter_segment_time(officer, segment, started_at=bj(9, 30), device=cam, reason="原因")
    assert refused.value.error_dict["started_at"][0].code == "duration_unknown"


def test_a_future_start_and_another_districts_device_are_refused(
    officer, outsider, other_agency, untimed, cam
):
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        enter_segment_time(officer, untimed, started_at=future, device=cam, reason="原因")
    assert refused.value.error_dict["started_at"][0].code == "time_in_future"
    foreign = camera(outsider, other_agency, "DSJ-JB1")
    with pytest.raises(ValidationError) as refused:
        enter_segment_time(officer, untimed, started_at=bj(9, 30), device=foreign, reason="原因")
    assert refused.value.error_dict["device"][0].code == "not_found"


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {make_token(user)}")


def test_the_api_enters_a_time_by_hand(officer, untimed, cam):
    response = api(officer).post(
        f"/api/v1/segments/{untimed.pk}/time",
        {"started_at": "2020-01-01T00:00:00+08:00", "device": SERIAL, "reason": "时钟未设置"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["time_by_hand"] is True and body["time_source"] == "manual"
    assert body["started_at"].startswith("2020-01-01T00:00:00") and body["device"] == SERIAL


def test_the_api_refuses_bad_time_entries_with_json_codes(
    officer, commission, outsider, untimed, cam
):
    url = f"/api/v1/segments/{untimed.pk}/time"
    good = {"started_at": "2020-01-01T00:00:00+08:00", "device": SERIAL, "reason": "时钟未设置"}

    def post(user, **change):
        return api(user).post(url, {**good, **change}, content_type="application/json")

    no_reason = post(officer, reason="")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "required"
    assert "原因" in no_reason.json()["message"]
    unknown = post(officer, device="NOPE")
    assert unknown.status_code == 400 and unknown.json()["code"] == "not_found"
    forbidden = post(commission)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    assert post(outsider).status_code == 404
    assert events("segment.time_entered") == []


# --- markers within the duration ----------------------------------------------------------------


def test_markers_must_lie_within_the_duration(officer, scene_act):
    segment = upload_segment(officer, scene_act, timed_clip(bj(9, 31)))
    length = segment.duration_seconds
    add_marker(officer, segment, "identity_stated", length)  # the last moment is inside
    with pytest.raises(ValidationError) as refused:
        add_marker(officer, segment, "identity_stated", length + 1)
    assert refused.value.error_dict["offset_seconds"][0].code == "out_of_range"


def test_a_segment_of_unknown_duration_takes_no_marker(officer, scene_act):
    segment = upload_segment(officer, scene_act, MP4, "broken.mp4")
    with pytest.raises(ValidationError) as refused:
        add_marker(officer, segment, "identity_stated", 0)
    assert refused.value.error_dict["offset_seconds"][0].code == "duration_unknown"


def test_the_api_refuses_a_marker_past_the_end(officer, scene_act):
    segment = upload_segment(officer, scene_act, timed_clip(bj(9, 31)))
    response = api(officer).post(
        f"/api/v1/acts/{scene_act.pk}/markers",
        {"segment_id": segment.pk, "kind": "identity_stated", "offset_seconds": 60},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "out_of_range"
    assert "时长" in response.json()["message"]


def test_a_segment_in_a_sealed_dossier_gets_no_time(monkeypatch, officer, untimed, cam):
    from quancheng.orgs import capabilities

    monkeypatch.setitem(
        capabilities._FACTS, "sealed", lambda obj: "案卷已封存" if obj == untimed else ""
    )
    with pytest.raises(PermissionDenied):
        enter_segment_time(officer, untimed, started_at=bj(9, 30), device=cam, reason="原因")
    assert events("segment.time_entered") == []
