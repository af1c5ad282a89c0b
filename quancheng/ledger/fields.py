"""A SHA-256 digest stored as its 32 raw bytes and read as lowercase hex.

The ledger's hashes were 64-character hex ``varchar`` columns: 65 bytes on disk each, twice per
event row and again in their indexes. ``Sha256Field`` stores the digest itself (``bytea`` on
PostgreSQL, ``BLOB`` on SQLite) and hands Python the same lowercase hex ``str`` as before, so
models, pages, API JSON, exports and signed notes do not change; lookups
(``filter(hash=...)``, ``hash__in``) take hex (or the 32 bytes).

Raw SQL sees the bytes: pass ``to_digest(hex)`` as a parameter and ``bytes(value).hex()`` what
comes back.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

DIGEST_SIZE = 32


def to_digest(value: str | bytes | bytearray | memoryview) -> bytes:
    """The 32 bytes of a SHA-256 digest given as 64 hex characters or as the bytes themselves."""
    if isinstance(value, str):
        if len(value) != 2 * DIGEST_SIZE:
            raise ValueError(f"a SHA-256 digest is 64 hex characters, not {len(value)}: {value!r}")
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise ValueError(f"not a hex SHA-256 digest: {value!r}") from None
    if isinstance(value, bytes | bytearray | memoryview):
        digest = bytes(value)
        if len(digest) != DIGEST_SIZE:
            raise ValueError(f"a SHA-256 digest is 32 bytes, not {len(digest)}")
        return digest
    raise TypeError(f"a SHA-256 digest is hex text or bytes, not {type(value).__name__}")


class Sha256Field(models.BinaryField):
    """A SHA-256 digest: 32 bytes in the database, lowercase hex ``str`` in Python."""

    description = "SHA-256 digest (32 bytes, hex in Python)"
    # For django-stubs' mypy plugin: the attribute's type on model instances.
    _pyi_private_set_type: str | bytes
    _pyi_private_get_type: str  # type: ignore[assignment]  # hex, not BinaryField's bytes
    _pyi_lookup_exact_type: str | bytes

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        if not isinstance(value, bytes | memoryview):
            # Only SQLite lets a column hold another type (written by raw SQL).
            raise TypeError(f"{self.model.__name__}.{self.name} holds {value!r}, not digest bytes")
        return value.hex()

    def to_python(self, value):
        if value is None:
            return None
        try:
            return to_digest(value).hex()
        except (TypeError, ValueError) as e:
            raise ValidationError(str(e), code="invalid") from e

    def get_prep_value(self, value):
        # Not BinaryField's: that one passes str through to be written as text.
        if value is None:
            return None
        return to_digest(value)

    def value_to_string(self, obj):
        """Serialized (dumpdata, exports) as the hex, not BinaryField's base64."""
        return self.value_from_object(obj)
