"""The C2SP tlog-witness add-checkpoint request body, Django-free (https://c2sp.org/tlog-witness).

::

    old 20852014                    the size the witness last cosigned (0 the first time)
    PlRNCrwHpqhGrupue0L7...=        consistency proof from old to the new size, one hash a line
                                    blank line
    example.com/behind-the-sofa     the signed checkpoint, its signatures included
    20852163
    CsUYapGGPo4dkMgIAUqom/...=

    — example.com/behind-the-sofa Az3g...

A 409 answer carries the witness's size as ``<decimal>\\n`` with Content-Type text/x.tlog.size.
"""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple

from quancheng.lib import note

from .cosignature import split_note

MAX_PROOF_LINES = 63
MAX_BODY_BYTES = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"


class MalformedRequest(ValueError):
    """The body is not an add-checkpoint request (answered 400 Bad Request)."""


class AddCheckpoint(NamedTuple):
    old_size: int
    proof: list[bytes]
    signed_note: str  # the checkpoint as sent, signatures included
    checkpoint: note.Checkpoint  # parsed, not yet verified


def _decimal(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or text != str(int(text)):
        raise MalformedRequest(f"{what} {text[:30]!r} is not a decimal without leading zeroes")
    return int(text)


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    if len(body) > MAX_BODY_BYTES:
        raise MalformedRequest(f"request body larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("request body is not UTF-8") from None
    head, sep, signed_note = text.partition("\n\n")
    if not sep:
        raise MalformedRequest("no empty line between the old size and proof and the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise MalformedRequest("the first line must be 'old <size>'")
    old_size = _decimal(lines[0][4:], "old size")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise MalformedRequest(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in proof_lines:
        try:
            digest = base64.b64decode(line, validate=True)
        except (ValueError, binascii.Error):
            raise MalformedRequest(f"proof line {line[:60]!r} is not base64") from None
        if len(digest) != 32:
            raise MalformedRequest(f"proof hash has {len(digest)} bytes, not 32")
        proof.append(digest)
    try:
        body_text, _signatures = split_note(signed_note)
        checkpoint = note.parse_checkpoint(body_text)
    except note.NoteError as e:
        raise MalformedRequest(f"malformed checkpoint: {e}") from None
    return AddCheckpoint(old_size, proof, signed_note, checkpoint)


def format_add_checkpoint(old_size: int, proof: list[bytes], signed_note: str) -> bytes:
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + signed_note).encode()


def parse_size(body: bytes) -> int:
    """The witness's size from a 409 answer."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedRequest("the 409 answer is not ASCII") from None
    if not text.endswith("\n"):
        raise MalformedRequest("the 409 answer does not end in a newline")
    return _decimal(text[:-1], "witness size")
