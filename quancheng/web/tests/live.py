"""A real server and a real browser for the browser tests.

The server is ``manage.py runserver`` in a subprocess on a SQLite database of its own (migrate,
seed_demo --small, collectstatic), not pytest-django's live_server: the ledger's triggers forbid
the DELETE with which transactional test teardown empties tables. The browser is Debian's
chromium driven by Playwright.
"""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from quancheng.demo import DEMO_PASSWORD
from quancheng.lib.net import free_port

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[3]
PASSWORD = DEMO_PASSWORD
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
]


def wait_for_port(process: subprocess.Popen, port: int, log: Path, attempts: int = 300) -> None:
    for _ in range(attempts):
        try:
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
        else:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            continue
    pytest.fail(f"the server did not listen on port {port}:\n{log.read_text()}")


def manage(env: dict, *command: str) -> str:
    """Run a management command in the server's environment; its standard output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def prepared_env(var: Path, demo: tuple[str, ...] = ("--small",), **settings: str) -> dict:
    """The environment of an installation in ``var``, migrated, with the demo data loaded (by
    default the small set; ``demo`` are other ``seed_demo`` arguments)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    env.update(
        QC_VAR_DIR=str(var),
        QC_DATABASE_URL=f"sqlite:///{var}/db.sqlite3",
        QC_DEBUG="False",
        QC_LOG_LEVEL="WARNING",
    )
    env.update(settings)
    for command in (
        ["migrate", "--noinput"],
        ["seed_demo", *demo],
        ["collectstatic", "--noinput"],
    ):
        manage(env, *command)
    return env


@contextmanager
def running_server(env: dict, var: Path, attempts: int = 300) -> Iterator[str]:
    """runserver for the installation until the block ends; its base URL. ``attempts`` tenths
    of a second (at least) for it to listen: more on a loaded machine."""
    port = free_port()
    log = var / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(process, port, log, attempts)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def chromium_browser() -> Iterator:
    """Debian's chromium, headless, until the block ends (one per module: contexts are cheap)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser, **context_options):
    """A fresh context of ``browser`` (zh-CN, Beijing time): its own cookies."""
    return browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)


@contextmanager
def chromium_page(**context_options) -> Iterator:
    """A page of a fresh chromium context (zh-CN, Beijing time) until the block ends."""
    with chromium_browser() as browser:
        yield new_context(browser, **context_options).new_page()
