"""C2SP tlog-cosignature (cosignature/v1, Ed25519), Django-free (https://c2sp.org/tlog-cosignature).

A cosignature is a signed-note signature line added to a checkpoint by a witness::

    — <witness name> base64(key id || u64 timestamp, big-endian || Ed25519 signature)

- key id = SHA-256(<name> || 0x0A || 0x04 || 32-byte public key)[:4], 0x04 being the
  cosignature/v1 type (a log's own checkpoint signature uses 0x01);
- the signed message is two lines and the whole checkpoint body::

      cosignature/v1
      time <POSIX seconds, decimal>
      <origin>
      <size>
      <base64 root hash>

- a witness verifier key (vkey) is ``<name>+<hex key id>+<base64(0x04 || public key)>``.

It states that, as of the time, the largest consistent tree the witness has seen for the origin
has this root hash.
"""

from __future__ import annotations

import base64
import binascii
import struct
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from quancheng.lib import note
from quancheng.lib.note import SIGNATURE_PREFIX, NoteError

COSIGNATURE_V1 = b"\x04"
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1


class CosignatureError(NoteError):
    """A witness vkey or cosignature is malformed, or a cosignature does not verify."""


class Cosignature(NamedTuple):
    name: str
    timestamp: int
    line: str  # the whole signature line, with the em dash, without the newline


def _check_name(name: str) -> None:
    try:
        note.check_name(name)
    except NoteError as e:
        raise CosignatureError(str(e)) from None


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || key)[:4]."""
    return note.key_id(name, public_key, COSIGNATURE_V1)


def witness_vkey(name: str, public_key: Ed25519PublicKey) -> str:
    _check_name(name)
    return note.verifier_key(name, public_key, COSIGNATURE_V1)


def parse_witness_vkey(vkey: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """(name, key id, public key) of a cosignature/v1 vkey; CosignatureError when malformed."""
    try:
        return note.parse_verifier_key(vkey, COSIGNATURE_V1)
    except NoteError as e:
        raise CosignatureError(f"witness key: {e}") from None


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"{HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (without newline) of ``checkpoint_text`` (the note body)."""
    _check_name(name)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"timestamp {timestamp} out of range")
    signature = key.sign(signed_message(checkpoint_text, timestamp))
    blob = (
        key_id(name, note.raw_public_key(key.public_key()))
        + struct.pack(">Q", timestamp)
        + signature
    )
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}"


def verify_cosignatures(checkpoint_text: str, lines: list[str], vkey: str) -> Cosignature:
    """The cosignature by ``vkey`` among ``lines`` (signature lines), verified.

    Lines of other keys are ignored; a line with this key's name and id that does not verify
    is an error, and so is finding none.
    """
    name, kid, public_key = parse_witness_vkey(vkey)
    found: Cosignature | None = None
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise CosignatureError(f"malformed signature line {line[:80]!r}")
        signer, _, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise CosignatureError(f"signature of {signer!r} is not base64") from None
        if signer != name or blob[:4] != kid:
            continue
        if len(blob) != 4 + 8 + 64:
            raise CosignatureError(f"the cosignature by {name} has {len(blob)} bytes, not 76")
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        if timestamp > MAX_TIMESTAMP:
            raise CosignatureError(f"the cosignature by {name} has an impossible timestamp")
        try:
            public_key.verify(blob[12:], signed_message(checkpoint_text, timestamp))
        except InvalidSignature:
            raise CosignatureError(f"the cosignature by {name} does not verify") from None
        found = Cosignature(name, timestamp, line)
    if found is None:
        raise CosignatureError(f"no cosignature by {name} ({kid.hex()})")
    return found


def split_note(note_text: str) -> tuple[str, list[str]]:
    """(checkpoint body, signature lines) of a signed note; NoteError when malformed."""
    if not note_text.endswith("\n"):
        raise NoteError("a signed note ends in a newline")
    split = note_text[:-1].rfind("\n\n")
    if split < 0:
        raise NoteError("no blank line between the note text and its signatures")
    return note_text[: split + 1], note_text[split + 2 : -1].split("\n")
