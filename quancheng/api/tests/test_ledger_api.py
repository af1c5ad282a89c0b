"""The ledger API: verifier key, latest checkpoint, tlog-proofs and consistency proofs."""

import base64

import pytest
from django.db import transaction

from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import make_checkpoint, sm2_verifier_key, verifier_key
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event
from quancheng.lib import merkle, note, tlog_proof

from .client import Api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def _log(count):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


def test_the_ledger_api_needs_a_token():
    for path in ("/ledger/key", "/ledger/key/sm2", "/ledger/checkpoint", "/ledger/proof?seq=1"):
        response = Api(None).get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


def test_the_key_is_the_vkey_as_plain_text(api_as, outsider):
    response = api_as(outsider).get("/ledger/key")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == verifier_key() + "\n"
    note.parse_verifier_key(response.content.decode())


def test_the_sm2_key_is_its_vkey_as_plain_text(api_as, outsider):
    response = api_as(outsider).get("/ledger/key/sm2")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == sm2_verifier_key() + "\n"
    note.parse_sm2_verifier_key(response.content.decode())


def test_the_sm2_key_is_404_when_sm2_is_off(api_as, outsider, settings):
    settings.QC_SM2_CHECKPOINTS = False
    response = api_as(outsider).get("/ledger/key/sm2")
    assert response.status_code == 404
    assert response.json()["code"] == "sm2_off"


def test_the_checkpoint_is_the_latest_signed_note(api_as, officer):
    api = api_as(officer)
    response = api.get("/ledger/checkpoint")
    assert response.status_code == 404 and response.json()["code"] == "no_checkpoint"
    _log(3)
    make_checkpoint()
    _log(2)
    latest = make_checkpoint()
    response = api.get("/ledger/checkpoint")
    assert response.status_code == 200
    assert response.content.decode() == latest.signed_note
    assert note.verify_checkpoint(response.content.decode(), verifier_key()).size == latest.size


def test_an_inclusion_proof_in_the_tlog_proof_format_verifies(api_as, officer):
    _log(11)
    checkpoint = make_checkpoint()
    response = api_as(officer).get("/ledger/proof", {"seq": 5})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 4\n")
    proof = tlog_proof.parse_proof(text)
    assert proof.checkpoint == checkpoint.signed_note
    signed = note.verify_checkpoint(proof.checkpoint, verifier_key())
    leaf = merkle.leaf_hash(Event.objects.get(seq=5).entry_bytes())
    merkle.verify_inclusion(leaf, proof.index, signed.size, proof.hashes, signed.root_hash)


def test_a_proof_can_name_an_older_checkpoint(api_as, officer):
    _log(4)
    first = make_checkpoint()
    _log(4)
    make_checkpoint()
    response = api_as(officer).get("/ledger/proof", {"seq": 2, "size": first.size})
    assert response.status_code == 200
    assert tlog_proof.parse_proof(response.content.decode()).checkpoint == first.signed_note


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"seq": "after"}, 404, "proof_unavailable"),  # not yet checkpointed
        ({"seq": 99999}, 404, "proof_unavailable"),  # no such event
        ({"seq": 2, "size": "before"}, 404, "proof_unavailable"),  # no checkpoint of that size
        ({"seq": 0}, 422, "invalid_input"),
        ({"seq": "x"}, 422, "invalid_input"),
        ({}, 422, "invalid_input"),
    ],
)
def test_bad_proof_requests_get_json_errors(api_as, officer, params, status, code):
    _log(4)
    checkpoint = make_checkpoint()
    places = {"after": checkpoint.size + 1, "before": checkpoint.size - 1}
    params = {name: places.get(value, value) for name, value in params.items()}
    response = api_as(officer).get("/ledger/proof", params)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_a_consistency_proof_verifies(api_as, officer):
    _log(12)
    response = api_as(officer).get("/ledger/consistency", {"old": 5, "new": 12})
    assert response.status_code == 200
    body = response.json()
    decode = base64.b64decode
    merkle.verify_consistency(
        5,
        12,
        [decode(h) for h in body["proof"]],
        decode(body["old_root"]),
        decode(body["new_root"]),
    )
    assert api_as(officer).get("/ledger/consistency", {"old": 6, "new": 5}).status_code == 422
    response = api_as(officer).get("/ledger/consistency", {"old": 5, "new": 99})
    assert response.status_code == 404


def test_the_keys_list_every_key_with_its_validity(api_as, outsider, security_admin):
    """Before and after a key rotation (ledger/keys.py): the old keys stay, with an end."""
    from quancheng.orgs.keyrotation import rotate_ledger_keys

    _log(2)
    before = api_as(outsider).get("/ledger/keys").json()
    assert [(k["algorithm"], k["vkey"]) for k in before] == [
        ("ed25519", verifier_key()),
        ("sm2", sm2_verifier_key()),
    ]
    assert all(k["valid_until"] is None and k["configured"] for k in before)
    rotate_ledger_keys(security_admin)
    after = api_as(outsider).get("/ledger/keys").json()
    assert [k["vkey"] for k in after] == [
        before[0]["vkey"],
        verifier_key(),
        before[1]["vkey"],
        sm2_verifier_key(),
    ]
    assert after[0]["valid_until"] and after[1]["valid_until"] is None
    assert not after[1]["configured"]
