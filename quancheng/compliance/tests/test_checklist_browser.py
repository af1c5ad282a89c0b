"""The checklist in a real browser: an officer uploads the missing clip from the act page and
lands back on the checklist with the item gone (issue 18, point 2).

Same live server as quancheng/records/tests/test_upload_browser.py (migrate + seed_demo in a
subprocess, its own SQLite database); the clip is a real MP4 made with PyAV whose container
time is the act's start, as a body camera writes it.
"""

import datetime as dt
import sqlite3

import av
import pytest

from quancheng.web.tests.live import CHROMIUM, PASSWORD, chromium_page, prepared_env, running_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real_clock,  # chromium and the server keep the machine's clock
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("checklist-var")
    env = prepared_env(var)
    with running_server(env, var) as url:
        yield {"url": url, "var": var}


def _inspection_without_av(server) -> tuple[int, str]:
    """An ended inspection of 张伟's without any recording (the demo's open inspection)."""
    with sqlite3.connect(server["var"] / "db.sqlite3") as db:
        return db.execute(
            """
            SELECT a.id, a.started_at FROM cases_act a
            JOIN cases_act_officers o ON o.act_id = a.id
            JOIN orgs_user u ON u.id = o.user_id AND u.username = 'zhangwei'
            WHERE a.kind = 'inspection'
              AND NOT EXISTS (SELECT 1 FROM records_segment s WHERE s.act_id = a.id)
            ORDER BY a.id LIMIT 1
            """
        ).fetchone()


def make_clip(path, started_at: dt.datetime, seconds: int = 2, fps: int = 10):
    """A real H.264 MP4 whose creation_time is ``started_at`` (UTC, as cameras write it)."""
    with av.open(str(path), "w", format="mp4") as out:
        out.metadata["creation_time"] = started_at.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame(64, 48, "rgb24")
            frame.planes[0].update(bytes([i * 11 % 256]) * frame.planes[0].buffer_size)
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    return path


def test_upload_from_the_checklist_lands_back_on_it_with_the_item_gone(server, tmp_path):
    from playwright.sync_api import expect

    act_id, started = _inspection_without_av(server)
    started_at = dt.datetime.fromisoformat(started).replace(tzinfo=dt.UTC)
    clip = make_clip(tmp_path / "DSJ_20260101.mp4", started_at + dt.timedelta(seconds=30))
    url = server["url"]
    with chromium_page(viewport={"width": 390, "height": 844}) as page:
        problems = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{url}/login/")
        page.get_by_label("用户名").fill("zhangwei")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.locator(".account-name")).to_have_text("张伟")

        # 1. The act page leads with the checklist: the AV is missing, with its button.
        page.goto(f"{url}/acts/{act_id}/")
        checklist = page.locator("#next-steps")
        missing_av = checklist.locator('[data-code="record.missing_av"]')
        expect(missing_av).to_contain_text("未见任何音像记录")
        page.screenshot(path=str(server["var"] / "checklist-before.png"), full_page=True)
        missing_av.get_by_role("link", name="上传音像记录").click()

        # 2. Upload the clip; when it is registered the page goes back to the checklist.
        expect(page.locator("h1")).to_have_text("上传记录")
        page.locator("#upload-files").set_input_files(str(clip))
        page.get_by_role("button", name="开始上传").click()
        page.wait_for_url(f"{url}/acts/{act_id}/#next-steps", timeout=60_000)

        # 3. Back on the act page: what changed, and the missing-AV item is gone.
        expect(page.locator(".messages")).to_contain_text("DSJ_20260101.mp4：已登记为音像记录")
        expect(page.locator("#next-steps")).to_be_visible()
        expect(page.locator('#next-steps [data-code="record.missing_av"]')).to_have_count(0)
        page.screenshot(path=str(server["var"] / "checklist-after.png"), full_page=True)
        assert problems == []
