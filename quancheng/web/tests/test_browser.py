"""The pages in a real browser: an officer logs in, registers a subject and an inspection.

The server runs as a subprocess on a database of its own (migrate + seed_demo), not through
pytest-django's live_server: the ledger's triggers forbid the DELETE with which transactional
test teardown empties tables.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from quancheng.lib import uscc

from .live import CHROMIUM, PASSWORD, chromium_page, prepared_env, running_server

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    with running_server(prepared_env(var), var) as url:
        yield {"url": url, "var": var}


@pytest.fixture
def page(server):
    with chromium_page(viewport={"width": 1280, "height": 900}) as page:
        yield page


def test_an_officer_registers_a_subject_and_an_inspection(server, page):
    from playwright.sync_api import expect

    url = server["url"]
    # CSP violations and script errors would show up here.
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # 1. Log in as the demo officer.
    page.goto(f"{url}/login/")
    expect(page.locator("h1")).to_have_text("登录")
    page.get_by_label("用户名").fill("zhangwei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".account-name")).to_have_text("张伟")
    expect(page.locator(".account-meta")).to_contain_text("渝中区卫生健康综合行政执法支队")

    # 2. Register a subject through the form.
    code = uscc.complete("91500103MA7W00042")
    name = "重庆市渝中区较场口大药房"
    page.locator("details.navmenu[data-menu=enforcement] summary").click()
    page.get_by_role("link", name="执法对象", exact=True).click()
    page.get_by_role("link", name="登记执法对象").click()
    page.get_by_label("名称", exact=True).fill(name)
    page.get_by_label("类别", exact=True).select_option("medical")
    page.get_by_label("统一社会信用代码", exact=True).fill(code)
    page.get_by_label("地址", exact=True).fill("渝中区较场口1号")
    page.get_by_label("法定代表人/负责人", exact=True).fill("王强")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".message-success")).to_contain_text(f"已登记执法对象“{name}”")
    expect(page.locator("dl.details")).to_contain_text(code)
    expect(page.locator("table.data").last).to_contain_text("登记执法对象")

    # 3. Register an inspection of it by two officers, in Chongqing time.
    start = dt.datetime.combine(
        dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=1), dt.time(9, 30)
    )
    end = start + dt.timedelta(minutes=45)
    page.get_by_role("link", name="登记执法行为").click()
    page.get_by_label("类型", exact=True).select_option("inspection")
    expect(page.get_by_label("执法对象", exact=True)).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_label("地点", exact=True)).to_have_value("渝中区较场口1号")
    page.get_by_label("开始时间").fill(f"{start:%Y-%m-%dT%H:%M}")
    page.get_by_label("结束时间").fill(f"{end:%Y-%m-%dT%H:%M}")
    page.get_by_label("张伟（渝卫执").check()
    page.get_by_label("李娜（渝卫执").check()
    page.get_by_label("说明").fill("日常监督检查")
    page.get_by_role("button", name="保存").click()

    expect(page.locator("h1")).to_have_text(f"监督检查：{name}")
    expect(page.locator(".message-success")).to_contain_text("已登记执法行为")
    details = page.locator("dl.details")
    expect(details).to_contain_text(f"{start:%Y-%m-%d %H:%M}")
    expect(details).to_contain_text(f"{end:%Y-%m-%d %H:%M}")
    officers = page.locator("table.data").first
    expect(officers).to_contain_text("张伟")
    expect(officers).to_contain_text("李娜")
    expect(page.locator("table.data").last).to_contain_text("登记执法行为")
    page.screenshot(path=str(server["var"] / "act.png"), full_page=True)

    # The stylesheet was served (WhiteNoise) and applied; nothing was blocked.
    topbar = page.locator(".topbar")
    background = topbar.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(29, 79, 145)"
    assert problems == []
