"""Signed checkpoints of the events' Merkle tree (C2SP tlog-checkpoint, Ed25519).

The signing key comes from configuration, in this order: ``QC_SIGNING_KEY`` (a PEM PKCS#8
Ed25519 private key, or the base64 of its 32-byte seed), ``QC_SIGNING_KEY_FILE`` (a file holding
either), read from Django settings if set there, else from the environment. Without either (the
embedded default) a key is generated on first use into ``VAR_DIR/ledger_signing_key`` (mode
0600) and kept.

Beside it an SM2 key signs a second line of every checkpoint (national algorithms,
docs/national-crypto.md; the signature type is defined in ``note.py``): ``QC_SM2_SIGNING_KEY``
(a PEM PKCS#8 SM2 private key, or the base64 of its 32-byte scalar) or ``QC_SM2_SIGNING_KEY_FILE``,
else generated into ``VAR_DIR/ledger_sm2_signing_key``. ``QC_SM2_CHECKPOINTS=False`` leaves the
SM2 line out (an installation whose OpenSSL has no SM2 leaves it out too, and says so in the log).

A checkpoint covers the events that exist when it is made. Making it records an event
``ledger.checkpoint`` too, which grows the tree by one: checkpoint n therefore covers the tree up
to, but not including, its own ``ledger.checkpoint`` event, and the next checkpoint covers that
event.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quancheng.lib import gmcrypto, merkle, note

from . import keys
from .actions import Action
from .models import Checkpoint, LedgerHead
from .services import record_event, require_own_transaction
from .tree import consistency_proof_between, tree_root

if TYPE_CHECKING:
    from quancheng.orgs.models import User  # type-only: the ledger stores people by label


DEFAULT_ORIGIN = "quancheng.local/ledger"
KEY_FILE_NAME = "ledger_signing_key"
SM2_KEY_FILE_NAME = "ledger_sm2_signing_key"


# A key that signs checkpoints: Ed25519, or SM2 (the second line).
AnyKey = Ed25519PrivateKey | gmcrypto.SM2PrivateKey


class SigningKeyError(RuntimeError):
    pass


class InconsistentLog(RuntimeError):
    """The log no longer extends the previous checkpoint's tree (a fork or a rewritten history)."""


def _setting(name: str) -> str | None:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return value or None


def origin() -> str:
    """The log's origin line, also the signing key's name."""
    return getattr(settings, "QC_LEDGER_ORIGIN", None) or DEFAULT_ORIGIN


def _parse_private_key(data: bytes, where: str) -> Ed25519PrivateKey:
    data = data.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(data, validate=True))
    except (ValueError, TypeError, binascii.Error) as e:
        raise SigningKeyError(f"{where}: not an Ed25519 private key ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{where}: the key is not an Ed25519 key")
    return key


def _generated_key(file_name: str = KEY_FILE_NAME) -> Ed25519PrivateKey:
    """The Ed25519 key kept in ``VAR_DIR/file_name``, generated there on first use."""
    path = Path(settings.VAR_DIR) / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    return _parse_private_key(path.read_bytes(), str(path))


def _parse_sm2_private_key(data: bytes, where: str) -> gmcrypto.SM2PrivateKey:
    data = data.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            return gmcrypto.SM2PrivateKey.from_pem(data)
        return gmcrypto.SM2PrivateKey.from_raw(base64.b64decode(data, validate=True))
    except (ValueError, binascii.Error, gmcrypto.GmCryptoError) as e:
        raise SigningKeyError(f"{where}: not an SM2 private key ({e})") from None


def _generated_sm2_key() -> gmcrypto.SM2PrivateKey:
    """The SM2 key kept in ``VAR_DIR/ledger_sm2_signing_key``, generated there on first use."""
    path = Path(settings.VAR_DIR) / SM2_KEY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = gmcrypto.SM2PrivateKey.generate().pem()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    return _parse_sm2_private_key(path.read_bytes(), str(path))


def sm2_enabled() -> bool:
    """Whether checkpoints carry the SM2 line (on unless switched off; needs OpenSSL's SM2)."""
    return bool(getattr(settings, "QC_SM2_CHECKPOINTS", True)) and gmcrypto.SM2_AVAILABLE


def sm2_signing_key() -> gmcrypto.SM2PrivateKey | None:
    """The SM2 signing key: the last rotation's, else the configured one (generated on first
    use); None when SM2 is off."""
    if not sm2_enabled():
        return None
    if (rotated := keys.rotated_sm2_key()) is not None:
        return rotated
    if value := _setting("QC_SM2_SIGNING_KEY"):
        return _parse_sm2_private_key(value.encode(), "QC_SM2_SIGNING_KEY")
    if path := _setting("QC_SM2_SIGNING_KEY_FILE"):
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise SigningKeyError(f"QC_SM2_SIGNING_KEY_FILE: cannot read {path}: {e}") from None
        return _parse_sm2_private_key(data, path)
    return _generated_sm2_key()


def sm2_verifier_key() -> str | None:
    """The SM2 vkey with which anyone can check the checkpoints' second line (None when off)."""
    key = sm2_signing_key()
    return None if key is None else note.sm2_verifier_key(origin(), key.public_key())


def verifier_keys() -> list[str]:
    """Every verifier key of this log: the Ed25519 one, then the SM2 one when SM2 is on."""
    sm2 = sm2_verifier_key()
    return [verifier_key(), *([sm2] if sm2 else [])]


def signing_key() -> Ed25519PrivateKey:
    """The Ed25519 signing key: the last rotation's (ledger/keys.py), else the configured one,
    generated on first use for the embedded default."""
    if (rotated := keys.rotated_ed25519_key()) is not None:
        return rotated
    if value := _setting("QC_SIGNING_KEY"):
        return _parse_private_key(value.encode(), "QC_SIGNING_KEY")
    if path := _setting("QC_SIGNING_KEY_FILE"):
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise SigningKeyError(f"QC_SIGNING_KEY_FILE: cannot read {path}: {e}") from None
        return _parse_private_key(data, path)
    return _generated_key()


def verifier_key() -> str:
    """The vkey with which anyone can check this log's checkpoints."""
    return note.verifier_key(origin(), signing_key().public_key())


def _vkey(name: str, key) -> str:
    if isinstance(key, gmcrypto.SM2PrivateKey):
        return note.sm2_verifier_key(name, key.public_key())
    return note.verifier_key(name, key.public_key())


def verify_note(signed_note: str, vkey: str | None = None) -> note.Checkpoint:
    """Verify a signed checkpoint (with this log's key unless ``vkey`` is given)."""
    return note.verify_checkpoint(signed_note, vkey or verifier_key())


def make_checkpoint(
    actor: User | None = None, also_signed_by: Iterable[AnyKey | None] = ()
) -> Checkpoint | None:
    """Sign a checkpoint of the tree as it is now, in a durable transaction of its own; None
    when nothing was logged since the last."""
    keys = (signing_key(), sm2_signing_key())  # unsealed (scrypt) before the transaction
    with transaction.atomic(durable=True):
        return _make_checkpoint(actor, also_signed_by, keys=keys)


def _make_checkpoint(
    actor: User | None = None,
    also_signed_by: Iterable[AnyKey | None] = (),
    *,
    keys: tuple[Ed25519PrivateKey, gmcrypto.SM2PrivateKey | None] | None = None,
) -> Checkpoint | None:
    """make_checkpoint's body, in the caller's transaction (the 四性 checks make a checkpoint
    inside theirs, archive/fourchecks.py).

    The new tree must extend the previous checkpoint's: the consistency proof between them is
    computed from the stored subtrees, verified against both roots and kept with the checkpoint.
    """
    require_own_transaction("ledger.checkpoints._make_checkpoint")
    key, sm2_key = keys or (signing_key(), sm2_signing_key())
    name = origin()
    # Lock the head: no event is appended between reading the size and signing it.
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    size = head.seq
    previous = Checkpoint.objects.order_by("-size").first()
    if size == 0 or (previous is not None and previous.size == size):
        return None
    root = tree_root(size)
    proof: list[bytes] = []
    if previous is not None:
        if previous.size > size:
            raise InconsistentLog(
                f"the log has {size} events, fewer than checkpoint {previous.size}"
            )
        proof = consistency_proof_between(previous.size, size)
        try:
            merkle.verify_consistency(
                previous.size, size, proof, bytes.fromhex(previous.root_hash), root
            )
        except merkle.ProofError as e:
            raise InconsistentLog(f"the log does not extend checkpoint {previous.size}: {e}") from e
    extra = tuple(k for k in also_signed_by if k is not None)
    text = note.checkpoint_text(name, size, root)
    signed = note.sign_note(text, name, key, sm2_key, also_signed_by=extra)
    checkpoint = Checkpoint.objects.create(
        size=size,
        root_hash=root.hex(),
        signed_note=signed,
        created_at=timezone.now().astimezone(dt.UTC),
        previous=previous,
        consistency_proof=[h.hex() for h in proof],
    )
    record_event(
        actor,
        Action.LEDGER_CHECKPOINT,
        None,
        {
            "size": size,
            "root_hash": root.hex(),
            "previous_size": previous.size if previous else None,
            "key": note.verifier_key(name, key.public_key()),
            "sm2_key": note.sm2_verifier_key(name, sm2_key.public_key()) if sm2_key else None,
            **({"also_signed_by": [_vkey(name, k) for k in extra]} if extra else {}),
        },
        object_type="ledger.checkpoint",
        object_id=str(checkpoint.pk),
    )
    return checkpoint
