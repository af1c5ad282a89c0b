"""Canonical JSON: the byte form that is hashed, so the same data always gives the same hash.

Keys sorted, no insignificant white space, UTF-8 without escaping Chinese. Floats are refused:
their text form is not stable across platforms, and evidence bodies never need them.
"""

import json
from typing import Any


def _check(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical JSON; use a string or an integer")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("canonical JSON keys must be strings")
            _check(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item)


def canonical_bytes(value: Any) -> bytes:
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
