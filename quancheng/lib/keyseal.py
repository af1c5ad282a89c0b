"""Private keys kept encrypted (密钥加密保存), Django-free: AES-256-GCM under a key derived with
scrypt from the installation's key passphrase.

Used for the agencies' SM2 certificate keys (documents/sm2sign.py) and the ledger's rotated
checkpoint signing keys (ledger/keys.py). The passphrase is ``QC_DOCUMENT_KEY_PASSPHRASE`` when
set, else a random one made once in ``VAR_DIR/document_key_passphrase`` (mode 0600), so that a
database dump alone does not give the keys away (docs/security.md).
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

PASSPHRASE_FILE = "document_key_passphrase"  # noqa: S105 - a file name, not a secret


def key_passphrase(configured: str, var_dir) -> bytes:
    """The configured passphrase, else the one kept (made on first use) under ``var_dir``."""
    if configured:
        return configured.encode()
    path = Path(var_dir) / PASSPHRASE_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def _cipher(passphrase: bytes, salt: bytes) -> AESGCM:
    return AESGCM(Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(passphrase))


def seal(secret: bytes, passphrase: bytes, *, label: bytes, prefix: str) -> str:
    """``prefix`` + base64(salt ‖ nonce ‖ AES-256-GCM(secret)), ``label`` as associated data."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = _cipher(passphrase, salt).encrypt(nonce, secret, label)
    return prefix + base64.b64encode(salt + nonce + sealed).decode()


def unseal(text: str, passphrase: bytes, *, label: bytes, prefix: str) -> bytes:
    """The secret :func:`seal` sealed (``InvalidTag`` when the passphrase or label differ)."""
    raw = base64.b64decode(text.removeprefix(prefix))
    salt, nonce, sealed = raw[:16], raw[16:28], raw[28:]
    return _cipher(passphrase, salt).decrypt(nonce, sealed, label)
