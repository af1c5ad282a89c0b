"""What the journey tests share: logging in, an accessibility check (axe-core), a check that the
page does not scroll sideways at 360 px, and screenshots of every step at a phone's and a
laptop's width.

Screenshots go to ``QC_SCREENSHOT_DIR`` (default ``test-artifacts/screenshots`` in the checkout,
ignored by git), one folder per journey: ``01-login-390.png``, ``01-login-1366.png``, …
(emptied when the journey starts). ``Journey.finish`` fails a journey when a step lacks either
width's screenshot.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .live import PASSWORD, ROOT

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}  # no page may scroll sideways at this width
LAPTOP = {"width": 1366, "height": 900}
WIDTHS = (PHONE, LAPTOP)
# axe-core impacts that fail a journey (minor and moderate ones are reported, not failed).
FAILING_IMPACTS = {"serious", "critical"}


def screenshot_dir() -> Path:
    return Path(os.environ.get("QC_SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")


class Journey:
    """One person's way through the pages: each ``step`` checks the page with axe-core and takes
    its screenshots at both widths, then gives the page back at the width it had."""

    def __init__(self, page, url: str, name: str):
        self.page = page
        self.url = url
        self.folder = screenshot_dir() / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):  # a step not taken this time leaves no old picture
            old.unlink()
        self.count = 0
        self.steps: list[str] = []  # "01-login", … in the order taken
        self.problems: list[str] = []  # script errors and CSP violations
        self.sideways: list[str] = []  # steps whose page scrolls sideways at 360 px
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(str(e)))

    def login(self, username: str) -> None:
        from playwright.sync_api import expect

        self.page.goto(f"{self.url}/login/")
        self.step("login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        # On a phone the account sits in the menu: having left the login page is the sign.
        expect(self.page).not_to_have_url(re.compile(r"/login/"))

    def confirm_if_asked(self, name: str) -> None:
        """An irreversible action may ask once more on a page of its own: look at it, confirm."""
        self.page.wait_for_load_state("load")
        form = self.page.locator("form.confirm-form")
        if form.count():
            self.step(f"{name}-confirm")
            form.locator("button[type=submit]").click()

    def step(self, name: str) -> None:
        self.count += 1
        self.steps.append(f"{self.count:02d}-{name}")
        self.page.wait_for_load_state("load")
        check_accessibility(self.page, f"{self.count:02d}-{name}")
        size = self.page.viewport_size
        self.page.set_viewport_size(SMALL_PHONE)
        scroll, inner = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll > inner:
            wide = self.page.evaluate(WIDE_ELEMENTS)
            self.sideways.append(f"{self.steps[-1]} ({self.page.url}): {scroll} px: {wide}")
        for width in WIDTHS:
            self.page.set_viewport_size(width)
            path = self.folder / f"{self.count:02d}-{name}-{width['width']}.png"
            self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(size)

    def missing_screenshots(self) -> list[str]:
        """Every step's screenshot at each width that is not on disk (empty: all there)."""
        paths = [self.folder / f"{s}-{w['width']}.png" for s in self.steps for w in WIDTHS]
        return [p.name for p in paths if not (p.is_file() and p.stat().st_size)]

    def finish(self) -> None:
        """The end of a journey: it took steps, each photographed at both widths, no step's page
        scrolled sideways at 360 px, and no page had a script error or a CSP violation."""
        assert self.steps, "a journey without a step"
        assert self.missing_screenshots() == []
        assert self.sideways == [], f"pages scrolling sideways at 360 px: {self.sideways}"
        assert self.problems == []


# The elements that stick out to the right of the viewport, outside any clipping or scrolling
# container (the same test as test_navigation_browser.py's).
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
    found.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (classes ? '.' + classes.split(/\\s+/).join('.') : '') + ' → ' + Math.round(r.right));
    if (found.length >= 4) break;
  }
  return found;
}"""


def check_accessibility(page, where: str) -> None:
    """axe-core on the page; any serious or critical violation fails, each one named."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    failing = [v for v in results.response["violations"] if v.get("impact") in FAILING_IMPACTS]
    if failing:
        lines = [f"axe-core on {where} ({page.url}):"]
        for v in failing:
            targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:4])
            lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} — {targets}")
        raise AssertionError("\n".join(lines))


def draw_signature(page, canvas) -> None:
    """A signature drawn with the mouse on the signature pad."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + box["width"] * 0.1, y + box["height"] * 0.7)
    page.mouse.down()
    for fx, fy in ((0.3, 0.2), (0.5, 0.8), (0.7, 0.3), (0.9, 0.6)):
        page.mouse.move(x + box["width"] * fx, y + box["height"] * fy, steps=4)
    page.mouse.up()


def first_number(text: str) -> int:
    found = re.search(r"\d+", text)
    assert found is not None, text
    return int(found.group(0))
