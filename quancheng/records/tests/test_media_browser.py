"""A real browser plays and seeks a proxied H.265 segment over HTTP Range, under the CSP.

The server runs as a subprocess on a database of its own (see web/tests/test_browser.py for why
not live_server); the segment is stored and processed in it through the services.
"""

from pathlib import Path

import pytest

from quancheng.web.tests.live import (
    CHROMIUM,
    PASSWORD,
    chromium_page,
    manage,
    prepared_env,
    running_server,
)

from .media_fixtures import make_clip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]

SETUP = """
from django.db import transaction
from quancheng.cases.models import Act
from quancheng.orgs.models import User
from quancheng.records.items import create_segment
from quancheng.records.media import make_derivatives
from quancheng.records.services import blob_store, register_blob
officer = User.objects.get(username="zhangwei")
act = Act.objects.filter(agency=officer.agency).order_by("pk").first()
with open({clip!r}, "rb") as f:
    info = blob_store().put(f)
with transaction.atomic():
    blob = register_blob(info, act.agency)
segment = create_segment(officer, agency=act.agency, blob=blob, source="upload", act=act,
                         original_filename="执法记录仪_H265.mp4", content_type="video/mp4")
print(make_derivatives(segment.pk).pk)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    clip = make_clip(Path(var) / "h265.mp4", "libx265")
    # INFO: the test reads runserver's request log.
    env = prepared_env(var, QC_BLOB_STORE=f"file://{var}/blobs", QC_LOG_LEVEL="INFO")
    segment = manage(env, "shell", "-c", SETUP.format(clip=str(clip))).strip().splitlines()[-1]
    with running_server(env, var) as url:
        yield {"url": url, "var": var, "segment": segment, "log": var / "server.log"}


def test_the_browser_plays_and_seeks_the_proxy(server):
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

        page.goto(f"{url}/records/segments/{server['segment']}/")
        expect(page.locator("h1")).to_contain_text("执法记录仪_H265.mp4")
        video = page.locator("video.player")
        # The proxy's metadata loads, and seeking to the middle lands there (promises on the
        # media events: wait_for_function would need eval, which the CSP forbids).
        video.evaluate(
            "v => v.readyState >= 1 || new Promise(r =>"
            " v.addEventListener('loadedmetadata', () => r(true), {once: true}))"
        )
        duration = video.evaluate("v => v.duration")
        assert 0.9 < duration < 1.2
        video.evaluate(
            "v => new Promise(r => {"
            " v.addEventListener('seeked', () => r(true), {once: true});"
            " v.currentTime = 0.5; })"
        )
        assert abs(video.evaluate("v => v.currentTime") - 0.5) < 0.1
        assert video.evaluate("v => v.error") is None
        page.screenshot(path=str(server["var"] / "segment.png"), full_page=True)
        # The poster (thumbnail) is a loaded image.
        poster = video.get_attribute("poster")
        assert page.request.get(f"{url}{poster}").headers["content-type"] == "image/jpeg"
    assert problems == []
    assert '"GET /records/segments/' in server["log"].read_text()
    assert " 206 " in server["log"].read_text()
