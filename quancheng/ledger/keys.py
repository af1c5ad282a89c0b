"""Rotation of the checkpoint signing keys (签名密钥轮换), by the security administrator.

The configured keys (``QC_SIGNING_KEY`` / ``QC_SM2_SIGNING_KEY`` or the generated ones,
ledger/checkpoints.py) sign until the first rotation. A rotation (orgs/keyrotation.py checks who
may; the page and ``manage.py rotate_ledger_keys`` call it):

1. signs a checkpoint under the old keys, so everything logged before is signed by them;
2. generates new Ed25519 and SM2 keys, keeps their private keys sealed (lib/keyseal.py), ends
   the old keys' validity and records ``ledger.keys_rotated`` naming old and new verifier keys,
   in one transaction;
3. signs the next checkpoint, which covers that event, with the old keys **and** the new ones:
   whoever trusts the old key verifies the checkpoint that names the new key, and every later
   checkpoint (signed by the new keys) extends it (consistency proofs), so the trust carries
   over.

Every key stays published with its validity (:func:`history`: the ledger page, the API) and is
used to verify the checkpoints it signed (ledger/verify.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quancheng.lib import gmcrypto, keyseal, note

from .actions import Action
from .models import Checkpoint, SigningKey
from .services import record_event

if TYPE_CHECKING:
    from quancheng.orgs.models import User  # type-only: the ledger stores people by label


_LABEL = b"quancheng ledger signing key"
_PREFIX = "ledger-aesgcm:"
ROTATED = Action.LEDGER_KEYS_ROTATED


def _passphrase() -> bytes:
    return keyseal.key_passphrase(
        getattr(settings, "QC_DOCUMENT_KEY_PASSPHRASE", ""), settings.VAR_DIR
    )


def _active(algorithm: str) -> SigningKey | None:
    return (
        SigningKey.objects.filter(algorithm=algorithm, valid_until__isnull=True)
        .exclude(sealed_private_key="")
        .order_by("-valid_from")
        .first()
    )


def rotated_ed25519_key() -> Ed25519PrivateKey | None:
    """The Ed25519 key of the last rotation, None before any (the configured key signs)."""
    row = _active(SigningKey.Algorithm.ED25519)
    if row is None:
        return None
    seed = keyseal.unseal(row.sealed_private_key, _passphrase(), label=_LABEL, prefix=_PREFIX)
    return Ed25519PrivateKey.from_private_bytes(seed)


def rotated_sm2_key() -> gmcrypto.SM2PrivateKey | None:
    row = _active(SigningKey.Algorithm.SM2)
    if row is None:
        return None
    scalar = keyseal.unseal(row.sealed_private_key, _passphrase(), label=_LABEL, prefix=_PREFIX)
    return gmcrypto.SM2PrivateKey.from_raw(scalar)


@dataclass(frozen=True)
class KeyPeriod:
    algorithm: str
    vkey: str
    valid_from: object  # datetime, None: since the log began
    valid_until: object  # datetime, None: signs now
    configured: bool  # the configured (initial) key rather than one made at a rotation


def history() -> list[KeyPeriod]:
    """Every verifier key of this log with its validity, oldest first (Ed25519, then SM2)."""
    from .checkpoints import sm2_verifier_key, verifier_key

    periods = [
        KeyPeriod(r.algorithm, r.vkey, r.valid_from, r.valid_until, not r.sealed_private_key)
        for r in SigningKey.objects.order_by("valid_from", "pk")
    ]
    known = {p.vkey for p in periods}
    first = Checkpoint.objects.order_by("size").values_list("created_at", flat=True).first()
    for algorithm, vkey in (("ed25519", verifier_key()), ("sm2", sm2_verifier_key())):
        if vkey and vkey not in known:  # the configured key, never rotated out
            periods.insert(0, KeyPeriod(algorithm, vkey, first, None, True))
    order = {"ed25519": 0, "sm2": 1}
    return sorted(periods, key=lambda p: order[p.algorithm])


def verifier_keys_of(algorithm: str) -> list[str]:
    return [p.vkey for p in history() if p.algorithm == algorithm]


def rotate(actor: User) -> dict:
    """Rotate both checkpoint keys (the caller has checked that ``actor`` may); the new
    verifier keys and the rotation's transition checkpoint.

    Three durable transactions, one after the other and none inside another: the checkpoint
    under the old keys, the keys' change with its event, and the transition checkpoint, which
    must cover that event once it is committed and integrated.
    """
    from .checkpoints import make_checkpoint, origin, signing_key, sm2_signing_key
    from .integrator import wait_for_event

    old_ed, old_sm2 = signing_key(), sm2_signing_key()
    name = origin()
    # 1. Everything so far under the old keys.
    make_checkpoint(actor)
    new_ed = Ed25519PrivateKey.generate()
    new_sm2 = gmcrypto.SM2PrivateKey.generate() if old_sm2 is not None else None
    old_vkeys = {"ed25519": note.verifier_key(name, old_ed.public_key())}
    new_vkeys = {"ed25519": note.verifier_key(name, new_ed.public_key())}
    if old_sm2 is not None and new_sm2 is not None:
        old_vkeys["sm2"] = note.sm2_verifier_key(name, old_sm2.public_key())
        new_vkeys["sm2"] = note.sm2_verifier_key(name, new_sm2.public_key())
    seeds = {"ed25519": new_ed.private_bytes_raw(), "sm2": new_sm2.raw() if new_sm2 else b""}
    # 2. The new keys in, the old ones' validity ended, the event: together.
    with transaction.atomic(durable=True):
        now = timezone.now()
        first = Checkpoint.objects.order_by("size").values_list("created_at", flat=True).first()
        list(SigningKey.objects.select_for_update().filter(valid_until__isnull=True))
        for algorithm, vkey in old_vkeys.items():
            SigningKey.objects.get_or_create(
                vkey=vkey, defaults={"algorithm": algorithm, "valid_from": first or now}
            )
        SigningKey.objects.filter(valid_until__isnull=True).update(valid_until=now)
        for algorithm, vkey in new_vkeys.items():
            SigningKey.objects.create(
                algorithm=algorithm,
                vkey=vkey,
                valid_from=now,
                sealed_private_key=keyseal.seal(
                    seeds[algorithm], _passphrase(), label=_LABEL, prefix=_PREFIX
                ),
            )
        staged = record_event(
            actor,
            ROTATED,
            None,
            {"old": old_vkeys, "new": new_vkeys, "at": now.isoformat()},
            object_type="ledger.signingkey",
            object_id=new_vkeys["ed25519"].split("+", 2)[1],  # the new key's id (8 hex digits)
        )
    wait_for_event(staged)
    # 3. The transition checkpoint: signed by the new keys and by the old ones.
    transition = make_checkpoint(actor, also_signed_by=[old_ed, old_sm2])
    return {
        "old": old_vkeys,
        "new": new_vkeys,
        "checkpoint": transition.size if transition else None,
    }
