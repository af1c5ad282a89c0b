"""The C2SP tlog-proof text format (https://c2sp.org/tlog-proof), Django-free.

An offline-verifiable proof that an entry is in a transparency log::

    c2sp.org/tlog-proof@v1
    extra <base64>                  optional, unauthenticated application data
    index 73894                     zero-based leaf index, decimal, no leading zeros
    gSKyXoYZ...=                    inclusion proof (RFC 6962 §2.1.1), base64, one hash a line,
    B95lDa8R...=                    from the leaf's sibling up to the root's child
                                    blank line
    example.com/log                 the checkpoint (signed note), verbatim
    109482
    sFodV/vS...=

    — example.com/log hI2DJw...=

Files of this format use the extension ``.tlog-proof``.
"""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple

HEADER = "c2sp.org/tlog-proof@v1"
HASH_SIZE = 32


class TlogProofError(ValueError):
    """The text is not a well-formed tlog-proof."""


class TlogProof(NamedTuple):
    index: int  # type: ignore[assignment]  # shadows tuple.index, which nothing here calls
    hashes: list[bytes]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None


def format_proof(
    index: int, hashes: list[bytes], checkpoint: str, extra: bytes | None = None
) -> str:
    if index < 0:
        raise TlogProofError("the index is not negative")
    if not checkpoint.endswith("\n"):
        raise TlogProofError("a signed note ends in a newline")
    lines = [HEADER]
    if extra is not None:
        lines.append(f"extra {base64.b64encode(extra).decode()}")
    lines.append(f"index {index}")
    for digest in hashes:
        if len(digest) != HASH_SIZE:
            raise TlogProofError(f"a proof hash has {HASH_SIZE} bytes, not {len(digest)}")
        lines.append(base64.b64encode(digest).decode())
    return "\n".join(lines) + "\n\n" + checkpoint


def _decimal(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or text != str(int(text)):
        raise TlogProofError(f"{what} {text!r} is not a decimal number without leading zeros")
    return int(text)


def parse_proof(text: str) -> TlogProof:
    """Parse a tlog-proof; the checkpoint is returned verbatim for the caller to verify."""
    head, separator, checkpoint = text.partition("\n\n")
    if not separator or not checkpoint:
        raise TlogProofError("no blank line between the proof and its checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise TlogProofError(f"the first line is not {HEADER!r}")
    position = 1
    extra = None
    if position < len(lines) and lines[position].startswith("extra "):
        try:
            extra = base64.b64decode(lines[position][6:], validate=True)
        except (ValueError, binascii.Error):
            raise TlogProofError("the extra data is not base64") from None
        position += 1
    if position >= len(lines) or not lines[position].startswith("index "):
        raise TlogProofError("no 'index' line")
    index = _decimal(lines[position][6:], "index")
    hashes = []
    for number, line in enumerate(lines[position + 1 :], start=1):
        try:
            digest = base64.b64decode(line, validate=True)
        except (ValueError, binascii.Error):
            raise TlogProofError(f"proof hash {number} is not base64") from None
        if len(digest) != HASH_SIZE:
            raise TlogProofError(f"proof hash {number} has {len(digest)} bytes, not {HASH_SIZE}")
        hashes.append(digest)
    return TlogProof(index, hashes, checkpoint, extra)
