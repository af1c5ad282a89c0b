"""Witness configuration: this instance's witness name and key, and the witnesses of its log.

- ``QC_WITNESS_NAME``: the name this instance cosigns under (default: the ledger origin +
  ``/witness``);
- ``QC_WITNESS_KEY`` / ``QC_WITNESS_KEY_FILE``: its Ed25519 key (PEM PKCS#8 or base64 seed);
  without either, a key of its own generated once into ``$QC_VAR_DIR/witness_key``. Never the
  ledger's signing key: signed-note says "The same public key SHOULD NOT be reused for different
  signature types" (checkpoints are type 0x01, cosignatures 0x04);
- ``QC_WITNESSES``: the witnesses this log submits to, ``"<name> <vkey> <url>"`` each.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from quancheng.ledger import checkpoints

from .cosignature import CosignatureError, parse_witness_vkey, witness_vkey

WITNESS_KEY_FILE_NAME = "witness_key"


class WitnessConfig(NamedTuple):
    name: str
    vkey: str
    url: str  # the submission prefix: add-checkpoint is POSTed to <url>/add-checkpoint

    @property
    def add_checkpoint_url(self) -> str:
        return self.url.rstrip("/") + "/add-checkpoint"


def witness_name() -> str:
    return getattr(settings, "QC_WITNESS_NAME", None) or checkpoints.origin() + "/witness"


def witness_key() -> Ed25519PrivateKey:
    """QC_WITNESS_KEY(_FILE) if configured, else the witness key generated into the var dir."""
    if value := checkpoints._setting("QC_WITNESS_KEY"):
        return checkpoints._parse_private_key(value.encode(), "QC_WITNESS_KEY")
    if path := checkpoints._setting("QC_WITNESS_KEY_FILE"):
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise checkpoints.SigningKeyError(f"QC_WITNESS_KEY_FILE: cannot read {path}") from e
        return checkpoints._parse_private_key(data, path)
    return checkpoints._generated_key(WITNESS_KEY_FILE_NAME)


def own_witness_vkey() -> str:
    """The vkey a log configures to verify this instance's cosignatures."""
    return witness_vkey(witness_name(), witness_key().public_key())


def parse_witness_entry(entry: str) -> WitnessConfig:
    parts = entry.split()
    if len(parts) != 3:
        raise ImproperlyConfigured(f"QC_WITNESSES entry {entry!r}: expected '<name> <vkey> <url>'")
    name, vkey, url = parts
    try:
        vkey_name, _, _ = parse_witness_vkey(vkey)
    except CosignatureError as e:
        raise ImproperlyConfigured(f"QC_WITNESSES entry for {name}: {e}") from e
    if vkey_name != name:
        raise ImproperlyConfigured(f"QC_WITNESSES entry {name}: the vkey is named {vkey_name}")
    if not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"QC_WITNESSES entry {name}: {url!r} is not an http(s) URL")
    return WitnessConfig(name, vkey, url)


def configured_witnesses() -> list[WitnessConfig]:
    entries = getattr(settings, "QC_WITNESSES", None) or []
    witnesses = [parse_witness_entry(e) for e in entries]
    names = [w.name for w in witnesses]
    if len(set(names)) != len(names):
        raise ImproperlyConfigured("QC_WITNESSES names a witness twice")
    return witnesses
