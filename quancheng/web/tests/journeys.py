"""What the journey tests share: logging in, an accessibility check (axe-core) and screenshots of
every step at a phone's and a laptop's width.

Screenshots go to ``QC_SCREENSHOT_DIR`` (default ``test-artifacts/screenshots`` in the checkout,
ignored by git), one folder per journey: ``01-login-390.png``, ``01-login-1366.png``, …
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .live import PASSWORD, ROOT

PHONE = {"width": 390, "height": 844}
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
        self.count = 0
        self.problems: list[str] = []  # script errors and CSP violations
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
        self.page.wait_for_load_state("load")
        check_accessibility(self.page, f"{self.count:02d}-{name}")
        size = self.page.viewport_size
        for width in WIDTHS:
            self.page.set_viewport_size(width)
            path = self.folder / f"{self.count:02d}-{name}-{width['width']}.png"
            self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(size)


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
