"""A witness cosigns a checkpoint that carries the SM2 line beside the Ed25519 one (it ignores
signatures of keys it does not know, as signed-note requires)."""

import pytest
from django.test import Client

from quancheng.lib import note
from quancheng.lib.gmcrypto import SM2PrivateKey
from quancheng.witness import config, cosignature
from quancheng.witness.protocol import format_add_checkpoint
from quancheng.witness.witnessing import register_log

from .conftest import FakeLog

pytestmark = pytest.mark.django_db


class NationalLog(FakeLog):
    """A log signing as this platform does: Ed25519, then SM2, under the same key name."""

    def __init__(self, **kwargs):
        self.sm2_key = SM2PrivateKey.generate()
        super().__init__(**kwargs)

    def checkpoint(self, size=None, key=None) -> str:
        size = self.size if size is None else size
        text = note.checkpoint_text(self.origin, size, self.root(size))
        return note.sign_note(text, self.origin, key or self.key, self.sm2_key)


def test_the_witness_cosigns_a_checkpoint_with_both_lines(agency, witness_settings):
    log = NationalLog(leaves=4)
    assert len(log.checkpoint().split("\n\n")[1].strip().split("\n")) == 2
    register_log(None, log.origin, log.vkey, agency)
    request = format_add_checkpoint(0, [], log.checkpoint())
    response = Client().post("/witness/add-checkpoint", data=request, content_type="text/plain")
    assert response.status_code == 200, response.content
    line = response.content.decode()
    text, _ = cosignature.split_note(log.checkpoint())
    assert cosignature.verify_cosignatures(text, [line[:-1]], config.own_witness_vkey())
