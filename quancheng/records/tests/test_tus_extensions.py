"""tus extensions beyond creation and termination: checksum, creation-with-upload, expiration."""

import base64
import datetime as dt
import hashlib
import os

import pytest
import time_machine
from django.utils import timezone
from django.utils.http import parse_http_date

from quancheng.ledger.models import Event
from quancheng.records.models import Upload
from quancheng.records.services import expire_uploads

from .conftest import PREFIX

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def tus(officer, tus_as):
    return tus_as(officer)


def digest_header(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm} " + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def patch(tus, url, data, offset, checksum=None):
    extra = {} if checksum is None else {"Upload-Checksum": checksum}
    return tus.patch(url, data, offset, **extra)


def upload_of(url: str) -> Upload:
    return Upload.objects.get(pk=url.rstrip("/").rsplit("/", 1)[1])


@pytest.mark.parametrize("algorithm", ["sha256", "sha1"])
def test_a_patch_matching_its_checksum_is_kept(tus, algorithm):
    data = os.urandom(10_000)
    url = tus.create(len(data))["Location"]
    r = patch(tus, url, data, 0, checksum=digest_header(data, algorithm))
    assert r.status_code == 204, r.content
    assert r["Upload-Sha256"] == hashlib.sha256(data).hexdigest()


def test_a_patch_not_matching_its_checksum_is_refused_with_460_and_not_kept(tus):
    data = os.urandom(20_000)
    url = tus.create(len(data))["Location"]
    assert patch(tus, url, data[:5000], 0, checksum=digest_header(data[:5000])).status_code == 204
    upload = upload_of(url)
    state = bytes(upload.hash_state)

    r = patch(tus, url, b"X" + data[5001:], 5000, checksum=digest_header(data[5000:]))

    assert r.status_code == 460
    assert r.json()["code"] == "checksum_mismatch" and "Upload-Checksum" in r.json()["message"]
    assert r["Upload-Offset"] == "5000"
    upload.refresh_from_db()
    assert upload.offset == 5000 and bytes(upload.hash_state) == state
    assert upload.partial_path.stat().st_size == 5000
    assert tus.head(url)["Upload-Offset"] == "5000"
    # The genuine bytes complete the upload with the right hash.
    r = patch(tus, url, data[5000:], 5000, checksum=digest_header(data[5000:]))
    assert r["Upload-Sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("md4 AAAA", "checksum_algorithm_unsupported"),
        ("sha256 not-base64!", "invalid_checksum"),
        ("sha256 " + base64.b64encode(b"short").decode(), "invalid_checksum"),
    ],
)
def test_a_bad_checksum_header_is_400(tus, header, code):
    url = tus.create(10)["Location"]
    r = patch(tus, url, b"0123456789", 0, checksum=header)
    assert r.status_code == 400 and r.json()["code"] == code
    assert upload_of(url).offset == 0


def test_creation_with_upload_stores_the_first_bytes(tus):
    data = os.urandom(3000)
    r = tus.client.generic(
        "POST",
        PREFIX,
        data[:1000],
        content_type="application/offset+octet-stream",
        headers=tus.headers(
            {"Upload-Length": str(len(data)), "Upload-Checksum": digest_header(data[:1000])}
        ),
    )
    assert r.status_code == 201, r.content
    assert r["Upload-Offset"] == "1000"
    url = r["Location"]
    r = patch(tus, url, data[1000:], 1000)
    assert r["Upload-Sha256"] == hashlib.sha256(data).hexdigest()


def test_creation_with_upload_and_a_wrong_checksum_keeps_the_upload_empty(tus):
    r = tus.client.generic(
        "POST",
        PREFIX,
        b"abc",
        content_type="application/offset+octet-stream",
        headers=tus.headers({"Upload-Length": "10", "Upload-Checksum": digest_header(b"abd")}),
    )
    assert r.status_code == 460
    assert r["Upload-Offset"] == "0"
    assert upload_of(r["Location"]).offset == 0


def test_a_body_on_creation_needs_the_tus_content_type(tus):
    r = tus.client.generic(
        "POST",
        PREFIX,
        b"abc",
        content_type="text/plain",
        headers=tus.headers({"Upload-Length": "3"}),
    )
    assert r.status_code == 415
    assert not Upload.objects.exists()


def test_upload_expires_moves_with_each_patch(tus, settings):
    settings.QC_UPLOAD_EXPIRY_DAYS = 7
    with time_machine.travel(START, tick=False):
        r = tus.create(100)
        url = r["Location"]
        assert parse_http_date(r["Upload-Expires"]) == (START + dt.timedelta(days=7)).timestamp()
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        r = patch(tus, url, b"x" * 10, 0)
        expires = START + dt.timedelta(days=10)
        assert parse_http_date(r["Upload-Expires"]) == expires.timestamp()
        assert parse_http_date(tus.head(url)["Upload-Expires"]) == expires.timestamp()


def test_an_abandoned_upload_expires_and_its_partial_file_is_removed(tus, settings):
    settings.QC_UPLOAD_EXPIRY_DAYS = 7
    with time_machine.travel(START, tick=False):
        url = tus.create(100)["Location"]
        patch(tus, url, b"x" * 10, 0)
        fresh = tus.create(100)["Location"]
    upload = upload_of(url)
    assert upload.partial_path.exists()
    with time_machine.travel(START + dt.timedelta(days=6), tick=False):
        patch(tus, fresh, b"y" * 10, 0)  # still in use
        assert expire_uploads() == 0
    with time_machine.travel(START + dt.timedelta(days=7, seconds=1), tick=False):
        # Past its expiry the upload is refused even before the periodic task has run.
        assert tus.head(url).status_code == 410
        r = patch(tus, url, b"x", 10)
        assert r.status_code == 410 and r.json()["code"] == "upload_expired"

        assert expire_uploads() == 1
        assert tus.delete(url).status_code == 410

    upload.refresh_from_db()
    assert upload.status == Upload.Status.EXPIRED
    assert not upload.partial_path.exists()
    event = Event.objects.get(action="upload.expired")
    assert event.object_id == str(upload.pk)
    assert upload_of(fresh).status == Upload.Status.RECEIVING
    assert upload_of(fresh).partial_path.exists()
    assert timezone.now() > START  # the real clock is back
