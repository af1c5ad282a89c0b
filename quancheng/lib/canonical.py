"""Canonical JSON: the byte form that is hashed, so the same data always gives the same hash.

The form is RFC 8785's JSON Canonicalization Scheme (JCS), made by the `rfc8785` package: keys
sorted by their UTF-16 code units, no insignificant white space, UTF-8 without escaping Chinese,
numbers as ECMAScript writes them, integers only within ±(2**53 − 1). Any JCS implementation
reproduces these bytes, which is what a court's technician needs (docs/offline-verification.md).

Most values the platform hashes (ledger entries and bodies) hold only strings, integers, booleans
and null under keys of the Basic Multilingual Plane. For those, Python's C encoder with sorted
keys writes the same bytes as JCS (code-point order equals UTF-16 order without surrogates; the
string escapes are the same), and it is three times faster on the ledger's hot path, so it is
used there. tests/test_canonical.py checks the two agree on generated values.
"""

import json
import math
from collections.abc import Callable
from typing import Any

import rfc8785

_MAX_INT = 2**53 - 1  # JCS numbers are IEEE doubles: larger integers are refused (I-JSON)


def _plain(value: Any) -> bool:
    """True when the C encoder writes exactly JCS for this value (see the module docstring)."""
    kind = type(value)
    if kind is dict:
        return _plain_object(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return -_MAX_INT <= value <= _MAX_INT
    return _plain_other(value)


def _plain_object(value: dict) -> bool:
    """:func:`_plain` of a dict, its scalar items checked here rather than by a call each (an
    event's body is a dict of a few strings and integers, checked once per event)."""
    for key, item in value.items():
        if not isinstance(key, str) or not (key.isascii() or _bmp(key)):
            return False
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if -_MAX_INT <= item <= _MAX_INT:
                continue
            return False
        if not _plain(item):
            return False
    return True


def _plain_other(value: Any) -> bool:
    """:func:`_plain` of what is not exactly a dict, str, bool, int or None: lists, subclasses
    (a ``TextChoices`` member is a str), floats."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_MAX_INT <= value <= _MAX_INT
    if isinstance(value, dict):
        return _plain_object(value)
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError("NaN and infinity are not allowed in canonical JSON")
    return False


def _bmp(key: str) -> bool:
    return key.isascii() or all(ord(c) <= 0xFFFF for c in key)


# One encoder for every call: json.dumps with options builds a new one each time.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _c_encoder() -> Callable[[Any], str]:
    """``_ENCODER.encode`` for the values :func:`_plain` accepts, without its per-call cost.

    ``JSONEncoder.encode`` builds a new C encoder (``_json.make_encoder``) on every call, about
    half its time on an event's few keys; this one is built once. It keeps no record of the
    containers it is in (``markers`` None): the values it is given passed :func:`_plain`, which
    would have recursed without end on a cycle. Without the C accelerator, ``_ENCODER.encode``.
    """
    make = getattr(json.encoder, "c_make_encoder", None)  # private to json: not in typeshed
    if make is None:
        return _ENCODER.encode
    # The arguments JSONEncoder.iterencode gives it for _ENCODER: markers, default, the string
    # encoder (ensure_ascii=False), indent, separators, sort_keys, skipkeys, allow_nan.
    encoder = make(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def encode(value: Any) -> str:
        return "".join(encoder(value, 0))

    return encode


_encode = _c_encoder()


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 (JCS) bytes of a JSON value."""
    if _plain(value):
        return _encode(value).encode()
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise TypeError(f"not canonical JSON: {e}") from e


def canonical_flat(value: dict[str, Any]) -> bytes:
    """:func:`canonical_bytes` of a flat object (a ledger entry), checked in one pass.

    When every key is ASCII and every value a string, null or an integer within ±(2**53 − 1),
    the C encoder's bytes are JCS without walking the value again (the ledger's verifier and
    integrator build millions of such entries); anything else takes :func:`canonical_bytes`.
    """
    for item in value.values():
        kind = type(item)
        if kind is str or item is None or (kind is int and -_MAX_INT <= item <= _MAX_INT):
            continue
        return canonical_bytes(value)
    if not all(map(str.isascii, value)):
        return canonical_bytes(value)
    return _encode(value).encode()
