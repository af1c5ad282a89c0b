"""A log outside the database for the witness side's tests: its own key, leaves and checkpoints."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from quancheng.lib import merkle, note
from quancheng.witness.protocol import format_add_checkpoint


class FakeLog:
    def __init__(self, origin="district.example/ledger", leaves=0, prefix=b"event"):
        self.origin = origin
        self.key = Ed25519PrivateKey.generate()
        self.source = merkle.InMemorySource()
        self.prefix = prefix
        self.grow(leaves)

    @property
    def vkey(self) -> str:
        return note.verifier_key(self.origin, self.key.public_key())

    @property
    def size(self) -> int:
        return len(self.source)

    def grow(self, count: int) -> None:
        for _ in range(count):
            self.source.append(merkle.leaf_hash(self.prefix + b" %d" % len(self.source)))

    def root(self, size=None) -> bytes:
        return merkle.root_from_source(self.source, self.size if size is None else size)

    def checkpoint(self, size=None, key=None) -> str:
        size = self.size if size is None else size
        text = note.checkpoint_text(self.origin, size, self.root(size))
        return note.sign_note(text, self.origin, key or self.key)

    def proof(self, old: int, new=None) -> list[bytes]:
        new = self.size if new is None else new
        return merkle.consistency_proof(self.source, old, new) if old else []

    def request(self, old: int, size=None, proof=None, key=None) -> bytes:
        size = self.size if size is None else size
        proof = self.proof(old, size) if proof is None else proof
        return format_add_checkpoint(old, proof, self.checkpoint(size, key))


@pytest.fixture
def fake_log():
    return FakeLog(leaves=5)


@pytest.fixture
def witness_settings(settings, tmp_path):
    """A witness name and key of its own, so tests never touch the embedded default key."""
    settings.VAR_DIR = tmp_path
    settings.QC_WITNESS_NAME = "city.example/witness"
    settings.QC_SIGNING_KEY = None
    settings.QC_WITNESS_KEY = None
    return settings
