"""Re-hashing while streaming: a fake consumer stands in for a download response."""

import io
import json
import os

import pytest

from quancheng.alerts.models import Alert
from quancheng.ledger.models import Event
from quancheng.lib.blobstore import BlobNotFound
from quancheng.records.models import Blob
from quancheng.records.services import register_blob
from quancheng.records.stream import StreamIntegrityError, verified_chunks

from .conftest import alter_one_byte

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


class FakeConsumer:
    """Like a WSGI server: writes chunks out until the iterator ends or raises."""

    def __init__(self):
        self.received = bytearray()
        self.error = None

    def consume(self, chunks):
        try:
            for chunk in chunks:
                self.received += chunk
        except Exception as exc:
            self.error = exc
        return self


def stream_checks():
    return [json.loads(e.body) for e in Event.objects.filter(action="fixity.checked")]


@pytest.fixture
def blob(store, agency):
    data = os.urandom(3 * MiB + 17)
    info = store.put(io.BytesIO(data))
    register_blob(info, agency)
    return info, data


def test_an_intact_blob_streams_whole_and_the_check_is_recorded(store, blob, officer):
    info, data = blob

    consumer = FakeConsumer().consume(verified_chunks(info.sha256, chunk_size=MiB, actor=officer))

    assert consumer.error is None
    assert bytes(consumer.received) == data
    (check,) = stream_checks()
    assert check["eventOutcome"] == "pass"
    assert check["context"] == {"stream": "download"}
    assert Event.objects.get(action="fixity.checked").actor == officer
    assert not Alert.objects.exists()


def test_an_altered_blob_is_recorded_alerted_and_the_transfer_does_not_end_cleanly(
    store, blob, agency
):
    info, data = blob
    alter_one_byte(store, info.sha256, offset=2 * MiB)

    consumer = FakeConsumer().consume(
        verified_chunks(info.sha256, chunk_size=MiB, purpose="export")
    )

    # The response had started, but the final chunk was held back until the hash was known:
    # the consumer never gets the complete (altered) file, and the end is an error.
    assert len(consumer.received) == 3 * MiB < len(data)
    assert isinstance(consumer.error, StreamIntegrityError)
    (check,) = stream_checks()
    assert check["eventOutcome"] == "fail"
    assert check["context"] == {"stream": "export"}
    assert check["expectedMessageDigest"] == info.sha256
    alert = Alert.objects.get()
    assert alert.kind == "fixity.mismatch" and alert.agency == agency
    assert alert.detail["sha256"] == info.sha256


def test_the_final_chunk_waits_for_the_verdict(store, blob):
    info, data = blob
    chunks = verified_chunks(info.sha256, chunk_size=MiB)
    sent = [next(chunks) for _ in range(3)]
    # Three chunks out and the whole blob read: the check is recorded before the last chunk.
    assert stream_checks() == []
    last = next(chunks)
    assert stream_checks()[0]["eventOutcome"] == "pass"
    assert b"".join([*sent, last]) == data


def test_a_failed_check_marks_the_blob_damaged_and_a_passing_one_clears_it(store, blob):
    info, _ = blob
    alter_one_byte(store, info.sha256, offset=5)
    FakeConsumer().consume(verified_chunks(info.sha256, chunk_size=MiB))
    assert Blob.objects.get(pk=info.sha256).damaged_at is not None

    alter_one_byte(store, info.sha256, offset=5)  # flipped back
    FakeConsumer().consume(verified_chunks(info.sha256, chunk_size=MiB))
    assert Blob.objects.get(pk=info.sha256).damaged_at is None


def test_a_missing_blob_is_recorded_before_the_first_byte(store, blob):
    info, _ = blob
    store.path(info.sha256).unlink()

    with pytest.raises(BlobNotFound):
        next(verified_chunks(info.sha256))

    (check,) = stream_checks()
    assert check["eventOutcome"] == "missing"
    assert Alert.objects.get().kind == "fixity.missing"


def test_a_range_read_is_not_a_check(store, blob):
    info, data = blob
    alter_one_byte(store, info.sha256, offset=0)

    consumer = FakeConsumer().consume(verified_chunks(info.sha256, 10, 1000))

    assert consumer.error is None
    assert bytes(consumer.received) == data[10:1000]
    assert stream_checks() == []


def test_a_consumer_that_stops_early_records_nothing(store, blob):
    info, _ = blob
    chunks = verified_chunks(info.sha256, chunk_size=MiB)
    next(chunks)
    chunks.close()
    assert stream_checks() == []


def test_an_end_past_the_size_still_reads_the_whole_blob_and_checks_it(store, blob):
    info, data = blob
    consumer = FakeConsumer().consume(verified_chunks(info.sha256, 0, len(data) + 100))
    assert bytes(consumer.received) == data
    assert stream_checks()[0]["eventOutcome"] == "pass"


def test_a_download_checks_the_sm3_too(store, blob, officer):
    """Issue 19: the bytes still give the blob's SHA-256, but not the SM3 registered for it
    (someone changed the registry, or the SM3 was computed over other bytes): the last chunk is
    withheld and the failed check names both digests."""
    from quancheng.lib.gmcrypto import sm3_hex

    info, data = blob
    Blob.objects.filter(sha256=info.sha256).update(sm3=sm3_hex(data))
    consumer = FakeConsumer().consume(verified_chunks(info.sha256, chunk_size=MiB, actor=officer))
    assert consumer.error is None and bytes(consumer.received) == data
    assert stream_checks()[-1]["eventOutcome"] == "pass"

    Blob.objects.filter(sha256=info.sha256).update(sm3="0" * 64)
    consumer = FakeConsumer().consume(verified_chunks(info.sha256, chunk_size=MiB, actor=officer))
    assert isinstance(consumer.error, StreamIntegrityError)
    assert len(consumer.received) < len(data)
    check = stream_checks()[-1]
    assert check["eventOutcome"] == "fail"
    assert "SM3" in check["eventOutcomeDetail"]
