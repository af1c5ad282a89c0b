"""POST /witness/add-checkpoint: the witness side of C2SP tlog-witness, through the client."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from quancheng.alerts.models import Alert
from quancheng.ledger.checkpoints import SigningKeyError
from quancheng.ledger.models import Event
from quancheng.lib import merkle, note
from quancheng.lib.note import NoteError
from quancheng.witness import config, cosignature
from quancheng.witness.models import Observation, WitnessedLog
from quancheng.witness.protocol import format_add_checkpoint
from quancheng.witness.witnessing import register_log

from .conftest import FakeLog

pytestmark = pytest.mark.django_db

URL = "/witness/add-checkpoint"


@pytest.fixture
def witnessed(fake_log, agency, witness_settings):
    return register_log(None, fake_log.origin, fake_log.vkey, agency)


def post(body: bytes, client=None):
    client = client or Client(enforce_csrf_checks=True)
    return client.post(URL, data=body, content_type="text/plain")


def last_event(action):
    return Event.objects.filter(action=action).order_by("-seq").first()


def cosign_first(log):
    response = post(log.request(0))
    assert response.status_code == 200, response.content
    return response


def test_the_first_checkpoint_is_cosigned_without_login_or_csrf(fake_log, witnessed):
    response = post(fake_log.request(0))
    assert response.status_code == 200, response.content
    line = response.content.decode()
    assert line.startswith("\u2014 city.example/witness ") and line.endswith("\n")
    text, _ = cosignature.split_note(fake_log.checkpoint())
    found = cosignature.verify_cosignatures(text, [line[:-1]], config.own_witness_vkey())
    assert found.name == "city.example/witness"
    witnessed.refresh_from_db()
    assert (witnessed.latest_size, witnessed.latest_root) == (5, fake_log.root().hex())
    assert witnessed.latest_note == fake_log.checkpoint()
    event = last_event("witness.cosigned")
    assert event.object_id == str(witnessed.pk) and event.agency == witnessed.agency
    assert '"size":5' in event.body
    assert Observation.objects.get().outcome == "cosigned"


def test_a_consistent_extension_is_cosigned(fake_log, witnessed):
    cosign_first(fake_log)
    fake_log.grow(6)
    response = post(fake_log.request(5))
    assert response.status_code == 200, response.content
    witnessed.refresh_from_db()
    assert witnessed.latest_size == 11
    # The same checkpoint again (old = size): cosigned again.
    assert post(fake_log.request(11)).status_code == 200
    assert not Alert.objects.exists()


def test_a_wrong_old_size_gets_409_with_the_witness_size(fake_log, witnessed):
    cosign_first(fake_log)
    fake_log.grow(3)
    response = post(fake_log.request(0))
    assert response.status_code == 409
    assert response["Content-Type"] == "text/x.tlog.size"
    assert response.content == b"5\n"
    assert '"status":409' in last_event("witness.refused").body
    assert not Alert.objects.exists()  # an out-of-date client, not a misbehaving log
    assert post(fake_log.request(5)).status_code == 200


def test_an_inconsistent_proof_gets_422_and_a_critical_alert(fake_log, witnessed):
    cosign_first(fake_log)
    fork = FakeLog(origin=fake_log.origin, leaves=9, prefix=b"rewritten")
    fork.key = fake_log.key  # the same key signs a different history
    response = post(fork.request(5))
    assert response.status_code == 422
    witnessed.refresh_from_db()
    assert witnessed.latest_size == 5  # nothing changed
    alert = Alert.objects.get(kind="witness.inconsistent")
    assert alert.severity == "critical" and alert.agency == witnessed.agency
    assert set(alert.roles) == {"custodian", "auditor", "head", "city_admin"}
    assert alert.object_id == str(witnessed.pk)
    refused = Observation.objects.get(outcome="refused")
    assert refused.status == 422 and refused.signed_note == fork.checkpoint()
    assert '"status":422' in last_event("witness.refused").body


def test_a_proof_of_the_wrong_length_gets_422(fake_log, witnessed):
    cosign_first(fake_log)
    fake_log.grow(3)
    response = post(fake_log.request(5, proof=fake_log.proof(5)[:-1]))
    assert response.status_code == 422


def test_a_rolled_back_log_is_refused_and_alerted(fake_log, witnessed):
    fake_log.grow(5)
    cosign_first(fake_log)  # size 10
    rolled_back = FakeLog(origin=fake_log.origin, leaves=7, prefix=b"restored")
    rolled_back.key = fake_log.key
    response = post(rolled_back.request(5, proof=rolled_back.proof(5)))
    assert response.status_code == 409
    assert response.content == b"10\n"
    alert = Alert.objects.get(kind="witness.inconsistent")
    assert "rollback" in alert.detail["why"]
    # Retried with the witness's size: old > size, 400, still the one open alert.
    response = post(rolled_back.request(10, proof=[]))
    assert response.status_code == 400
    assert Alert.objects.filter(kind="witness.inconsistent").count() == 1


def test_a_late_retry_of_a_cosigned_checkpoint_is_no_alarm(fake_log, witnessed):
    cosign_first(fake_log)
    early = fake_log.request(0)
    fake_log.grow(4)
    assert post(fake_log.request(5)).status_code == 200
    assert post(early).status_code == 409
    assert not Alert.objects.exists()


def test_a_different_root_at_the_cosigned_size_is_a_fork_and_gets_422(fake_log, witnessed):
    # tlog-witness: "If the old size matches the checkpoint size, the witness MUST check that
    # the root hashes are also identical. If they don't match, the witness MUST respond with a
    # '422 Unprocessable Entity' HTTP status code." (v1.0.0 said 409.)
    cosign_first(fake_log)
    fork = FakeLog(origin=fake_log.origin, leaves=5, prefix=b"other")
    fork.key = fake_log.key
    response = post(fork.request(5, proof=[]))
    assert response.status_code == 422
    assert Alert.objects.filter(kind="witness.inconsistent").exists()


def test_a_signature_by_another_key_gets_403(fake_log, witnessed):
    response = post(fake_log.request(0, key=Ed25519PrivateKey.generate()))
    assert response.status_code == 403
    witnessed.refresh_from_db()
    assert witnessed.latest_size == 0
    assert not Observation.objects.exists()
    assert '"status":403' in last_event("witness.refused").body


def test_an_unknown_origin_gets_404(witness_settings):
    stranger = FakeLog(origin="nowhere.example/ledger", leaves=2)
    response = post(stranger.request(0))
    assert response.status_code == 404
    assert '"origin":"nowhere.example/ledger"' in last_event("witness.refused").body


@pytest.mark.parametrize("body", [b"garbage", b"old 1\n\nnot a checkpoint\n"])
def test_malformed_requests_get_400(body, witnessed):
    response = post(body)
    assert response.status_code == 400
    assert '"status":400' in last_event("witness.refused").body


def test_old_size_larger_than_the_checkpoint_gets_400(fake_log, witnessed):
    assert post(fake_log.request(6, proof=[])).status_code == 400


def test_a_proof_with_old_size_zero_gets_422(fake_log, witnessed):
    # tlog-witness: "If the proof is not empty when the old size is zero, ... the witness MUST
    # respond with a '422 Unprocessable Entity' HTTP status code."
    assert post(fake_log.request(0, proof=[bytes(32)])).status_code == 422
    witnessed.refresh_from_db()
    assert witnessed.latest_size == 0


def _size_zero_request(log, root: bytes) -> bytes:
    text = note.checkpoint_text(log.origin, 0, root)
    return format_add_checkpoint(0, [], note.sign_note(text, log.origin, log.key))


def test_a_size_zero_checkpoint_must_have_the_empty_root(witness_settings, agency):
    # tlog-witness: "A checkpoint of size zero MUST have the root hash of the empty tree, ...
    # Otherwise, the witness MUST respond with a '422 Unprocessable Entity' HTTP status code."
    empty = FakeLog(leaves=0)
    register_log(None, empty.origin, empty.vkey, agency)
    assert post(_size_zero_request(empty, bytes(32))).status_code == 422
    assert post(_size_zero_request(empty, b"\x01" * 32)).status_code == 422
    assert post(_size_zero_request(empty, merkle.EMPTY_ROOT)).status_code == 200
    # Same size, same root: cosigned again; another size-0 root: 422, never a second root.
    assert post(_size_zero_request(empty, merkle.EMPTY_ROOT)).status_code == 200
    assert post(_size_zero_request(empty, b"\x02" * 32)).status_code == 422
    cosigned = Observation.objects.filter(outcome=Observation.Outcome.COSIGNED)
    assert set(cosigned.values_list("root_hash", flat=True)) == {merkle.EMPTY_ROOT.hex()}


def test_only_post_is_allowed(witnessed):
    assert Client().get(URL).status_code == 405


def test_a_separate_witness_key_can_be_configured(fake_log, witnessed, witness_settings):
    seed = Ed25519PrivateKey.generate()
    witness_settings.QC_WITNESS_KEY = seed.private_bytes_raw().hex()  # not a key format
    with pytest.raises(SigningKeyError, match="QC_WITNESS_KEY"):
        config.witness_key()
    witness_settings.QC_WITNESS_KEY = base64.b64encode(seed.private_bytes_raw()).decode()
    assert config.witness_key().public_key() == seed.public_key()
    line = post(fake_log.request(0)).content.decode()[:-1]
    text, _ = cosignature.split_note(fake_log.checkpoint())
    vkey = cosignature.witness_vkey("city.example/witness", seed.public_key())
    cosignature.verify_cosignatures(text, [line], vkey)


def test_a_log_whose_key_name_differs_from_its_origin_can_be_registered(witness_settings):
    # tlog-checkpoint only recommends (SHOULD) that the key name match the origin: the witness
    # accepts the log, records the difference, and verifies its checkpoints by origin.
    log = FakeLog(origin="district.example/ledger")
    vkey = note.verifier_key("district-key.example", log.key.public_key())
    register_log(None, log.origin, vkey)
    assert '"key_name_differs_from_origin":"district-key.example"' in (
        last_event("witness.log_registered").body
    )
    text = note.checkpoint_text(log.origin, log.size, log.root())
    signed = note.sign_note(text, "district-key.example", log.key)
    assert post(format_add_checkpoint(0, [], signed)).status_code == 200


def test_a_malformed_vkey_or_origin_is_refused_at_registration(fake_log, witness_settings):
    with pytest.raises(NoteError):
        register_log(None, fake_log.origin, "not-a-vkey")
    with pytest.raises(NoteError):
        register_log(None, "bad\x07origin", fake_log.vkey)
    assert not WitnessedLog.objects.exists()


def test_the_default_witness_key_is_not_the_ledger_key(witness_settings):
    # signed-note: "The same public key SHOULD NOT be reused for different signature types".
    from quancheng.ledger.checkpoints import signing_key

    assert config.witness_key().public_key() != signing_key().public_key()
    # Generated once and kept: the same key on the next call.
    assert config.witness_key().public_key() == config.witness_key().public_key()
    assert (witness_settings.VAR_DIR / config.WITNESS_KEY_FILE_NAME).exists()


def _monitoring_url(origin: str) -> str:
    return f"/witness/{hashlib.sha256(origin.encode()).hexdigest()}/checkpoint"


def test_the_latest_cosigned_checkpoint_is_served_per_log(fake_log, witnessed):
    # tlog-witness: "A witness SHOULD serve a recent checkpoint for each log it cosigned" at
    # GET <monitoring prefix>/<origin hash>/checkpoint; 404 before any cosignature.
    assert Client().get(_monitoring_url(fake_log.origin)).status_code == 404
    cosign_first(fake_log)
    fake_log.grow(3)
    line = post(fake_log.request(5)).content.decode()[:-1]
    response = Client().get(_monitoring_url(fake_log.origin))
    assert response.status_code == 200
    served = response.content.decode()
    # The log's signature verifies, and the body carries the cosignature just returned.
    assert note.verify_checkpoint(served, fake_log.vkey).size == 8
    text, lines = cosignature.split_note(served)
    assert line in lines
    cosignature.verify_cosignatures(text, [line], config.own_witness_vkey())
    assert Client().get(_monitoring_url("nowhere.example/ledger")).status_code == 404


def test_a_refusal_event_stays_small_whatever_is_posted(witness_settings):
    huge = ("x" * 60_000 + "\n5\n" + "A" * 43 + "=\n\n\u2014 x AAAA\n").encode()
    assert post(b"old 0\n\n" + huge).status_code in (400, 404)
    assert len(last_event("witness.refused").body) < 2000
