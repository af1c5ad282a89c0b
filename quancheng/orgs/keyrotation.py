"""Rotation of the ledger's checkpoint signing keys by the security administrator (安全管理员,
三员分立; docs/security.md). The rotation itself is ledger/keys.py; who may do it is here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quancheng.ledger import keys

from . import capabilities as caps

if TYPE_CHECKING:
    from quancheng.orgs.models import User


def rotate_ledger_keys(actor: User) -> dict:
    """Rotate both checkpoint keys (Ed25519 and SM2); only the security administrator may."""
    caps.require(actor, caps.KEYS_ROTATE)
    return keys.rotate(actor)
