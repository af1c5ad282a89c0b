"""A real browser on the act page's synchronised player (多机位同步播放): seeking one camera
seeks the other to the same wall-clock time, and a camera with no footage then shows a gap.

Two body cameras of one act: camera A films 10–14 s after the act's start, camera B 12–16 s.
The server runs as a subprocess on a database of its own (web/tests/live.py).
"""

from pathlib import Path

import av
import pytest

from quancheng.web.tests.live import (
    CHROMIUM,
    PASSWORD,
    chromium_page,
    manage,
    prepared_env,
    running_server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]

SETUP = """
import datetime as dt
from django.db import transaction
from quancheng.cases.models import Act
from quancheng.orgs.models import Device, User
from quancheng.records.items import create_segment
from quancheng.records.media import make_derivatives
from quancheng.records.services import blob_store, register_blob
officer = User.objects.get(username="zhangwei")
act = Act.objects.filter(agency=officer.agency).order_by("pk").first()
for name, offset in (("A", 10), ("B", 12)):
    device = Device.objects.create(agency=act.agency, kind="body_camera",
                                   serial_number=f"SYNC-{name}", name=f"机位{name}")
    with open({clips!r}[name], "rb") as f:
        info = blob_store().put(f)
    with transaction.atomic():
        blob = register_blob(info, act.agency)
    start = act.started_at + dt.timedelta(seconds=offset)
    segment = create_segment(officer, agency=act.agency, blob=blob, source="upload", act=act,
                             device=device, officer=officer, started_at=start,
                             ended_at=start + dt.timedelta(seconds=4),
                             original_filename=f"机位{name}.mp4", content_type="video/mp4")
    make_derivatives(segment.pk)
print(act.pk)
"""


def make_clip(path: Path, shade: int, seconds: int = 4, fps: int = 10) -> Path:
    """A small H.264 clip whose frames change every frame (so seeking shows); ``shade`` makes
    each camera's file its own."""
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame(64, 48, "rgb24")
            frame.planes[0].update(
                bytes([(i * 6 + shade * 100) % 256]) * frame.planes[0].buffer_size
            )
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    clips = {n: str(make_clip(Path(var) / f"camera-{n}.mp4", shade=k)) for k, n in enumerate("AB")}
    env = prepared_env(var, QC_BLOB_STORE=f"file://{var}/blobs", QC_LOG_LEVEL="INFO")
    act = (
        manage(env, "shell", "-c", SETUP.replace("{clips!r}", repr(clips))).strip().splitlines()[-1]
    )
    # Django's start-up checks take long on the shared 2-core machine: two minutes at most.
    with running_server(env, var, attempts=1200) as url:
        yield {"url": url, "act": act, "log": var / "server.log"}


# Resolves once the lane's video has sought to about `t` (or at once if it is there already).
SOUGHT = (
    "(v, t) => Math.abs(v.currentTime - t) < 0.15 && v.readyState >= 1 ? v.currentTime :"
    " new Promise(r => { const check = () => { if (Math.abs(v.currentTime - t) < 0.15) {"
    " v.removeEventListener('seeked', check); r(v.currentTime); } };"
    " v.addEventListener('seeked', check); check(); })"
)
# Seeks a video as its own controls do, and resolves when it got there.
USER_SEEK = (
    "(v, t) => new Promise(r => { const go = () => { v.addEventListener('seeked', () =>"
    " r(v.currentTime), {once: true}); v.currentTime = t; };"
    " v.readyState >= 1 ? go() : v.addEventListener('loadedmetadata', go, {once: true}); })"
)


def test_seeking_one_camera_seeks_the_other_and_shows_gaps(server):
    from playwright.sync_api import expect

    url = server["url"]
    problems = []
    with chromium_page() as page:
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{url}/login/")
        page.get_by_label("用户名").fill("zhangwei")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.locator(".account-name")).to_have_text("张伟")

        page.goto(f"{url}/acts/{server['act']}/")
        player = page.locator("#act-player")
        expect(player.locator("h2")).to_have_text("多机位同步播放")
        lane_a = player.locator(".sync-lane", has_text="机位A")
        lane_b = player.locator(".sync-lane", has_text="机位B")
        # At the act's start neither camera was filming: both lanes show their gap.
        expect(lane_a).to_have_attribute("data-state", "gap")
        expect(lane_b).to_have_attribute("data-state", "gap")
        expect(lane_b.locator(".sync-gap")).to_be_visible()

        # The axis is the scrubber: 13 s after the start both cameras film (A at 3 s, B at 1 s).
        player.locator("#sync-scrubber").fill("13")
        expect(lane_a).to_have_attribute("data-state", "footage")
        expect(lane_b).to_have_attribute("data-state", "footage")
        video_a, video_b = lane_a.locator("video"), lane_b.locator("video")
        assert abs(video_a.evaluate(SOUGHT, 3.0) - 3.0) < 0.15
        assert abs(video_b.evaluate(SOUGHT, 1.0) - 1.0) < 0.15

        # Seeking camera B to 3.5 s (15.5 s after the start) moves the clock and camera A,
        # which has no footage then: its lane shows the gap.
        video_b.evaluate(USER_SEEK, 3.5)
        expect(lane_a).to_have_attribute("data-state", "gap")
        expect(lane_a.locator(".sync-gap")).to_be_visible()
        expect(video_a).to_be_hidden()
        start = int(player.get_attribute("data-time"))

        # Back on the axis to 11 s (A only), then seeking camera A to 2.5 s (12.5 s after the
        # start) seeks B to 0.5 s.
        player.locator("#sync-scrubber").fill("11")
        expect(lane_a).to_have_attribute("data-state", "footage")
        expect(lane_b).to_have_attribute("data-state", "gap")
        video_a.evaluate(SOUGHT, 1.0)
        video_a.evaluate(USER_SEEK, 2.5)
        expect(lane_b).to_have_attribute("data-state", "footage")
        assert abs(video_b.evaluate(SOUGHT, 0.5) - 0.5) < 0.15
        assert int(player.get_attribute("data-time")) == pytest.approx(start - 3000, abs=200)
    assert problems == []
    log = server["log"].read_text()
    assert "/media" in log and " 206 " in log  # the players fetched byte ranges
