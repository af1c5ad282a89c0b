"""The navigation and the page layout in a real browser, for every role of the demo.

At 360 px (a small phone) no page reachable from the menus, nor an act, case, subject or dossier
page, scrolls sideways; at 1366 px the top bar is one row; the menus work with the keyboard; on
a phone one button shows the whole navigation. One server and one browser for the module; each
role logs in once, in a context of its own.
"""

import re

import pytest

from .live import CHROMIUM, PASSWORD, chromium_browser, new_context, prepared_env, running_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real_clock("chromium and the runserver subprocess keep the machine's clock"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]

# The demo's people (quancheng/demo.py), one per role.
ROLES = {
    "officer": "zhangwei",
    "custodian": "wangfang",
    "head": "liuyang",
    "auditor": "zhaolei",
    "district_commission": "chenjing",
    "city_admin": "sunli",
    "system_admin": "qianjin",
    "security_admin": "zhengan",
    "audit_admin": "fengshen",
}
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}

# Detail pages reached from a list: (list URL, pattern of the first detail link); "{act}" is
# the first act page found (its records are listed there).
DETAILS = [
    ("/acts/", r"^/acts/\d+/$"),
    ("/cases/", r"^/cases/\d+/$"),
    ("/subjects/", r"^/subjects/\d+/$"),
    ("/archive/dossiers/", r"^/archive/dossiers/\d+/$"),
    ("{act}", r"^/records/segments/\d+/$"),
    ("{act}", r"^/records/documents/\d+/$"),
    ("{act}", r"^/records/data/\d+/$"),
    ("/supervision/spotchecks/", r"^/supervision/spotchecks/\d+/$"),
    ("/supervision/evaluations/", r"^/supervision/evaluations/\d+/$"),
    ("/access/inbox/", r"^/access/requests/\d+/$"),
    ("/retention/holds/", r"^/retention/holds/\d+/$"),
]

# Elements that stick out to the right of the viewport and are not inside a container that
# clips or scrolls them: what makes a page scroll sideways.
WIDE_ELEMENTS = """() => {
  const limit = window.innerWidth;
  const clipped = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= limit + 0.5 || clipped(el)) continue;
    const classes = typeof el.className === 'string' ? el.className.trim() : '';
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (classes ? '.' + classes.split(/\\s+/).join('.') : '');
    found.push(name + ' → ' + Math.round(r.right));
    if (found.length >= 4) break;
  }
  return found;
}"""

# The top bar is one row: the brand and every menu button on the same line, none of them
# wrapped, and the bar no taller than its tallest item.
TOPBAR_ROWS = """() => {
  const bar = document.querySelector('.topbar-inner');
  const items = [document.querySelector('.brand'),
                 ...document.querySelectorAll('#mainnav .navmenu > summary')];
  const centres = items.map(e => {
    const r = e.getBoundingClientRect();
    return r.top + r.height / 2;
  });
  const tallest = Math.max(...items.map(e => e.getBoundingClientRect().height));
  const lineHeight = parseFloat(getComputedStyle(items[1]).lineHeight);
  const wrapped = items.slice(1).filter(e => e.getBoundingClientRect().height > 2 * lineHeight)
    .map(e => e.textContent.trim());
  return {
    spread: Math.max(...centres) - Math.min(...centres),
    bar: bar.getBoundingClientRect().height,
    tallest: tallest,
    minHeight: parseFloat(getComputedStyle(bar).minHeight),
    wrapped: wrapped,
  };
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    with running_server(prepared_env(var), var) as url:
        yield {"url": url, "var": var}


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as browser:
        yield browser


def _log_in(browser, url: str, username: str, viewport: dict):
    context = new_context(browser, viewport=viewport)
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/")
    return context, page


def _menu_pages(page) -> list[str]:
    hrefs = page.locator("#mainnav .navmenu-items a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return list(dict.fromkeys(hrefs))


def _detail_pages(page, url: str) -> list[str]:
    found: list[str] = []
    for listing, pattern in DETAILS:
        if listing == "{act}":
            act = next((p for p in found if re.match(r"^/acts/\d+/$", p)), None)
            if act is None:
                continue
            listing = act
        response = page.goto(f"{url}{listing}")
        if response is None or response.status != 200:
            continue
        hrefs = page.locator("main a[href]").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        first = next((h for h in hrefs if re.match(pattern, h)), None)
        if first:
            found.append(first)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_on_a_phone_and_the_bar_is_one_row(server, browser, role):
    url = server["url"]
    context, page = _log_in(browser, url, ROLES[role], PHONE)
    try:
        pages = ["/", *_menu_pages(page)]
        pages += [p for p in _detail_pages(page, url) if p not in pages]
        assert len(pages) > 5
        failures = []
        for path in pages:
            response = page.goto(f"{url}{path}")
            assert response is not None and response.status == 200, (path, response)
            scroll, inner = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                failures.append((path, scroll, page.evaluate(WIDE_ELEMENTS)))
        assert failures == [], f"{role} at 360 px: {failures}"

        # At 1366 px the top bar is one row, whatever the role's menus and badges.
        page.set_viewport_size(DESKTOP)
        page.goto(f"{url}/")
        row = page.evaluate(TOPBAR_ROWS)
        assert row["wrapped"] == [], row
        assert row["spread"] <= 2, row
        assert row["bar"] <= max(row["tallest"], row["minHeight"]) + 1, row
    finally:
        context.close()


def test_a_menu_opens_with_enter_and_closes_with_escape(server, browser):
    from playwright.sync_api import expect

    context, page = _log_in(browser, server["url"], ROLES["head"], DESKTOP)
    try:
        menu = page.locator("details.navmenu[data-menu=approvals]")
        summary = menu.locator("summary")
        inbox = menu.get_by_role("link", name=re.compile("^审批待办"))
        expect(inbox).to_be_hidden()

        # Tab from the start of the page: the brand, then the first menu's button.
        page.keyboard.press("Tab")
        expect(page.locator(".brand")).to_be_focused()
        page.keyboard.press("Tab")
        first = page.locator("details.navmenu summary").first
        expect(first).to_be_focused()
        # The focus is visible: a ring around the focused button.
        assert first.evaluate("e => getComputedStyle(e).outlineStyle") != "none"

        summary.focus()
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("open", "")
        expect(inbox).to_be_visible()
        page.keyboard.press("Tab")
        expect(inbox).to_be_focused()
        page.keyboard.press("Escape")
        expect(inbox).to_be_hidden()
        expect(summary).to_be_focused()

        # Space opens it too; opening another menu closes the first.
        page.keyboard.press(" ")
        expect(inbox).to_be_visible()
        page.locator("details.navmenu[data-menu=enforcement] summary").click()
        expect(inbox).to_be_hidden()
        page.keyboard.press("Escape")
        expect(page.locator("details.navmenu[open]")).to_have_count(0)

        # The item leads to its page, and that page marks its menu.
        summary.click()
        inbox.click()
        expect(page.locator("h1")).to_contain_text("审批")
        expect(page.locator("details.navmenu.current")).to_have_attribute("data-menu", "approvals")
    finally:
        context.close()


def test_on_a_phone_one_button_shows_the_whole_navigation(server, browser):
    from playwright.sync_api import expect

    url = server["url"]
    context, page = _log_in(browser, url, ROLES["officer"], PHONE)
    try:
        toggle = page.get_by_role("button", name="菜单")
        nav = page.locator("#mainnav")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(nav).to_be_hidden()

        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(nav).to_be_visible()
        # Every menu unfolded at once: the acts and the records queue without another tap.
        expect(nav.get_by_role("link", name="执法行为")).to_be_visible()
        expect(nav.get_by_role("link", name="待关联记录")).to_be_visible()
        # Targets big enough for a thumb.
        box = nav.get_by_role("link", name="执法行为").bounding_box()
        assert box["height"] >= 44
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= PHONE["width"]

        page.keyboard.press("Escape")
        expect(nav).to_be_hidden()
        expect(toggle).to_be_focused()

        toggle.click()
        nav.get_by_role("link", name="执法行为").click()
        expect(page).to_have_url(f"{url}/acts/")
        expect(nav).to_be_hidden()
    finally:
        context.close()
