"""Segment times in a real browser (issue 14 ¶1): an MP4 with a creation time uploaded through the
upload page shows its start, end, duration and device on its page and on the act's timeline; one
without a time gets its time entered by hand on its page, and the rule that needed it resolves.

The server is the same as the upload page's browser test (runserver on its own SQLite database
with the demo data), with tasks run at once (the act's rules are evaluated when the segment is
attached or timed) and one body camera, DSJ-B01, assigned to 张伟. Two page flows, tiny clips.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

import pytest

from quancheng.records.tests.ingest_media import clip_bytes, utc_tag
from quancheng.web.tests.live import (
    CHROMIUM,
    PASSWORD,
    chromium_page,
    manage,
    prepared_env,
    running_server,
)

BEIJING = ZoneInfo("Asia/Shanghai")
SERIAL = "DSJ-B01"
MANUAL = "时间为手工录入"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]

CAMERA = f"""
import datetime as dt
from django.utils import timezone
from quancheng.orgs.models import User
from quancheng.orgs.services import assign_device, create_device
custodian = User.objects.get(username="wangfang")
device = create_device(
    custodian, agency=custodian.agency, kind="body_camera", serial_number="{SERIAL}"
)
officer = User.objects.get(username="zhangwei")
assign_device(custodian, device, officer, timezone.localdate() - dt.timedelta(days=30))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("segment-time-var")
    env = prepared_env(var, QC_TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend")
    manage(env, "shell", "-c", CAMERA)
    with running_server(env, var) as url:
        yield {"url": url, "var": var}


@pytest.fixture
def page(server):
    with chromium_page() as page:
        page.problems = []
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        yield page


def _query(server, sql: str, *args):
    with sqlite3.connect(server["var"] / "db.sqlite3") as db:
        return db.execute(sql, args).fetchone()


def _act(server) -> tuple[int, dt.datetime]:
    act_id, started = _query(server, "SELECT id, started_at FROM cases_act ORDER BY id LIMIT 1")
    return act_id, dt.datetime.fromisoformat(started).replace(tzinfo=dt.UTC)


def _segment_id(server, name: str) -> int:
    return _query(server, "SELECT id FROM records_segment WHERE original_filename = ?", name)[0]


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _upload(page, url: str, act_id: int, path) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/login/")
    page.get_by_label("用户名").fill("zhangwei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".account-name")).to_have_text("张伟")
    page.goto(f"{url}/acts/{act_id}/upload/")
    page.locator("#upload-files").set_input_files(str(path))
    page.get_by_role("button", name="开始上传").click()
    status = page.locator(".upload-row .upload-status")
    expect(status).to_contain_text("已登记为音像记录", timeout=120_000)


def test_an_uploaded_clip_shows_its_probed_times_and_device(server, page, tmp_path):
    from playwright.sync_api import expect

    url = server["url"]
    act_id, act_start = _act(server)
    start = act_start + dt.timedelta(minutes=1)
    clip = tmp_path / "DSC_0100.mp4"
    clip.write_bytes(
        clip_bytes(utc_tag(start), 2, tags=(("serial_number", SERIAL),), metadata_keys=True)
    )
    _upload(page, url, act_id, clip)

    # The segment page: start and end from the file's creation time, its duration and camera.
    segment_id = _segment_id(server, "DSC_0100.mp4")
    page.goto(f"{url}/records/segments/{segment_id}/")
    expect(page.locator("#segment-started")).to_have_text(_local(start))
    expect(page.locator("#segment-ended")).to_have_text(_local(start + dt.timedelta(seconds=2)))
    expect(page.locator("#segment-duration")).to_have_text("0:02")
    expect(page.locator("#segment-device")).to_contain_text(SERIAL)
    expect(page.locator("#segment-time")).to_have_count(0)  # nothing to enter by hand

    # The act's timeline: the same times, duration and camera, recorded by the device.
    page.goto(f"{url}/acts/{act_id}/")
    row = page.locator("#timeline-segments tr", has_text=f"第{segment_id}号")
    expect(row).to_contain_text(SERIAL)
    expect(row).to_contain_text(_local(start))
    expect(row).to_contain_text(_local(start + dt.timedelta(seconds=2)))
    expect(row).to_contain_text("0:02")
    expect(row).to_contain_text("设备记录")
    bar = page.locator("svg.timeline g.tl-bar > title", has_text=f"音像记录第{segment_id}号")
    expect(bar).to_contain_text(SERIAL)
    assert page.problems == []


def test_a_clip_without_a_time_is_timed_by_hand_and_the_rule_resolves(server, page, tmp_path):
    from playwright.sync_api import expect

    url = server["url"]
    act_id, act_start = _act(server)
    clip = tmp_path / "phone.mp4"
    clip.write_bytes(clip_bytes("", 2))
    _upload(page, url, act_id, clip)
    segment_id = _segment_id(server, "phone.mp4")
    finding = page.locator(
        f"#compliance tr:has-text('音像记录（第{segment_id}号）无法确定录制起止时间')"
    )

    # Without a time, A18-content flags the segment on the act's page.
    page.goto(f"{url}/acts/{act_id}/")
    expect(finding).to_contain_text("待答复")
    expect(page.locator("#timeline-segments tr", has_text=f"第{segment_id}号")).to_contain_text(
        "未记载"
    )

    # The officer enters the start, the camera and the reason on the segment page.
    page.goto(f"{url}/records/segments/{segment_id}/")
    expect(page.locator("#segment-started")).to_have_text("文件未记载拍摄时间")
    start = act_start + dt.timedelta(minutes=5)
    form = page.locator("#segment-time")
    form.get_by_label("开始时间（北京时间）").fill(
        start.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S")
    )
    form.get_by_label("拍摄设备").select_option(label=f"执法记录仪 {SERIAL}")
    form.get_by_label("手工录入的原因").fill("手机录像未记载时间，按现场笔录记载的时间录入")
    form.get_by_role("button", name="录入时间").click()
    expect(page.locator(".messages")).to_contain_text("已录入拍摄时间")
    expect(page.locator("#segment-started")).to_contain_text(_local(start))
    expect(page.locator("#segment-started")).to_contain_text(MANUAL)
    expect(page.locator("#segment-ended")).to_have_text(_local(start + dt.timedelta(seconds=2)))
    expect(page.locator("#segment-device")).to_contain_text(SERIAL)

    # The act's page: the timeline says the time was entered by hand; the finding no longer applies.
    page.goto(f"{url}/acts/{act_id}/")
    row = page.locator("#timeline-segments tr", has_text=f"第{segment_id}号")
    expect(row).to_contain_text(_local(start))
    expect(row).to_contain_text(MANUAL)
    expect(finding).to_contain_text("已不适用")
    assert page.problems == []
