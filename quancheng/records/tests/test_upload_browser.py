"""The upload page in a real browser: progress to 100 %, and resuming after a page reload.

Same pattern as quancheng/web/tests/test_browser.py: the server runs as a subprocess on its own
SQLite database (migrate + seed_demo), here with a small tus chunk size (QC_UPLOAD_CHUNK_SIZE) so
that a 3 MB file takes a dozen PATCHes. The test reads the server's database directly (sqlite3) to
see what the server received.
"""

import base64
import hashlib
import os
import re
import sqlite3

import pytest

from quancheng.web.tests.live import CHROMIUM, PASSWORD, chromium_page, prepared_env, running_server

CHUNK = 256 * 1024
SIZE = 3 * 1024 * 1024 + 4321  # the last chunk is a short one
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("upload-var")
    env = prepared_env(var, QC_UPLOAD_CHUNK_SIZE=str(CHUNK))
    with running_server(env, var) as url:
        yield {"url": url, "var": var}


@pytest.fixture
def page(server):
    with chromium_page() as page:
        page.problems = []
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        yield page


def _clip(tmp_path, name: str):
    path = tmp_path / name
    path.write_bytes(MP4_HEAD + os.urandom(SIZE - len(MP4_HEAD)))
    return path


def _db(server):
    return sqlite3.connect(server["var"] / "db.sqlite3")


def _login_and_open_the_upload_page(page, url):
    from playwright.sync_api import expect

    page.goto(f"{url}/login/")
    page.get_by_label("用户名").fill("zhangwei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".account-name")).to_have_text("张伟")
    act_id = _db_act_id(page.server)
    page.goto(f"{url}/acts/{act_id}/")
    page.get_by_role("link", name="上传记录").click()
    expect(page.locator("h1")).to_have_text("上传记录")
    return act_id


def _db_act_id(server) -> int:
    with _db(server) as db:
        return db.execute("SELECT min(id) FROM cases_act").fetchone()[0]


def test_an_officer_uploads_a_clip_and_sees_it_on_the_act(server, page, tmp_path):
    from playwright.sync_api import expect

    page.server = server
    # CSP violations (inline script, a CDN) would show up as console errors.
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    clip = _clip(tmp_path, "DSC_0001.mp4")
    _login_and_open_the_upload_page(page, server["url"])

    page.locator("#upload-files").set_input_files(str(clip))
    row = page.locator(".upload-row")
    expect(row.locator(".upload-name")).to_have_text("DSC_0001.mp4")
    expect(row.locator(".upload-kind")).to_have_value("segment")
    page.get_by_role("button", name="开始上传").click()

    expect(row.locator(".upload-status")).to_contain_text("已登记为音像记录", timeout=60_000)
    expect(row.locator(".upload-percent")).to_have_text("100%")
    assert row.locator(".upload-progress").evaluate("e => e.value") == 100
    # In MB/s with one decimal (issue 18: not "154.79876160996292 B/s").
    expect(row.locator(".upload-speed")).to_have_text(re.compile(r"^\d+\.\d MB/s$"))
    sha256 = hashlib.sha256(clip.read_bytes()).hexdigest()
    expect(row.locator(".upload-status")).to_contain_text(sha256)
    expect(page.locator("#act-records")).to_contain_text("DSC_0001.mp4")
    page.screenshot(path=str(server["var"] / "upload.png"), full_page=True)

    # After a reload the item is listed by the server, not only by the script.
    page.reload()
    expect(page.locator("#act-records")).to_contain_text("DSC_0001.mp4")
    expect(page.locator("#act-records")).to_contain_text(sha256[:16])
    assert page.problems == []


def test_an_interrupted_upload_continues_after_a_page_reload(server, page, tmp_path):
    from playwright.sync_api import expect

    page.server = server
    clip = _clip(tmp_path, "DSC_0002.mp4")
    sha256 = hashlib.sha256(clip.read_bytes()).hexdigest()
    _login_and_open_the_upload_page(page, server["url"])

    # 1. The connection drops after three chunks: every later PATCH is aborted.
    patches = {"count": 0}

    def drop_after_three(route):
        if route.request.method == "PATCH":
            patches["count"] += 1
            if patches["count"] > 3:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/v1/uploads/**", drop_after_three)
    page.locator("#upload-files").set_input_files(str(clip))
    page.get_by_role("button", name="开始上传").click()
    row = page.locator(".upload-row")
    expect(row.locator(".upload-status")).to_contain_text("网络连接中断", timeout=60_000)
    with _db(server) as db:
        (offset, length), *others = db.execute(
            "SELECT offset, length FROM records_upload WHERE filename = 'DSC_0002.mp4'"
        ).fetchall()
    assert others == [] and offset == 3 * CHUNK and length == SIZE

    # 2. The network is back; the officer reloads the page and chooses the same file again.
    page.unroute("**/api/v1/uploads/**")
    sent = []  # (method, Upload-Offset) of every tus request from now on
    page.on(
        "request",
        lambda r: (
            sent.append((r.method, r.headers.get("upload-offset")))
            if "/api/v1/uploads/" in r.url
            else None
        ),
    )
    page.reload()
    page.locator("#upload-files").set_input_files(str(clip))
    expect(row.locator(".upload-status")).to_contain_text("曾上传过一部分")
    page.get_by_role("button", name="开始上传").click()
    expect(row.locator(".upload-status")).to_contain_text("已登记为音像记录", timeout=60_000)
    expect(row.locator(".upload-percent")).to_have_text("100%")

    # 3. It went on from the stored offset: no new upload, the first PATCH at 3 chunks, and the
    # server received only the rest of the file.
    assert sent[0] == ("HEAD", None)
    assert "POST" not in [m for m, _ in sent]  # no new upload was created
    patch_offsets = [int(o) for m, o in sent if m == "PATCH"]
    assert patch_offsets[0] == 3 * CHUNK
    received_again = SIZE - patch_offsets[0]
    assert received_again < SIZE
    assert len(patch_offsets) == -(-received_again // CHUNK)
    with _db(server) as db:
        rows = db.execute(
            "SELECT status, sha256 FROM records_upload WHERE filename = 'DSC_0002.mp4'"
        ).fetchall()
    assert rows == [("complete", sha256)]  # one upload, continued; its blob is the file's
    blob = server["var"] / "blobs" / sha256[:2] / sha256[2:4] / sha256
    assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha256
    expect(page.locator("#act-records")).to_contain_text("DSC_0002.mp4")
    assert page.problems == []


def test_every_chunk_carries_its_checksum_and_one_altered_on_the_way_is_sent_again(
    server, page, tmp_path
):
    from playwright.sync_api import expect

    page.server = server
    clip = _clip(tmp_path, "DSC_0003.mp4")
    sha256 = hashlib.sha256(clip.read_bytes()).hexdigest()
    _login_and_open_the_upload_page(page, server["url"])
    patches = []  # (Upload-Offset, Upload-Checksum, the body's own sha256 in tus form)

    def corrupt_the_second_patch_once(route):
        request = route.request
        if request.method != "PATCH":
            route.continue_()
            return
        body = request.post_data_buffer
        own = "sha256 " + base64.b64encode(hashlib.sha256(body).digest()).decode()
        patches.append((request.headers["upload-offset"], request.headers["upload-checksum"], own))
        if len(patches) == 2:  # a proxy flips a bit of this chunk
            route.continue_(post_data=bytes([body[0] ^ 0x01]) + body[1:])
            return
        route.continue_()

    page.route("**/api/v1/uploads/**", corrupt_the_second_patch_once)
    page.locator("#upload-files").set_input_files(str(clip))
    page.get_by_role("button", name="开始上传").click()
    row = page.locator(".upload-row")
    expect(row.locator(".upload-status")).to_contain_text("已登记为音像记录", timeout=60_000)

    assert all(sent == own for _, sent, own in patches)  # every PATCH carried its checksum
    offsets = [int(o) for o, _, _ in patches]
    assert offsets[1] == offsets[2] == CHUNK  # the refused chunk (460) was sent again
    assert len(patches) == -(-SIZE // CHUNK) + 1
    with _db(server) as db:
        (status, stored), *_ = db.execute(
            "SELECT status, sha256 FROM records_upload WHERE filename = 'DSC_0003.mp4'"
        ).fetchall()
    assert (status, stored) == ("complete", sha256)
    assert page.problems == []
