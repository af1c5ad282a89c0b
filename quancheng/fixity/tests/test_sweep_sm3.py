"""Fixity sweeps verify SM3 beside SHA-256 once a blob has one (docs/fixity.md)."""

import json

import pytest

from quancheng.alerts.models import Alert
from quancheng.fixity.sweep import run_sweep
from quancheng.ledger.models import Event
from quancheng.ledger.tests.test_both_digests import missing_sm3
from quancheng.lib.gmcrypto import sm3_hex
from quancheng.records.models import Blob
from quancheng.records.sm3 import compute_pending_sm3

from .conftest import alter_one_byte

pytestmark = pytest.mark.django_db


def _bodies():
    events = Event.objects.filter(action="fixity.checked").order_by("seq")
    return {e.object_id: json.loads(e.body) for e in events}


def test_both_digests_are_checked_and_a_pending_sm3_is_not_a_failure(store, put_blobs):
    _first, _second = put_blobs(store, n=2, size=5000)
    compute_pending_sm3(limit=1)  # the oldest gets its SM3, the other is still pending
    with_sm3 = Blob.objects.exclude(sm3="").get()
    pending = Blob.objects.get(sm3="")

    sweep = run_sweep()

    assert (sweep.passed, sweep.failed) == (2, 0)
    bodies = _bodies()
    assert bodies[with_sm3.sha256]["messageDigests"] == [
        {"algorithm": "SHA-256", "expected": with_sm3.sha256, "actual": with_sm3.sha256},
        {"algorithm": "SM3", "expected": with_sm3.sm3, "actual": with_sm3.sm3},
    ]
    assert [d["algorithm"] for d in bodies[pending.sha256]["messageDigests"]] == ["SHA-256"]


def test_an_sm3_that_no_longer_matches_fails_the_check(store, put_blobs):
    """The registered SM3 changed (or the bytes collide on SHA-256 only): a failed check."""
    (info,) = put_blobs(store, n=1)
    compute_pending_sm3()
    Blob.objects.filter(pk=info.sha256).update(sm3="0" * 64)

    sweep = run_sweep()

    assert (sweep.passed, sweep.failed) == (0, 1)
    body = _bodies()[info.sha256]
    assert body["eventOutcome"] == "fail"
    assert body["eventOutcomeDetail"] == "SM3 message digest differs"
    assert body["messageDigests"][1]["expected"] == "0" * 64
    assert body["messageDigests"][1]["actual"] != "0" * 64
    alert = Alert.objects.get(kind="fixity.mismatch")
    assert alert.detail["sm3"] == "0" * 64
    assert Blob.objects.get(pk=info.sha256).damaged_at is not None


def test_a_changed_files_alert_names_both_actual_digests_from_the_same_read(store, put_blobs):
    """Issue 19: ``actual_sha256`` has its ``actual_sm3``, computed by the sweep as it read the
    bytes (no blob holds them, so no lookup could find it); the event body and the alert's
    detail name no SHA-256 without its SM3."""
    (info,) = put_blobs(store, n=1, size=5000)
    compute_pending_sm3()
    alter_one_byte(store, info.sha256, offset=100)
    changed = store.path(info.sha256).read_bytes()

    assert run_sweep().failed == 1

    detail = Alert.objects.get(kind="fixity.mismatch").detail
    assert detail["actual_sm3"] == sm3_hex(changed) != Blob.objects.get(pk=info.sha256).sm3
    assert detail["sm3"] == Blob.objects.get(pk=info.sha256).sm3
    assert missing_sm3(detail) == [] and missing_sm3(_bodies()[info.sha256]) == []
    raised = json.loads(Event.objects.get(action="alert.raised").body)
    assert raised["detail"]["actual_sm3"] == sm3_hex(changed) and missing_sm3(raised) == []
