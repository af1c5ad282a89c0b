"""C2SP signed notes and tlog-checkpoints with Ed25519 and SM2 (https://c2sp.org/signed-note,
https://c2sp.org/tlog-checkpoint). Django-free: the offline verifier and a witness use it as is.

A checkpoint note::

    quancheng.local/ledger          origin: names the log
    1234                            tree size, decimal
    Q0m8...=                        root hash, base64 (standard, padded)
                                    blank line
    — quancheng.local/ledger AbCd...   signature line: em dash, space, key name, space,
                                       base64(4-byte key id || 64-byte Ed25519 signature)

The signature covers the note text up to and including the newline after the root hash (not the
blank line). Key id = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4], 0x01 being the
Ed25519 signature type. A verifier key (vkey) is ``<name>+<8 hex digits key id>+<base64(0x01 ||
public key)>``.

A checkpoint of this platform carries a second signature line, SM2 with SM3 (GB/T 32918.2,
GM/T 0009 with the default identifier 1234567812345678; docs/national-crypto.md). signed-note
assigns no byte to SM2 and reserves ``0xff`` for "signature types without an identifier byte
assigned by this specification", to be "followed by a longer identifier that is unlikely to
collide". The SM2 signature type is therefore the 21 bytes :data:`SM2` =
``0xff || ASCII "quancheng/sm2-sm3/v1"``, and:

- key id = SHA-256(key name || 0x0A || 0xff || "quancheng/sm2-sm3/v1" || 65-byte uncompressed
  SM2 public key ``04 || x || y``)[:4], as the spec recommends for every type;
- signature = 4-byte key id || 64 bytes ``r || s`` (each 32 bytes, big-endian), SM2 over the
  note text with SM3 and the default identifier;
- vkey = ``<name>+<key id>+<base64(0xff || "quancheng/sm2-sm3/v1" || 65-byte public key)>``.

The SM2 line uses the same key name as the Ed25519 line (the log's origin): the spec lets one
name carry several signature types, the key id tells them apart, and verifiers "MUST ignore
signatures from unknown keys, even if they share a name" — which is why witnesses and clients
that know only the Ed25519 key accept the checkpoint unchanged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from quancheng.lib import gmcrypto

ED25519 = b"\x01"
# signed-note's 0xff ("no identifier byte assigned") followed by this platform's identifier.
SM2 = b"\xff" + b"quancheng/sm2-sm3/v1"
SM2_PUBLIC_KEY_SIZE = 65
SIGNATURE_PREFIX = "\u2014 "  # em dash and a space
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, checkpoint or verifier key is malformed, or a signature does not verify."""


class Checkpoint(NamedTuple):
    origin: str
    size: int
    root_hash: bytes


def check_text(text: str) -> None:
    """signed-note: "MUST NOT contain any ASCII control characters ... other than newline"."""
    if any(c < " " and c != "\n" for c in text):
        raise NoteError("a signed note contains no control character other than newline")


def check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"invalid key name {name!r}: non-empty, no spaces and no '+'")


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: bytes, key_type: bytes = ED25519) -> bytes:
    """The 4-byte key id: SHA-256(name || 0x0A || type || key)[:4] (0x01 = Ed25519 signer)."""
    return hashlib.sha256(name.encode() + b"\n" + key_type + public_key).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey, key_type: bytes = ED25519) -> str:
    """The vkey string ``<name>+<hex key id>+<base64(type || public key)>``."""
    check_name(name)
    raw = raw_public_key(public_key)
    encoded = base64.b64encode(key_type + raw).decode()
    return f"{name}+{key_id(name, raw, key_type).hex()}+{encoded}"


def parse_verifier_key(vkey: str, key_type: bytes = ED25519) -> tuple[str, bytes, Ed25519PublicKey]:
    """(name, key id, public key) from a vkey of ``key_type``; NoteError when malformed."""
    name, kid, key = _split_vkey(vkey)
    if len(key) != 33 or key[:1] != key_type:
        raise NoteError(
            f"expected a key of type 0x{key_type.hex()} with 32 bytes of Ed25519 public key"
        )
    if key_id(name, key[1:], key_type) != kid:
        raise NoteError("the verifier key's key id does not match its name and key")
    return name, kid, Ed25519PublicKey.from_public_bytes(key[1:])


def sm2_verifier_key(name: str, public_key: gmcrypto.SM2PublicKey) -> str:
    """The vkey of an SM2 signer: ``<name>+<hex key id>+<base64(SM2 type || 04 || x || y)>``."""
    check_name(name)
    raw = public_key.raw()
    encoded = base64.b64encode(SM2 + raw).decode()
    return f"{name}+{key_id(name, raw, SM2).hex()}+{encoded}"


def _split_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    parts = vkey.strip().split("+", 2)  # base64 may contain "+" too
    if len(parts) != 3:
        raise NoteError("a verifier key has the form <name>+<hex key id>+<base64 key>")
    name, hex_id, encoded = parts
    check_name(name)
    try:
        kid = bytes.fromhex(hex_id)
        key = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error) as e:
        raise NoteError(f"verifier key is not hex/base64 where it should be: {e}") from None
    if len(hex_id) != 8 or len(kid) != 4:
        raise NoteError("the key id of a verifier key has 8 hex digits")
    return name, kid, key


def parse_sm2_verifier_key(vkey: str) -> tuple[str, bytes, gmcrypto.SM2PublicKey]:
    """(name, key id, SM2 public key) from an SM2 vkey; NoteError when malformed."""
    name, kid, key = _split_vkey(vkey)
    if not key.startswith(SM2) or len(key) != len(SM2) + SM2_PUBLIC_KEY_SIZE:
        raise NoteError("expected an SM2 key: 0xff, 'quancheng/sm2-sm3/v1' and a 65-byte point")
    raw = key[len(SM2) :]
    if key_id(name, raw, SM2) != kid:
        raise NoteError("the verifier key's key id does not match its name and key")
    try:
        return name, kid, gmcrypto.SM2PublicKey.from_raw(raw)
    except gmcrypto.GmCryptoError as e:
        raise NoteError(f"not an SM2 public key: {e}") from None


def _verifier(vkey: str):
    """(name, key id, verify(signature, message) -> bool) for an Ed25519 or an SM2 vkey."""
    _, _, key = _split_vkey(vkey)
    if key.startswith(SM2):
        name, kid, sm2_public = parse_sm2_verifier_key(vkey)
        return name, kid, lambda signature, message: sm2_public.verify_raw(signature, message)
    name, kid, ed_public = parse_verifier_key(vkey)

    def verify(signature: bytes, message: bytes) -> bool:
        try:
            ed_public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    return name, kid, verify


def _signature_line(text: str, name: str, key) -> str:
    if isinstance(key, gmcrypto.SM2PrivateKey):
        kid = key_id(name, key.public_key().raw(), SM2)
        signature = key.sign_raw(text.encode())
    else:
        kid = key_id(name, raw_public_key(key.public_key()))
        signature = key.sign(text.encode())
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(kid + signature).decode()}\n"


def sign_note(
    text: str,
    name: str,
    private_key: Ed25519PrivateKey,
    sm2_key: gmcrypto.SM2PrivateKey | None = None,
    also_signed_by: tuple = (),
) -> str:
    """The signed note: ``text`` (ending in a newline), a blank line and the signature lines:
    the Ed25519 one, then the SM2 one when ``sm2_key`` is given, then one per key of
    ``also_signed_by`` (the old keys on a key rotation's transition checkpoint)."""
    check_name(name)
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("note text must end in a newline and contain no blank line")
    lines = _signature_line(text, name, private_key)
    if sm2_key is not None:
        lines += _signature_line(text, name, sm2_key)
    for key in also_signed_by:
        lines += _signature_line(text, name, key)
    return f"{text}\n{lines}"


def verify_note(note: str, vkey: str) -> str:
    """The note's text when it carries a valid signature by ``vkey``; else NoteError.

    ``vkey`` is an Ed25519 or an SM2 verifier key. As the spec says, signature lines from other
    keys are ignored, but a line with this key's name and id whose signature does not verify
    rejects the note.
    """
    name, kid, verify = _verifier(vkey)
    if not note.endswith("\n"):
        raise NoteError("a signed note ends in a newline")
    check_text(note)
    split = note[:-1].rfind("\n\n")
    if split < 0:
        raise NoteError("no blank line between the note text and its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signature lines")
    found = False
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        signer, _, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError(f"signature of {signer!r} is not base64") from None
        if len(blob) < 5:
            raise NoteError(f"signature of {signer!r} is too short")
        if signer != name or blob[:4] != kid:
            continue
        if not verify(blob[4:], text.encode()):
            raise NoteError(f"the signature by {name} ({kid.hex()}) does not verify")
        found = True
    if not found:
        raise NoteError(f"the note carries no signature by {name} ({kid.hex()})")
    return text


def checkpoint_text(origin: str, size: int, root_hash: bytes) -> str:
    """The checkpoint body: origin, tree size and base64 root hash, each on its own line."""
    if not origin or "\n" in origin:
        raise NoteError("the origin is one non-empty line")
    check_text(origin)
    return f"{origin}\n{size}\n{base64.b64encode(root_hash).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """The (origin, size, root hash) of a checkpoint body; extension lines are ignored.

    tlog-checkpoint: the origin "MUST be non-empty"; extension lines, "if any, MUST be
    non-empty"; signed-note: no control characters other than newline.
    """
    check_text(text)
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash line")
    origin, size_line, root_line = lines[:3]
    if not origin:
        raise NoteError("empty origin line")
    if "" in lines[3:-1]:
        raise NoteError("an extension line of a checkpoint is never empty")
    if not size_line.isascii() or not size_line.isdigit() or size_line != str(int(size_line)):
        raise NoteError(f"tree size {size_line!r} is not a decimal number without leading zeros")
    try:
        root = base64.b64decode(root_line, validate=True)
    except (ValueError, binascii.Error):
        raise NoteError("root hash line is not base64") from None
    if len(root) != 32:
        raise NoteError(f"root hash has {len(root)} bytes, not 32")
    return Checkpoint(origin, int(size_line), root)


def verify_checkpoint(note: str, vkey: str, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint with ``vkey`` and return what it says."""
    checkpoint = parse_checkpoint(verify_note(note, vkey))
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint is for origin {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


def verify_checkpoint_by_all(note: str, vkeys: list[str], origin: str | None = None) -> Checkpoint:
    """Verify a checkpoint that must carry a valid signature by every one of ``vkeys`` (the
    Ed25519 and the SM2 key of this platform's log)."""
    if not vkeys:
        raise NoteError("no verifier key")
    checkpoints = {verify_checkpoint(note, vkey, origin) for vkey in vkeys}
    return checkpoints.pop()
