"""The time entered by hand on pages: the segment page's form, and "时间为手工录入" wherever the
segment's time is used (act page, timeline, findings, dossier, extraction note)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from quancheng.access.package import note_rows
from quancheng.archive.dossiers import collect
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Finding
from quancheng.records.attach import attach_upload
from quancheng.records.models import Segment
from quancheng.records.tests.ingest_scene import bj
from quancheng.records.tests.test_attach import PDF
from quancheng.records.timing import enter_segment_time

from .upload_scene import finished_upload, timed_clip, upload_segment

MANUAL = "时间为手工录入"


def logged_in(user, enforce_csrf=False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def _post_time(client, segment, **data):
    form = {"started_at": "", "device": "", "reason": "", **data}
    return client.post(f"/records/segments/{segment.pk}/time/", form, follow=True)


def test_the_officer_enters_the_time_on_the_segment_page(officer, untimed, cam):
    client = logged_in(officer)
    page = client.get(untimed.get_absolute_url()).content.decode()
    assert "文件未记载拍摄时间" in page and "录入拍摄时间" in page
    response = _post_time(
        client,
        untimed,
        started_at=bj(9, 30, 5).strftime("%Y-%m-%dT%H:%M:%S"),
        device=cam.pk,
        reason="记录仪时钟未设置",
    )
    page = response.content.decode()
    assert "已录入拍摄时间" in page
    assert MANUAL in page and "记录仪时钟未设置" in page and "手工录入拍摄时间" in page  # history
    segment = Segment.objects.get(pk=untimed.pk)
    assert segment.started_at == bj(9, 30, 5) and segment.device == cam


def test_the_page_refuses_an_entry_without_a_reason_in_chinese(officer, untimed, cam):
    response = _post_time(
        logged_in(officer), untimed, started_at="2026-03-01T09:30", device=cam.pk, reason=""
    )
    assert "未录入：请填写手工录入时间的原因" in response.content.decode()
    assert Segment.objects.get(pk=untimed.pk).started_at is None


def test_the_form_needs_the_csrf_token(officer, untimed, cam):
    client = logged_in(officer, enforce_csrf=True)
    response = client.post(
        f"/records/segments/{untimed.pk}/time/",
        {"started_at": "2026-03-01T09:30", "device": cam.pk, "reason": "原因"},
    )
    assert response.status_code == 403


def test_read_only_roles_get_no_form_and_403_outsiders_404(commission, outsider, untimed, cam):
    reader = logged_in(commission)
    assert "录入拍摄时间" not in reader.get(untimed.get_absolute_url()).content.decode()
    data = {"started_at": "2026-03-01T09:30", "device": cam.pk, "reason": "原因"}
    assert reader.post(f"/records/segments/{untimed.pk}/time/", data).status_code == 403
    stranger = logged_in(outsider)
    assert stranger.post(f"/records/segments/{untimed.pk}/time/", data).status_code == 404
    assert stranger.get(untimed.get_absolute_url()).status_code == 404


def test_a_timed_segment_offers_no_form(officer, scene_act, cam):
    segment = upload_segment(officer, scene_act, timed_clip(bj(9, 31)))
    page = logged_in(officer).get(segment.get_absolute_url()).content.decode()
    assert "录入拍摄时间" not in page and MANUAL not in page
    assert "设备记录" in page


@pytest.fixture
def entered(officer, untimed, cam):
    return enter_segment_time(
        officer, untimed, started_at=bj(9, 30), device=cam, reason="记录仪时钟未设置"
    )


def test_the_act_page_and_its_timeline_say_the_time_was_entered_by_hand(
    officer, scene_act, entered
):
    page = logged_in(officer).get(scene_act.get_absolute_url()).content.decode()
    timeline = page[page.index('id="timeline-segments"') :]
    assert MANUAL in timeline[: timeline.index("</table>")]
    assert f"（{MANUAL}）" in page  # the bar's title in the SVG
    items = page[page.index("执法记录") :]
    assert MANUAL in items


def test_a_finding_citing_the_segment_says_its_time_was_entered_by_hand(
    officer, scene_act, entered
):
    # A 现场笔录 whose written times are an hour off the recording: A15-complete cites the AV.
    upload = finished_upload(officer, PDF, "笔录.pdf", scene_act)
    attach_upload(
        officer,
        scene_act,
        upload.pk,
        "document",
        doc_type="现场笔录",
        written_started_at=bj(10, 30),
        written_ended_at=bj(11, 0),
    )
    evaluate_act(scene_act)
    finding = Finding.objects.get(act=scene_act, rule_id="A15-complete")
    assert f"第{entered.pk}号音像记录的{MANUAL}" in finding.message
    assert finding.evidence["manual_time_segments"] == [entered.pk]


def test_the_dossier_and_the_extraction_note_say_so(scene_act, entered):
    (item,) = [i for i in collect(act=scene_act) if i.item_kind == "segment"]
    assert f"（{MANUAL}）" in item.title and "时间不详" not in item.title

    class File:
        name, sha256, content = "segment.mp4", entered.blob_id, None

    (row,) = note_rows([entered], [File()])
    assert row["time_by_hand"] is True
    assert row["recorded_at"] == bj(9, 30)


def test_a_probed_upload_never_shows_time_unknown_in_the_dossier(officer, scene_act):
    upload_segment(officer, scene_act, timed_clip(bj(9, 31)))
    (item,) = [i for i in collect(act=scene_act) if i.item_kind == "segment"]
    local = bj(9, 31).strftime("%Y-%m-%d %H:%M")
    assert local in item.title and "时间不详" not in item.title


def test_the_extraction_note_prints_the_mark(entered):
    from django.template.loader import render_to_string

    person = {"full_name": "刘洋", "username": "liuyang"}
    html = render_to_string(
        "access/extraction_note_pdf.html",
        {
            "extraction": {
                "pk": 1,
                "purpose": "行政复议",
                "requested_by": person,
                "decided_by": person,
            },
            "agency": {"name": "渝中区卫生健康执法支队"},
            "rows": [{"number": 1, "recorded_at": entered.started_at, "time_by_hand": True}],
            "produced_at": dt.datetime.now(dt.UTC),
            "decided_at": dt.datetime.now(dt.UTC),
        },
    )
    assert f"（{MANUAL}）" in html


def test_the_subject_page_and_the_queue_say_so_too(officer, custodian, scene_act, entered):
    page = logged_in(officer).get(scene_act.subject.get_absolute_url()).content.decode()
    assert MANUAL in page
    listed = logged_in(custodian).get(f"/records/acts/{scene_act.pk}/segments/").content.decode()
    assert MANUAL in listed
