"""Judging a stored file's bytes against its name (SHA-256), its size and its SM3.

The verdict of one fixity check (完整性校验), whoever read the bytes: the fixity sweep, a
checked download (quancheng.records.stream), the SM3 job. What a verdict leads to (a
``fixity.checked`` ledger event, an alert) is the fixity app's concern (docs/fixity.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from botocore.exceptions import FlexibleChecksumError

from quancheng.lib.blobstore import IntegrityError

# Reads of 256 KiB: the buffer stays in the core's cache between the read's copy and the hash
# (with 8 MiB each byte went out to memory and back; measured 20-35 % faster on two threads,
# docs/performance.md, Fixity). Still large enough for hashlib to drop the GIL; an S3 blob is one
# GET whatever the read size.
CHUNK_SIZE = 256 * 1024
# Errors by which a store says the bytes it holds are not the bytes it was given: on S3, botocore
# validates the object's stored SHA-256 checksum on a whole-object read and raises at the end.
CORRUPT_READ_ERRORS = (IntegrityError, FlexibleChecksumError)


class Outcome:
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class CheckResult:
    sha256: str
    expected_size: int
    outcome: str
    actual: str | None  # None when the blob is missing
    actual_size: int | None
    checked_at: dt.datetime
    store_error: str = ""  # the store's own integrity complaint, when it refused the bytes
    # The SM3 beside the SHA-256 (docs/national-crypto.md): checked when the blob has one.
    expected_sm3: str | None = None
    actual_sm3: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.PASS


def judge(
    sha256: str,
    expected_size: int,
    actual: str | None,
    actual_size: int | None,
    store_error: str = "",
    *,
    expected_sm3: str | None = None,
    actual_sm3: str | None = None,
) -> CheckResult:
    """The check's outcome from what was read (``actual`` None: the blob was not found).

    With ``expected_sm3`` both digests must match (``actual_sm3`` is what the bytes gave).
    """
    sm3_ok = expected_sm3 is None or actual_sm3 == expected_sm3
    if store_error:
        outcome = Outcome.FAIL
    elif actual is None:
        outcome = Outcome.MISSING
    elif actual == sha256 and actual_size == expected_size and sm3_ok:
        outcome = Outcome.PASS
    else:
        outcome = Outcome.FAIL
    return CheckResult(
        sha256,
        expected_size,
        outcome,
        actual,
        actual_size,
        dt.datetime.now(dt.UTC),
        store_error,
        expected_sm3,
        actual_sm3 if actual is not None else None,
    )
