"""POST /witness/add-checkpoint: the witness side of C2SP tlog-witness, through the client."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from quancheng.alerts.models import Alert
from quancheng.ledger.checkpoints import SigningKeyError
from quancheng.ledger.models import Event
from quancheng.ledger.note import NoteError
from quancheng.witness import config, cosignature
from quancheng.witness.models import Observation, WitnessedLog
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


def test_a_different_root_at_the_cosigned_size_is_a_fork(fake_log, witnessed):
    cosign_first(fake_log)
    fork = FakeLog(origin=fake_log.origin, leaves=5, prefix=b"other")
    fork.key = fake_log.key
    response = post(fork.request(5, proof=[]))
    assert response.status_code == 409
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


def test_a_proof_with_old_size_zero_gets_400(fake_log, witnessed):
    assert post(fake_log.request(0, proof=[bytes(32)])).status_code == 400


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


def test_registering_checks_the_vkey_names_the_origin(fake_log, witness_settings):
    with pytest.raises(NoteError, match="not the origin"):
        register_log(None, "other.example/ledger", fake_log.vkey)
    assert not WitnessedLog.objects.exists()


def test_a_refusal_event_stays_small_whatever_is_posted(witness_settings):
    huge = ("x" * 60_000 + "\n5\n" + "A" * 43 + "=\n\n\u2014 x AAAA\n").encode()
    assert post(b"old 0\n\n" + huge).status_code in (400, 404)
    assert len(last_event("witness.refused").body) < 2000
