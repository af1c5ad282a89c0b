"""The tus 1.0 protocol through Django's test client: each status code of the core, creation and
termination, resume after a partial PATCH, scoping to the uploader, ledger events."""

import base64
import fcntl
import hashlib

import pytest
from django.test import Client

from quancheng.ledger.models import Event
from quancheng.records.models import Blob, Upload

from .conftest import PREFIX, TUS, Tus


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def upload_of(response) -> Upload:
    return Upload.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def tus(officer, tus_as):
    return tus_as(officer)


def test_options_lists_the_capabilities(tus, settings):
    settings.QC_UPLOAD_MAX_SIZE = 12345
    r = tus.options()
    assert r.status_code == 204
    assert r["Tus-Resumable"] == "1.0.0"
    assert r["Tus-Version"] == "1.0.0"
    assert set(r["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    }
    assert set(r["Tus-Checksum-Algorithm"].split(",")) >= {"sha1", "sha256"}
    assert r["Tus-Max-Size"] == "12345"


def test_no_token_is_401_and_a_bad_token_too(db):
    for tus in (Tus(None), Tus("qc_nonsense")):
        r = tus.create(10)
        assert r.status_code == 401
        assert r.json()["code"] == "unauthorized"
        assert r.json()["message"]
    assert not Upload.objects.exists()


def test_create_head_patch_complete(tus, officer, settings, tmp_path):
    data = b"0123456789" * 100
    r = tus.create(len(data), f"filename {b64('执法记录仪.mp4')},filetype {b64('video/mp4')}")
    assert r.status_code == 201, r.content
    assert r["Tus-Resumable"] == "1.0.0"
    url = r["Location"]
    assert url.startswith("http://testserver/api/v1/uploads/")
    upload = upload_of(r)
    assert (upload.user, upload.agency) == (officer, officer.agency)
    assert upload.filename == "执法记录仪.mp4"
    assert upload.metadata == {"filename": "执法记录仪.mp4", "filetype": "video/mp4"}
    assert upload.partial_path.exists()
    created = Event.objects.for_object(upload).get()
    assert created.action == "upload.created"

    r = tus.head(url)
    assert r.status_code == 200
    assert (r["Upload-Offset"], r["Upload-Length"]) == ("0", str(len(data)))
    assert r["Cache-Control"] == "no-store"

    r = tus.patch(url, data[:300], 0)
    assert r.status_code == 204, r.content
    assert r["Upload-Offset"] == "300"
    r = tus.head(url)
    assert r["Upload-Offset"] == "300"
    # Partial progress is not a ledger event.
    assert Event.objects.for_object(upload).count() == 1

    r = tus.patch(url, data[300:], 300)
    assert r.status_code == 204
    assert r["Upload-Offset"] == str(len(data))
    sha = hashlib.sha256(data).hexdigest()
    assert r["Upload-Sha256"] == sha
    upload.refresh_from_db()
    assert upload.status == Upload.Status.COMPLETE
    assert (upload.sha256, upload.blob_created) == (sha, True)
    blob = Blob.objects.get(sha256=sha)
    assert (blob.size, blob.agency) == (upload.length, upload.agency)
    assert not upload.partial_path.exists()
    done = Event.objects.for_object(upload).order_by("-seq").first()
    assert done.action == "upload.completed"
    assert '"deduplicated":false' in done.body and sha in done.body

    from quancheng.lib.blobstore import blob_store_from_url

    with blob_store_from_url(settings.QC_BLOB_STORE).open(sha) as f:
        assert f.read() == data
    assert tus.get(url).json()["sha256"] == sha


def test_same_bytes_twice_are_deduplicated(tus):
    data = b"same bytes"
    shas = []
    for _ in range(2):
        url = tus.create(len(data))["Location"]
        r = tus.patch(url, data, 0)
        assert r.status_code == 204
        shas.append(r["Upload-Sha256"])
    assert shas[0] == shas[1]
    first, second = Upload.objects.order_by("created_at")
    assert (first.blob_created, second.blob_created) == (True, False)
    assert tus.get(f"{PREFIX}{second.id}").json()["deduplicated"] is True
    event = Event.objects.for_object(second).order_by("-seq").first()
    assert '"deduplicated":true' in event.body


def test_offset_mismatch_is_409(tus):
    url = tus.create(20)["Location"]
    assert tus.patch(url, b"12345", 0).status_code == 204
    r = tus.patch(url, b"12345", 0)
    assert r.status_code == 409
    assert r.json()["code"] == "offset_mismatch"
    assert r["Upload-Offset"] == "5"
    assert tus.patch(url, b"12345", 7).status_code == 409
    assert tus.head(url)["Upload-Offset"] == "5"


def test_wrong_version_is_412(tus):
    r = tus.client.generic(
        "POST", PREFIX, b"", headers=tus.headers({"Upload-Length": "5", "Tus-Resumable": "0.2.2"})
    )
    assert r.status_code == 412
    assert r["Tus-Version"] == "1.0.0"
    r = tus.client.generic(
        "POST", PREFIX, b"", headers={"Authorization": f"Bearer {tus.secret}", "Upload-Length": "5"}
    )
    assert r.status_code == 412
    assert not Upload.objects.exists()


def test_wrong_content_type_is_415(tus):
    url = tus.create(5)["Location"]
    r = tus.patch(url, b"12345", 0, content_type="application/octet-stream")
    assert r.status_code == 415
    assert tus.head(url)["Upload-Offset"] == "0"


def test_over_max_size_is_413(tus, settings):
    settings.QC_UPLOAD_MAX_SIZE = 100
    assert tus.create(101).status_code == 413
    assert tus.create(100).status_code == 201


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Upload-Length": "0"}, "empty_upload"),
        ({"Upload-Length": "-1"}, "invalid_header"),
        ({"Upload-Length": "abc"}, "invalid_header"),
        ({"Upload-Defer-Length": "1"}, "defer_length_unsupported"),
        ({}, "missing_length"),
        ({"Upload-Length": "5", "Upload-Metadata": "filename !!!"}, "invalid_metadata"),
        (
            {"Upload-Length": "5", "Upload-Metadata": f"a {b64('x')},a {b64('y')}"},
            "invalid_metadata",
        ),
        (
            {"Upload-Length": "5", "Upload-Metadata": f"filename {b64('../../etc/passwd')}"},
            "invalid_filename",
        ),
        (
            {"Upload-Length": "5", "Upload-Metadata": "filename " + b64("a\\b.mp4")},
            "invalid_filename",
        ),
    ],
)
def test_bad_creation_is_400_and_stores_nothing(tus, headers, code):
    r = tus.client.generic("POST", PREFIX, b"", headers=tus.headers(headers))
    assert r.status_code == 400, r.content
    assert r.json()["code"] == code
    assert not Upload.objects.exists()
    assert not Event.objects.filter(action="upload.created").exists()


def test_patch_past_the_declared_length_is_refused(tus):
    url = tus.create(5)["Location"]
    r = tus.patch(url, b"123456", 0)
    assert r.status_code == 400
    assert r.json()["code"] == "exceeds_length"
    assert tus.head(url)["Upload-Offset"] == "0"


def test_resume_after_an_interrupted_patch_keeps_what_arrived(officer, tus):
    """A client that drops mid-body: the bytes received are kept and HEAD says how many."""
    from quancheng.records.services import append

    data = bytes(range(256)) * 40
    upload = upload_of(tus.create(len(data)))
    sent = iter([data[:1000], data[1000:1500]])

    def read(n):
        try:
            return next(sent)
        except StopIteration:
            raise OSError("connection reset") from None

    result = append(upload, 0, read, 4000)  # promised 4000 bytes, delivered 1500
    assert result.interrupted
    url = f"{PREFIX}{upload.id}"
    assert tus.head(url)["Upload-Offset"] == "1500"
    assert tus.patch(url, data[1500:], 1500).status_code == 204
    upload.refresh_from_db()
    assert upload.sha256 == hashlib.sha256(data).hexdigest()


def test_leftover_bytes_past_the_offset_are_dropped(tus):
    url = tus.create(10)["Location"]
    assert tus.patch(url, b"abc", 0).status_code == 204
    upload = Upload.objects.get()
    with open(upload.partial_path, "ab") as f:  # a request that died before its commit
        f.write(b"GARBAGE")
    assert tus.patch(url, b"defghij", 3).status_code == 204
    upload.refresh_from_db()
    assert upload.sha256 == hashlib.sha256(b"abcdefghij").hexdigest()


def test_concurrent_patch_of_one_upload_is_refused(tus):
    url = tus.create(10)["Location"]
    upload = Upload.objects.get()
    with open(upload.partial_path, "r+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # another request is appending
        r = tus.patch(url, b"abc", 0)
        assert r.status_code == 423
        assert tus.delete(url).status_code == 423
    assert tus.head(url)["Upload-Offset"] == "0"
    assert tus.patch(url, b"abc", 0).status_code == 204


def test_patch_needs_an_offset(tus):
    url = tus.create(10)["Location"]
    r = tus.client.patch(
        url, b"abc", content_type="application/offset+octet-stream", headers=tus.headers()
    )
    assert r.status_code == 400
    assert r.json()["code"] == "missing_offset"


def test_termination(tus, officer):
    url = tus.create(10)["Location"]
    tus.patch(url, b"abc", 0)
    upload = Upload.objects.get()
    r = tus.delete(url)
    assert r.status_code == 204
    assert r["Tus-Resumable"] == "1.0.0"
    upload.refresh_from_db()
    assert upload.status == Upload.Status.TERMINATED
    assert not upload.partial_path.exists()
    event = Event.objects.for_object(upload).order_by("-seq").first()
    assert (event.action, event.actor) == ("upload.terminated", officer)
    assert tus.head(url).status_code == 410
    assert tus.patch(url, b"defg", 3).status_code == 410
    assert tus.delete(url).status_code == 410


def test_a_complete_upload_cannot_be_terminated(tus):
    url = tus.create(3)["Location"]
    tus.patch(url, b"abc", 0)
    r = tus.delete(url)
    assert r.status_code == 409
    assert Upload.objects.get().status == Upload.Status.COMPLETE
    # An empty PATCH at the end is answered with the final offset (idempotent retry).
    r = tus.client.generic(
        "PATCH",
        url,
        b"",
        CONTENT_TYPE="application/offset+octet-stream",
        CONTENT_LENGTH="0",
        headers=tus.headers({"Upload-Offset": "3"}),
    )
    assert (r.status_code, r["Upload-Offset"]) == (204, "3")


def test_unknown_and_other_peoples_uploads_are_404(tus, colleague, outsider, tus_as):
    url = tus.create(10)["Location"]
    assert tus.head(f"{PREFIX}00000000-0000-0000-0000-000000000000").status_code == 404
    for other in (tus_as(colleague), tus_as(outsider)):
        assert other.head(url).status_code == 404
        assert other.get(url).status_code == 404
        assert other.patch(url, b"abc", 0).status_code == 404
        assert other.delete(url).status_code == 404
    assert Upload.objects.get().status == Upload.Status.RECEIVING
    assert tus.head(url)["Upload-Offset"] == "0"


def test_wrong_method_is_405(tus):
    r = tus.client.put(PREFIX, headers=tus.headers())
    assert r.status_code == 405
    assert "POST" in r["Allow"]


def test_session_user_needs_the_csrf_token(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    r = client.generic("POST", PREFIX, b"", headers={**TUS, "Upload-Length": "3"})
    assert r.status_code == 403
    assert r.json()["code"] == "csrf_failed"
    assert not Upload.objects.exists()

    client.get("/")  # sets the CSRF cookie, as the upload page will
    token = client.cookies["csrftoken"].value
    r = client.generic(
        "POST", PREFIX, b"", headers={**TUS, "Upload-Length": "3", "X-CSRFToken": token}
    )
    assert r.status_code == 201, r.content
    url = r["Location"]
    assert client.head(url, headers=TUS)["Upload-Offset"] == "0"  # safe method: no token needed
    r = client.patch(
        url,
        b"abc",
        content_type="application/offset+octet-stream",
        headers={**TUS, "Upload-Offset": "0"},
    )
    assert r.status_code == 403
    r = client.patch(
        url,
        b"abc",
        content_type="application/offset+octet-stream",
        headers={**TUS, "Upload-Offset": "0", "X-CSRFToken": token},
    )
    assert r.status_code == 204
    assert Upload.objects.get().status == Upload.Status.COMPLETE


def test_anonymous_browser_is_401_not_a_login_redirect(db):
    r = Client().head(f"{PREFIX}00000000-0000-0000-0000-000000000000", headers=TUS)
    assert r.status_code == 401
