"""The sweep: every registered blob re-hashed, each check a ledger event, problems alerted."""

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quancheng.alerts.models import Alert
from quancheng.fixity.models import FixitySweep
from quancheng.fixity.sweep import SweepBusy, run_sweep
from quancheng.ledger.models import Event
from quancheng.ledger.services import verify_chain
from quancheng.lib.blobstore import BlobStoreError

from .conftest import alter_one_byte

pytestmark = pytest.mark.django_db


def checks() -> list[dict]:
    events = Event.objects.filter(action="fixity.checked").order_by("seq")
    return [json.loads(e.body) | {"_object_id": e.object_id} for e in events]


def test_an_untouched_store_passes_without_alerts(store, put_blobs):
    infos = put_blobs(store, n=5)

    sweep = run_sweep(trigger="command")

    assert sweep.status == FixitySweep.Status.COMPLETED
    assert (sweep.checked, sweep.passed, sweep.failed, sweep.missing) == (5, 5, 0, 0)
    assert sweep.checked_bytes == sweep.total_bytes == 50_000
    assert sweep.cursor == infos[-1].sha256
    bodies = checks()
    assert [b["_object_id"] for b in bodies] == [i.sha256 for i in infos]
    assert {b["eventOutcome"] for b in bodies} == {"pass"}
    assert not Alert.objects.exists()
    assert verify_chain() is None


def test_each_check_is_a_premis_event(store, put_blobs, agency):
    (info,) = put_blobs(store, n=1, size=1234)

    sweep = run_sweep()

    event = Event.objects.get(action="fixity.checked")
    body = json.loads(event.body)
    assert event.object_type == "records.blob" and event.object_id == info.sha256
    assert event.agency == agency
    assert body["eventType"] == "fixity check"
    assert dt.datetime.fromisoformat(body["eventDateTime"]).tzinfo is not None
    assert body["object"] == {"sha256": info.sha256, "sm3": None, "size": 1234}
    assert body["messageDigestAlgorithm"] == "SHA-256"
    assert body["expectedMessageDigest"] == body["actualMessageDigest"] == info.sha256
    assert body["eventOutcome"] == "pass"
    assert body["linkingAgent"]["agentName"].startswith("quancheng ")
    assert body["context"] == {"sweep": sweep.pk}
    started, completed = (
        Event.objects.filter(object_type="fixity.fixitysweep")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert (started, completed) == ("fixity.sweep_started", "fixity.sweep_completed")


def test_one_changed_byte_is_found_recorded_and_alerted(store, put_blobs, agency):
    infos = put_blobs(store, n=4)
    victim = infos[2]
    alter_one_byte(store, victim.sha256, offset=5000)

    sweep = run_sweep()

    assert (sweep.passed, sweep.failed, sweep.missing) == (3, 1, 0)
    (bad,) = [b for b in checks() if b["eventOutcome"] != "pass"]
    assert bad["eventOutcome"] == "fail"
    assert bad["expectedMessageDigest"] == victim.sha256
    assert bad["actualMessageDigest"] not in (None, victim.sha256)
    alert = Alert.objects.get()
    assert alert.kind == "fixity.mismatch" and alert.severity == "critical"
    assert alert.agency == agency
    assert alert.object_id == victim.sha256 and alert.detail["sha256"] == victim.sha256
    assert alert.roles == ["custodian", "auditor"]


def test_a_deleted_blob_is_found_recorded_and_alerted(store, put_blobs):
    infos = put_blobs(store, n=3)
    store.path(infos[0].sha256).unlink()

    sweep = run_sweep()

    assert (sweep.passed, sweep.failed, sweep.missing) == (2, 0, 1)
    (bad,) = [b for b in checks() if b["eventOutcome"] != "pass"]
    assert bad["eventOutcome"] == "missing"
    assert bad["object"]["sha256"] == infos[0].sha256
    assert bad["actualMessageDigest"] is None
    alert = Alert.objects.get()
    assert alert.kind == "fixity.missing" and alert.object_id == infos[0].sha256


def test_a_second_sweep_records_again_but_does_not_duplicate_the_open_alert(store, put_blobs):
    infos = put_blobs(store, n=2)
    store.path(infos[1].sha256).unlink()

    run_sweep()
    run_sweep(resume=False)

    assert len([b for b in checks() if b["eventOutcome"] == "missing"]) == 2
    assert Alert.objects.count() == 1


def test_a_stopped_sweep_resumes_from_its_cursor(store, put_blobs):
    infos = put_blobs(store, n=7)
    seen = []

    def stop_after_three():
        return len(seen) >= 3

    sweep = run_sweep(
        workers=1,
        batch_size=2,
        progress=lambda s: seen.append(s.cursor),
        should_stop=stop_after_three,
    )

    sweep.refresh_from_db()
    assert sweep.status == FixitySweep.Status.INTERRUPTED
    done = sweep.checked
    assert 3 <= done < 7
    assert sweep.cursor == infos[done - 1].sha256
    assert len(checks()) == done

    resumed = run_sweep(resume=True)

    assert resumed.pk == sweep.pk
    assert resumed.status == FixitySweep.Status.COMPLETED
    assert resumed.checked == 7 and resumed.passed == 7
    # Each blob checked exactly once over the two runs, in order.
    assert [b["_object_id"] for b in checks()] == [i.sha256 for i in infos]
    actions = list(
        Event.objects.filter(object_type="fixity.fixitysweep").values_list("action", flat=True)
    )
    assert actions == ["fixity.sweep_started", "fixity.sweep_resumed", "fixity.sweep_completed"]


class _FailingStore:
    """The real store, except that reading one blob fails like an unreachable S3 endpoint."""

    def __init__(self, inner, bad):
        self.inner, self.bad, self.calls = inner, bad, 0

    def open(self, sha256, start=0, end=None):
        if sha256 == self.bad:
            raise BlobStoreError("endpoint unreachable")
        return self.inner.open(sha256, start, end)


def test_a_store_error_stops_the_sweep_resumably_without_skipping(store, put_blobs):
    infos = put_blobs(store, n=6)

    with pytest.raises(BlobStoreError):
        run_sweep(store=_FailingStore(store, infos[3].sha256), workers=2, batch_size=1)

    sweep = FixitySweep.objects.get()
    assert sweep.status == FixitySweep.Status.FAILED
    assert "endpoint unreachable" in sweep.error
    assert sweep.checked == 3 and sweep.cursor == infos[2].sha256
    assert len(checks()) == 3

    resumed = run_sweep(resume=True)

    assert resumed.pk == sweep.pk and resumed.status == FixitySweep.Status.COMPLETED
    assert [b["_object_id"] for b in checks()] == [i.sha256 for i in infos]


def test_a_live_sweep_elsewhere_is_left_alone_and_a_dead_one_is_taken_over(store, put_blobs):
    put_blobs(store, n=2)
    FixitySweep.objects.create(trigger="schedule", status=FixitySweep.Status.RUNNING)

    with pytest.raises(SweepBusy):
        run_sweep()

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        sweep = run_sweep()
    assert sweep.status == FixitySweep.Status.COMPLETED
    assert FixitySweep.objects.count() == 1


def test_a_new_sweep_supersedes_an_unfinished_one(store, put_blobs):
    put_blobs(store, n=2)
    old = FixitySweep.objects.create(trigger="schedule", status=FixitySweep.Status.INTERRUPTED)

    new = run_sweep(resume=False)

    old.refresh_from_db()
    assert old.status == FixitySweep.Status.SUPERSEDED
    assert new.pk != old.pk and new.checked == 2


def test_checks_are_recorded_in_batches(store, put_blobs):
    """Many small blobs: a transaction per batch, not one per blob."""
    put_blobs(store, n=12, size=100)

    # Inside the test's transaction every transaction.atomic() is a savepoint.
    with CaptureQueriesContext(connection) as ctx:
        run_sweep(batch_size=5)

    savepoints = [q for q in ctx.captured_queries if q["sql"].startswith("SAVEPOINT")]
    # the claim, ceil(12 / 5) batches, the final flush
    assert 3 <= len(savepoints) <= 1 + 3 + 1
    assert len(checks()) == 12


class _InterruptingStore(_FailingStore):
    def open(self, sha256, start=0, end=None):
        if sha256 == self.bad:
            raise KeyboardInterrupt
        return self.inner.open(sha256, start, end)


def test_ctrl_c_leaves_the_sweep_interrupted_and_resumable(store, put_blobs):
    infos = put_blobs(store, n=4)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(store=_InterruptingStore(store, infos[2].sha256), workers=1, batch_size=1)

    sweep = FixitySweep.objects.get()
    assert sweep.status == FixitySweep.Status.INTERRUPTED and sweep.error == ""
    assert sweep.cursor == infos[1].sha256

    assert run_sweep(resume=True).checked == 4
    assert [b["_object_id"] for b in checks()] == [i.sha256 for i in infos]


def test_blobs_are_read_in_pieces_that_stay_in_the_cache(store, put_blobs, monkeypatch):
    """The check reads a blob in 256 KiB pieces, not 8 MiB: between the read's copy and the hash
    the buffer stays in the core's cache (docs/performance.md, Fixity). A 3 MiB blob still
    passes, read in twelve pieces."""
    from quancheng.lib.blobstore import local

    sizes = []
    real_open = local.LocalBlobStore.open

    def spying_open(self, sha256, *args, **kwargs):
        f = real_open(self, sha256, *args, **kwargs)
        readinto = f.readinto

        def spy(view):
            sizes.append(len(view))
            return readinto(view)

        f.readinto = spy
        return f

    monkeypatch.setattr(local.LocalBlobStore, "open", spying_open)
    put_blobs(store, n=1, size=3 * 1024 * 1024)
    sweep = run_sweep(resume=False, rate=0)
    assert sweep.passed == 1 and sweep.failed == 0
    assert sizes and max(sizes) == 256 * 1024
    assert len(sizes) == 13  # twelve full pieces, then the end
