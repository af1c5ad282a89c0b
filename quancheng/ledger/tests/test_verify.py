"""Whole-ledger verification: each kind of tampering found, with its seq and kind."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from quancheng.alerts.models import Alert
from quancheng.ledger import fastverify
from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import make_checkpoint, origin
from quancheng.ledger.fields import to_digest
from quancheng.ledger.models import Checkpoint, Event, StagedEvent
from quancheng.ledger.services import record_event
from quancheng.ledger.signals import verification_failed
from quancheng.ledger.tasks import verify_whole_ledger
from quancheng.ledger.verify import Kind, record_verification, verify_ledger
from quancheng.lib import note

from . import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key(own_ledger_key):
    """Each test generates its own embedded-default key (conftest.own_ledger_key)."""


def _log(count):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


@pytest.fixture
def ledger():
    """Three checkpoints over 21 events, and two events after the last checkpoint."""
    _log(6)
    make_checkpoint()  # size 6, its event is #7
    _log(6)
    make_checkpoint()  # size 13, event #14
    _log(6)
    make_checkpoint()  # size 20, event #21
    _log(2)
    return Event.objects.count()


def _first(report):
    assert not report.ok, "tampering went unnoticed"
    return report.first


def test_an_untouched_ledger_verifies(ledger):
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.size == ledger == 23
    assert report.checkpoints == 3
    assert report.first_bad_seq is None


def test_an_empty_ledger_verifies():
    assert verify_ledger().ok


def test_an_edited_event_is_found(ledger):
    tamper.edit_body(9, {"i": 999})
    first = _first(verify_ledger())
    assert (first.kind, first.seq) == (Kind.EDITED, 9)
    assert "#9" in first.message


def test_an_edited_and_rehashed_event_is_found_by_the_event_relinked_to_it(ledger):
    event = Event.objects.get(seq=9)
    event.body = '{"i":999}'
    new_hash = to_digest(event.compute_hash())  # the column holds the 32 bytes
    with tamper.triggers_off():
        tamper.sql(
            "UPDATE ledger_event SET body = %s, hash = %s WHERE seq = 9", [event.body, new_hash]
        )
        tamper.sql("UPDATE ledger_event SET prev_hash = %s WHERE seq = 10", [new_hash])
    report = verify_ledger()
    first = _first(report)
    # Re-linking #10 changed #10's own entry: its hash no longer matches.
    assert (first.kind, first.seq) == (Kind.EDITED, 10)


def test_a_rewritten_and_rechained_history_is_found_by_the_stored_nodes(ledger):
    """Event #9 edited and every event after it re-hashed and re-linked, the head too: each
    row hashes to itself and links to the one before, but the leaf of #9 (never stored) no
    longer gives the stored node above it."""
    prev = Event.objects.get(seq=8).hash
    with tamper.triggers_off():
        for event in Event.objects.filter(seq__gte=9).order_by("seq"):
            if event.seq == 9:
                event.body = '{"i":999}'
            event.prev_hash = prev
            prev = event.compute_hash()
            tamper.sql(
                "UPDATE ledger_event SET body = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [event.body, to_digest(event.prev_hash), to_digest(prev), event.seq],
            )
        tamper.sql("UPDATE ledger_ledgerhead SET hash = %s WHERE id = 1", [prev])
    report = verify_ledger()
    first = _first(report)
    assert (first.kind, first.seq) == (Kind.TREE, 9)
    assert "stored Merkle node at level 1, index 4 (events #9..#10)" in first.message
    assert not [p for p in report.problems if p.kind == Kind.EDITED]


@pytest.mark.parametrize(
    ("level", "index", "events"), [(1, 5, "#11..#12"), (3, 1, "#9..#16"), (4, 0, "#1..#16")]
)
def test_an_altered_stored_node_is_found_by_both_passes(ledger, level, index, events):
    upto = Event.objects.count()
    assert fastverify.run(upto, []).ok
    tamper.alter_node(level, index)
    assert not fastverify.run(upto, []).ok
    report = verify_ledger()
    first = _first(report)
    assert (first.kind, first.seq) == (Kind.TREE, int(events[1:].split("..")[0]))
    assert f"stored Merkle node at level {level}, index {index} (events {events})" in first.message


@pytest.mark.parametrize(("level", "index", "events"), [(1, 0, "#1..#2"), (2, 3, "#13..#16")])
def test_a_missing_stored_node_is_found_by_both_passes(ledger, level, index, events):
    tamper.delete_node(level, index)
    assert not fastverify.run(Event.objects.count(), []).ok
    report = verify_ledger()
    first = _first(report)
    assert (first.kind, first.seq) == (Kind.TREE, int(events[1:].split("..")[0]))
    message = f"no Merkle node is stored at level {level}, index {index} (events {events})"
    assert message in first.message


def test_a_deleted_event_is_found(ledger):
    tamper.delete_event(11)
    report = verify_ledger()
    first = _first(report)
    assert (first.kind, first.seq) == (Kind.DELETED, 11)
    assert report.first_bad_seq == 11


def test_deleted_last_events_are_found(ledger):
    with tamper.triggers_off():
        tamper.sql("DELETE FROM ledger_event WHERE seq > 18")
    first = _first(verify_ledger())
    assert (first.kind, first.seq) == (Kind.DELETED, 19)


def test_swapped_events_are_found(ledger):
    tamper.swap_events(4, 5)
    report = verify_ledger()
    first = _first(report)
    assert (first.kind, first.seq) == (Kind.REORDERED, 4)
    assert "holds event #5" in first.message
    assert report.problems[1].kind == Kind.REORDERED and report.problems[1].seq == 5


def test_a_replaced_signing_key_is_found(ledger, settings):
    new_key = Ed25519PrivateKey.generate()
    settings.QC_SIGNING_KEY = base64.b64encode(new_key.private_bytes_raw()).decode()
    report = verify_ledger()
    first = _first(report)
    assert (first.kind, first.checkpoint) == (Kind.WRONG_KEY, 6)
    assert "not by the configured key" in first.message
    assert {p.kind for p in report.problems} == {Kind.WRONG_KEY}


def test_a_checkpoint_signed_by_another_key_is_found(ledger):
    last = Checkpoint.objects.latest()
    other = Ed25519PrivateKey.generate()
    text = note.checkpoint_text(origin(), last.size, bytes.fromhex(last.root_hash))
    tamper.update_checkpoint_note(last.size, note.sign_note(text, origin(), other))
    first = _first(verify_ledger())
    assert (first.kind, first.checkpoint) == (Kind.WRONG_KEY, 20)


def test_a_forged_signature_is_found(ledger):
    checkpoint = Checkpoint.objects.get(size=13)
    text, signature = checkpoint.signed_note.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(signature))
    blob[10] ^= 1
    tamper.update_checkpoint_note(13, f"{text} {base64.b64encode(bytes(blob)).decode()}\n")
    first = _first(verify_ledger())
    assert (first.kind, first.checkpoint) == (Kind.BAD_SIGNATURE, 13)


def test_a_forged_ed25519_line_is_found_beside_a_valid_sm2_line(ledger):
    checkpoint = Checkpoint.objects.get(size=13)
    text, signatures = checkpoint.signed_note.split("\n\n", 1)
    lines = signatures.splitlines()
    assert len(lines) == 2  # Ed25519 first, then SM2 (national-crypto.md)
    prefix, signature = lines[0].rsplit(" ", 1)
    blob = bytearray(base64.b64decode(signature))
    blob[10] ^= 1
    lines[0] = f"{prefix} {base64.b64encode(bytes(blob)).decode()}"
    tamper.update_checkpoint_note(13, text + "\n\n" + "\n".join(lines) + "\n")
    first = _first(verify_ledger())
    assert (first.kind, first.checkpoint) == (Kind.BAD_SIGNATURE, 13)


def test_a_forked_log_is_found(ledger):
    # The log is cut back to 15 events (as from a restored backup) and grows again differently:
    # its own chain and tree are consistent, but checkpoint 20 signed another history.
    tamper.roll_back_to(15)
    _log(8)
    report = verify_ledger()
    first = _first(report)
    assert (first.kind, first.seq, first.checkpoint) == (Kind.FORK, 14, 20)
    assert "#14..#20" in first.message


def test_the_command_reports_and_exits_1_on_tampering(ledger, capsys):
    call_command("verify_ledger")
    out = capsys.readouterr()
    assert "OK: ledger intact" in out.out
    assert "verifying events: 23/23" in out.err
    tamper.edit_body(3, {"i": 7})
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger")
    assert failure.value.returncode == 1
    out = capsys.readouterr().out
    assert "first bad seq:        3" in out
    assert "[edited] event #3" in out


def test_a_verification_is_an_event_and_a_failure_a_critical_alert(ledger):
    assert verify_whole_ledger.call()["outcome"] == "ok"
    event = Event.objects.filter(action="ledger.verified").latest("seq")
    assert '"outcome":"ok"' in event.body
    assert not Alert.objects.filter(kind="ledger.tampered").exists()

    tamper.delete_event(2)
    result = verify_whole_ledger.call()
    assert (result["outcome"], result["first_bad_seq"], result["kind"]) == ("failed", 2, "deleted")
    event = Event.objects.filter(action="ledger.verified").latest("seq")
    assert '"first_bad_seq":2' in event.body and '"kind":"deleted"' in event.body
    alert = Alert.objects.get(kind="ledger.tampered")
    assert alert.severity == "critical"
    assert alert.agency is None
    assert set(alert.roles) == {"custodian", "auditor", "head", "city_admin"}


def test_the_alert_commits_with_the_verification_event_or_neither_does(ledger):
    """The ledger announces a failure (signals.verification_failed) inside the transaction of
    its ``ledger.verified`` event: a receiver that fails takes the event and the alert back."""
    tamper.delete_event(2)
    report = verify_ledger()

    def fail(sender, **kwargs):
        raise RuntimeError("a receiver failed")

    verification_failed.connect(fail, dispatch_uid="test.fail")
    try:
        with pytest.raises(RuntimeError):
            record_verification(report)
    finally:
        verification_failed.disconnect(dispatch_uid="test.fail")
    assert not Alert.objects.filter(kind="ledger.tampered").exists()
    assert not StagedEvent.objects.filter(action="ledger.verified").exists()
    assert not Event.objects.filter(action="ledger.verified").exists()
