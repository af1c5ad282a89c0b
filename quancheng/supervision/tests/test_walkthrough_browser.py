"""Done when: in a real browser, a district head opens the dashboard, follows an alert to an
act, opens its timeline and plays the segment at the gap (real PyAV media, Debian's chromium).
"""

import re

import pytest

from quancheng.demo import DEMO_PASSWORD
from quancheng.web.tests.live import (
    CHROMIUM,
    chromium_page,
    manage,
    prepared_env,
    running_server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]

HEAD = "city-d01-zf-head"

# The right edge of the last timeline slice before the first gap: its link plays the segment
# that the interruption cut, from its last moments.
LAST_SLICE_BEFORE_GAP = """svg => {
  const gap = svg.querySelector('rect.tl-gap');
  const gapX = parseFloat(gap.getAttribute('x'));
  let best = null, bestEdge = -1;
  for (const rect of svg.querySelectorAll('a > rect')) {
    const edge = parseFloat(rect.getAttribute('x')) + parseFloat(rect.getAttribute('width'));
    if (edge <= gapX + 0.6 && edge > bestEdge) { best = rect; bestEdge = edge; }
  }
  return best.parentElement.getAttribute('href');
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = prepared_env(var)
    # One district, 30 acts, real clips of each segment's length; seed 5 has unexplained gaps.
    manage(env, "make_demo_city", "--districts", "1", "--acts", "30", "--seed", "5", "--media")
    with running_server(env, var) as url:
        yield {"url": url, "var": var}


def test_a_head_follows_an_alert_to_the_gap_and_plays_it(server):
    from playwright.sync_api import expect

    url = server["url"]
    problems = []
    with chromium_page(viewport={"width": 1280, "height": 900}) as page:
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        # 1. The head logs in and lands on the dashboard: alert counts by kind, key figures.
        page.goto(f"{url}/login/")
        page.get_by_label("用户名").fill(HEAD)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.locator("h1")).to_have_text("工作概况")
        alerts = page.locator("#dashboard-alerts")
        expect(alerts).to_contain_text("音像记录中断未说明")
        expect(page.locator("#alert-count-recordgap")).to_have_text(re.compile(r"^[1-9]"))
        expect(page.locator("#key-figures")).to_contain_text("有未说明录像中断的执法行为")

        # 2. It follows an unexplained-gap alert to its act.
        alerts.locator("a.alert-link", has_text="音像记录中断未说明").first.click()
        expect(page).to_have_url(re.compile(r"/acts/\d+/$"))
        expect(page.locator("body")).to_contain_text("音像记录在")  # the A11-gap finding

        # 3. The timeline shows the gap; the slice before it links to the segment at that moment.
        timeline = page.locator("svg.timeline")
        expect(timeline.locator("rect.tl-gap")).to_have_count(1)
        href = timeline.evaluate(LAST_SLICE_BEFORE_GAP)
        seconds = int(re.search(r"\?t=(\d+)$", href).group(1))
        assert seconds > 0
        timeline.locator(f'a[href="{href}"]').click()
        expect(page).to_have_url(re.compile(rf"/records/segments/\d+/\?t={seconds}$"))

        # 4. The player starts at that moment and plays (promises on media events: the CSP
        # forbids the eval that wait_for_function needs).
        video = page.locator("video.player")
        video.evaluate(
            "v => v.readyState >= 1 || new Promise(r =>"
            " v.addEventListener('loadedmetadata', () => r(true), {once: true}))"
        )
        assert video.evaluate("v => v.duration") > seconds
        video.click()  # a user gesture, so that play() is allowed
        video.evaluate(
            "(v, t) => new Promise((resolve, reject) => {"
            " v.addEventListener('timeupdate', function step() {"
            "   if (v.currentTime > t) { v.removeEventListener('timeupdate', step); resolve(); }"
            " });"
            " v.play().catch(reject); })",
            seconds,
        )
        assert video.evaluate("v => v.error") is None
        assert video.evaluate("v => v.currentTime") >= seconds
        page.screenshot(path=str(server["var"] / "gap-segment.png"), full_page=True)

        # 5. The statistics page draws its charts with the platform's own plotly.min.js.
        page.goto(f"{url}/statistics/?by=kind")
        expect(page.locator("#chart-acts.chart-ready")).to_have_count(1)
        expect(page.locator("#chart-acts svg.main-svg").first).to_be_visible()
        page.screenshot(path=str(server["var"] / "statistics.png"), full_page=True)
    assert problems == []
