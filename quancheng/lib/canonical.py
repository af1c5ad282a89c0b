"""Canonical JSON: the byte form that is hashed, so the same data always gives the same hash.

Keys sorted, no insignificant white space, UTF-8 without escaping Chinese. Numbers that are not
integers are written as ECMAScript writes them (the rule of RFC 8785, JSON Canonicalization
Scheme): the shortest text that reads back as the same double, ``1`` for ``1.0``, exponents only
below 1e-6 or from 1e21. NaN and infinities are refused.
"""

import json
import math
from typing import Any


def _has_float(value: Any) -> bool:
    """Check keys and values; True when a float is present (so the slow path is needed)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError("NaN and infinity are not allowed in canonical JSON")
        return True
    if isinstance(value, dict):
        found = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("canonical JSON keys must be strings")
            found = _has_float(item) or found
        return found
    if isinstance(value, list | tuple):
        found = False
        for item in value:
            found = _has_float(item) or found
        return found
    return False


def es_number(x: float) -> str:
    """A finite double as ECMAScript's Number.prototype.toString writes it (RFC 8785 §3.2.2.3)."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es_number(-x)
    mantissa, _, exp_text = repr(x).partition("e")
    exponent = int(exp_text) if exp_text else 0
    whole, _, fraction = mantissa.partition(".")
    fraction = fraction.rstrip("0")
    if whole != "0":
        digits, point = (whole + fraction), len(whole) + exponent
    else:
        stripped = fraction.lstrip("0")
        digits, point = stripped, exponent - (len(fraction) - len(stripped))
    digits = digits.lstrip("0").rstrip("0")
    # The value is 0.<digits> × 10^point.
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(e)}"


def _encode(value: Any) -> str:
    if isinstance(value, float):
        return es_number(value)
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(_string(k) + ":" + _encode(v) for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def canonical_bytes(value: Any) -> bytes:
    if not _has_float(value):
        # The common case (ledger bodies): the C encoder.
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return _encode(value).encode()
