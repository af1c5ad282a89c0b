"""The log side: this instance's checkpoints sent to witnesses, cosignatures verified and kept.

The witness here is the same instance's add-checkpoint view, reached through Django's test
client (the two-instance test does it over real HTTP).
"""

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from quancheng.alerts.models import Alert
from quancheng.ledger import checkpoints
from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import make_checkpoint
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event
from quancheng.lib import note
from quancheng.witness import config, cosignature
from quancheng.witness.config import configured_witnesses
from quancheng.witness.models import Cosignature, Submission, WitnessState
from quancheng.witness.submission import Reply, cosigned_note, submit_latest
from quancheng.witness.witnessing import register_log

pytestmark = pytest.mark.django_db

WITNESS_URL = "http://testserver/witness"


class ClientTransport:
    """POSTs through the test client; counts calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, url, body):
        self.calls.append(body)
        path = url.removeprefix("http://testserver")
        response = Client().post(path, data=body, content_type="text/plain")
        return Reply(response.status_code, response.content, response.get("Content-Type", ""))


class Canned:
    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = []

    def __call__(self, url, body):
        self.calls.append(body)
        return self.replies.pop(0)


@pytest.fixture
def own_witness(witness_settings, agency):
    """This instance witnesses its own log, and QC_WITNESSES names it."""
    witness_settings.QC_LEDGER_ORIGIN = "yuzhong.example/ledger"
    register_log(None, checkpoints.origin(), checkpoints.verifier_key(), agency)
    witness_settings.QC_WITNESSES = [
        f"{config.witness_name()} {config.own_witness_vkey()} {WITNESS_URL}"
    ]
    return configured_witnesses()[0]


def log_events(count):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


def test_the_latest_checkpoint_is_cosigned_and_kept(own_witness):
    log_events(4)
    checkpoint = make_checkpoint()
    transport = ClientTransport()
    [submission] = submit_latest(transport)
    assert submission.outcome == Submission.Outcome.COSIGNED and submission.status == 200
    assert transport.calls[0].startswith(b"old 0\n\n")
    stored = Cosignature.objects.get(checkpoint=checkpoint)
    assert stored.witness_name == own_witness.name
    # The served note verifies with the log's key and carries the witness's cosignature.
    served = cosigned_note(checkpoint)
    assert served.startswith(checkpoint.signed_note)
    assert note.verify_checkpoint(served, checkpoints.verifier_key()).size == checkpoint.size
    text, lines = cosignature.split_note(served)
    assert cosignature.verify_cosignatures(text, lines, own_witness.vkey).line == (
        stored.signature_line
    )
    assert WitnessState.objects.get().cosigned_size == checkpoint.size
    event = Event.objects.filter(action="witness.submitted").latest("seq")
    assert '"outcome":"cosigned"' in event.body
    # Nothing new: nothing sent.
    assert submit_latest(transport) == []


def test_the_next_checkpoint_carries_a_proof_from_the_cosigned_size(own_witness):
    log_events(3)
    first = make_checkpoint()
    submit_latest(ClientTransport())
    log_events(5)
    second = make_checkpoint()
    transport = ClientTransport()
    [submission] = submit_latest(transport)
    assert submission.outcome == "cosigned", submission.message
    assert submission.old_size == first.size
    assert transport.calls[0].startswith(f"old {first.size}\n".encode())
    assert second.cosignatures.count() == 1


def test_on_409_the_witness_size_is_used_once(own_witness):
    log_events(3)
    first = make_checkpoint()
    submit_latest(ClientTransport())
    WitnessState.objects.all().delete()  # the log forgot what the witness cosigned
    log_events(2)
    make_checkpoint()
    transport = ClientTransport()
    [submission] = submit_latest(transport)
    assert len(transport.calls) == 2
    assert submission.outcome == "cosigned" and submission.old_size == first.size
    assert list(Submission.objects.order_by("pk").values_list("outcome", flat=True))[-2:] == [
        "conflict",
        "cosigned",
    ]


@pytest.mark.parametrize("status", [403, 422])
def test_a_refusal_raises_a_critical_alert(own_witness, status):
    log_events(2)
    make_checkpoint()
    [submission] = submit_latest(Canned(Reply(status, b"no\n")))
    assert submission.outcome == "refused" and submission.status == status
    alert = Alert.objects.get(kind="witness.refused")
    assert alert.severity == "critical" and alert.object_id == own_witness.name
    assert not Cosignature.objects.exists()


def test_a_409_again_after_the_retry_is_a_refusal(own_witness):
    log_events(2)
    make_checkpoint()
    size = b"1\n"
    transport = Canned(Reply(409, size), Reply(409, size))
    [submission] = submit_latest(transport)
    assert len(transport.calls) == 2
    assert submission.outcome == "refused"
    assert Alert.objects.filter(kind="witness.refused").exists()


def test_a_witness_that_saw_a_larger_tree_means_a_rollback(own_witness):
    log_events(2)
    checkpoint = make_checkpoint()
    transport = Canned(Reply(409, f"{checkpoint.size + 50}\n".encode()))
    [submission] = submit_latest(transport)
    assert len(transport.calls) == 1  # no retry with a size this log does not have
    assert "rolled back" in submission.message
    assert Alert.objects.get(kind="witness.refused").detail["status"] == 409


def test_a_cosignature_that_does_not_verify_is_refused(own_witness):
    log_events(2)
    checkpoint = make_checkpoint()
    text, _ = cosignature.split_note(checkpoint.signed_note)
    forged = cosignature.cosign(text, own_witness.name, Ed25519PrivateKey.generate(), 1)
    [submission] = submit_latest(Canned(Reply(200, forged.encode() + b"\n")))
    assert submission.outcome == "refused"
    assert "does not verify" in submission.message or "no cosignature" in submission.message
    assert Alert.objects.filter(kind="witness.refused").exists()
    assert not Cosignature.objects.exists()


def test_an_unreachable_witness_is_recorded_without_alert(own_witness):
    log_events(2)
    make_checkpoint()
    [submission] = submit_latest(Canned(Reply(None, b"connection refused")))
    assert submission.outcome == "failed"
    assert not Alert.objects.exists()
    assert WitnessState.objects.get().last_message.startswith("no answer")


def test_a_claimed_witness_is_left_to_its_claimant(own_witness):
    log_events(2)
    make_checkpoint()
    WitnessState.objects.create(
        name=own_witness.name, claimed_until=timezone.now() + dt.timedelta(minutes=1)
    )
    transport = ClientTransport()
    assert submit_latest(transport) == []
    assert transport.calls == []


def test_each_new_checkpoint_queues_a_submission(
    own_witness, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr("quancheng.witness.submission.http_post", ClientTransport())
    log_events(2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        checkpoint = make_checkpoint()
    assert len(callbacks) == 1
    assert checkpoint.cosignatures.get().witness_name == own_witness.name


def test_without_witnesses_nothing_is_queued(witness_settings, django_capture_on_commit_callbacks):
    witness_settings.QC_WITNESSES = []
    log_events(1)
    with django_capture_on_commit_callbacks() as callbacks:
        make_checkpoint()
    assert callbacks == []


def test_the_command_submits_and_reports(own_witness, monkeypatch, capsys):
    monkeypatch.setattr("quancheng.witness.submission.http_post", ClientTransport())
    log_events(2)
    make_checkpoint()
    call_command("witness_submit")
    out = capsys.readouterr().out
    assert f"{own_witness.name}: size" in out and "cosigned" in out
    call_command("witness_submit")
    assert "nothing to submit" in capsys.readouterr().out
    call_command("witness_submit", "--show-key")
    assert capsys.readouterr().out.strip() == own_witness.vkey


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("just-a-name", "expected"),
        ("w w+00000000+AQ== http://x", "w"),
        ("{name} {vkey} ftp://x", "not an http"),
        ("other {vkey} http://x", "named"),
    ],
)
def test_bad_witness_entries_fail_loudly(own_witness, settings, entry, message):
    settings.QC_WITNESSES = [entry.format(name=own_witness.name, vkey=own_witness.vkey)]
    with pytest.raises(ImproperlyConfigured, match=message):
        configured_witnesses()


def test_a_bad_entry_fails_the_system_check(settings):
    from django.core.checks import run_checks

    settings.QC_WITNESSES = ["only-a-name"]
    assert "witness.E001" in [e.id for e in run_checks()]
    settings.QC_WITNESSES = []
    assert "witness.E001" not in [e.id for e in run_checks()]
