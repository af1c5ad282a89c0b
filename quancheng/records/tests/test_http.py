"""Serving blobs with HTTP Range (records/http.py), through the download and media views."""

import io

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils.http import http_date
from hypothesis import given
from hypothesis import strategies as st

from quancheng.records.http import ByteRange, RangeNotSatisfiable, parse_range
from quancheng.records.items import create_segment
from quancheng.records.services import blob_store, register_blob

pytestmark = pytest.mark.django_db

DATA = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable
SIZE = len(DATA)


@pytest.fixture
def segment(officer, agency):
    info = blob_store().put(io.BytesIO(DATA))
    with transaction.atomic():
        blob = register_blob(info, agency)
    return create_segment(
        officer,
        agency=agency,
        blob=blob,
        source="upload",
        original_filename="clip.mp4",
        content_type="video/mp4",
    )


@pytest.fixture
def get(client, officer, segment):
    client.force_login(officer)
    url = reverse("segment_download", args=[segment.pk])

    def _get(**headers):
        return client.get(url, headers=headers)

    return _get


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_no_range_sends_the_whole_blob_and_says_ranges_are_accepted(get, segment):
    r = get()
    assert r.status_code == 200
    assert r["Accept-Ranges"] == "bytes"
    assert r["Content-Length"] == str(SIZE)
    assert r["ETag"] == f'"{segment.blob_id}"'
    assert _body(r) == DATA


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 100),  # first bytes
        ("bytes=-100", SIZE - 100, SIZE),  # suffix
        ("bytes=1000-", 1000, SIZE),  # open-ended
        ("bytes=1000-99999", 1000, SIZE),  # last past the end is clamped
        ("bytes=-5000", 0, SIZE),  # suffix longer than the blob: all of it
        ("bytes=5-5", 5, 6),
    ],
)
def test_one_range_gets_206_with_content_range(get, header, start, end):
    r = get(Range=header)
    assert r.status_code == 206
    assert r["Content-Range"] == f"bytes {start}-{end - 1}/{SIZE}"
    assert r["Content-Length"] == str(end - start)
    assert _body(r) == DATA[start:end]


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "bytes=5-2",
        "bytes=-0",
        "bytes=-",
        "bytes=1-2-3",
        f"bytes={SIZE}-",  # start past the end
        "bytes=9999-",
    ],
)
def test_bad_or_unsatisfiable_ranges_get_416(get, header):
    r = get(Range=header)
    assert r.status_code == 416
    assert r["Content-Range"] == f"bytes */{SIZE}"


def test_several_ranges_get_the_whole_body(get):
    r = get(Range="bytes=0-1,5-9")
    assert r.status_code == 200 and _body(r) == DATA


def test_another_unit_is_ignored(get):
    r = get(Range="items=0-1")
    assert r.status_code == 200 and _body(r) == DATA


def test_if_range_with_the_etag_honours_the_range(get, segment):
    r = get(Range="bytes=10-19", **{"If-Range": f'"{segment.blob_id}"'})
    assert r.status_code == 206 and _body(r) == DATA[10:20]


@pytest.mark.parametrize("validator", ['"' + "0" * 64 + '"', 'W/"x"', "not a date"])
def test_if_range_not_matching_sends_the_whole_blob(get, validator):
    r = get(Range="bytes=10-19", **{"If-Range": validator})
    assert r.status_code == 200 and _body(r) == DATA


def test_if_range_with_the_last_modified_date(get, segment):
    blob = segment.blob
    r = get(Range="bytes=10-19", **{"If-Range": http_date(blob.created_at.timestamp())})
    assert r.status_code == 206
    r = get(Range="bytes=10-19", **{"If-Range": http_date(blob.created_at.timestamp() - 60)})
    assert r.status_code == 200


def test_if_none_match_gets_304(get, segment):
    assert get(**{"If-None-Match": f'"{segment.blob_id}"'}).status_code == 304


def test_head_sends_headers_only(client, officer, segment):
    client.force_login(officer)
    r = client.head(reverse("segment_media", args=[segment.pk]), headers={"Range": "bytes=0-9"})
    assert r.status_code == 206 and r["Content-Length"] == "10" and r.content == b""


def test_the_media_view_streams_ranges_too(client, officer, segment):
    client.force_login(officer)
    r = client.get(reverse("segment_media", args=[segment.pk]), headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and _body(r) == DATA[-10:]
    assert r["Content-Type"] == "video/mp4"
    assert r["Content-Disposition"] == "inline"


@given(size=st.integers(1, 300), first=st.integers(0, 400), length=st.integers(1, 400))
def test_a_single_range_is_the_python_slice(size, first, length):
    last = first + length - 1
    if first >= size:
        with pytest.raises(RangeNotSatisfiable):
            parse_range(f"bytes={first}-{last}", size)
        return
    r = parse_range(f"bytes={first}-{last}", size)
    assert r == ByteRange(first, min(last + 1, size))
    suffix = parse_range(f"bytes=-{length}", size)
    assert suffix == ByteRange(max(0, size - length), size)


def test_a_whole_download_rehashes_and_an_altered_blob_is_alerted(get, segment):
    from quancheng.alerts.models import Alert
    from quancheng.fixity.tests.conftest import alter_one_byte
    from quancheng.ledger.models import Event
    from quancheng.records.stream import StreamIntegrityError

    assert _body(get()) == DATA
    check = Event.objects.filter(action="fixity.checked").last()
    assert segment.blob_id in check.body and '"pass"' in check.body
    alter_one_byte(blob_store(), segment.blob_id, offset=100)
    with pytest.raises(StreamIntegrityError):
        _body(get())
    alert = Alert.objects.get(kind="fixity.mismatch")
    assert alert.object_id == segment.blob_id


def _received_until_abort(response) -> bytes:
    """What a client gets of a response whose stream aborts (the server drops the connection)."""
    from quancheng.records.stream import StreamIntegrityError

    received = bytearray()
    with pytest.raises(StreamIntegrityError):  # noqa: PT012 - the error comes while the stream is read
        for chunk in response.streaming_content:
            received += chunk
    return bytes(received)


def test_an_altered_blob_is_never_handed_out_complete(get, segment, monkeypatch):
    from quancheng.fixity.tests.conftest import alter_one_byte
    from quancheng.records import http

    monkeypatch.setattr(http, "CHUNK_SIZE", 100)  # several chunks for a 1024-byte blob
    alter_one_byte(blob_store(), segment.blob_id, offset=1000)  # in the last chunk

    r = get()

    assert r.status_code == 200 and r["Content-Length"] == str(SIZE)
    received = _received_until_abort(r)
    assert received == DATA[:1000]  # the final chunk, which holds the altered byte, never left


def test_a_damaged_blob_is_refused_with_the_reason_for_ranges_and_whole(get, segment):
    from quancheng.fixity.tests.conftest import alter_one_byte

    alter_one_byte(blob_store(), segment.blob_id, offset=100)
    _received_until_abort(get())  # the check fails and is recorded

    for headers in ({"Range": "bytes=0-99"}, {}):
        r = get(**headers)
        assert r.status_code == 409
        assert "完整性校验" in r.content.decode() and "修复" in r.content.decode()
