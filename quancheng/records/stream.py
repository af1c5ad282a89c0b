"""Re-hash while streaming: every download and export checks the bytes it hands out.

``verified_chunks(sha256)`` yields a blob's bytes from the store and, once the whole blob has
been read, compares its SHA-256 and size with the name and the registry, and its SM3 with the
registered one once that is known (issue 19: downloads check both digests; an SM3 still pending
is not checked). The outcome is announced (:data:`quancheng.records.signals.blob_checked`, in a
transaction of its own) and the fixity app records it as a ``fixity.checked`` ledger event like a
sweep's (context ``{"stream": purpose}``); a mismatch also raises the ``fixity.mismatch`` alert.

The HTTP limitation: the response status and headers leave before the last byte has been
hashed, so a mismatch cannot turn the response into an error. What the helper does instead is
hold the final chunk back until the whole blob is hashed: on a mismatch it announces the failure
(recorded, and the custodian and auditor alerted) and raises :class:`StreamIntegrityError`
instead of yielding that chunk, which makes the WSGI server abort the connection. A client reading a
``Content-Length`` body never receives the complete file, so altered bytes are never handed out
as a whole: it sees a truncated transfer, and the ledger says which. A missing blob is found
before the first byte, so the caller can still answer 404/410 (``BlobNotFound`` is raised after
the failed check is announced). On S3, botocore may refuse altered bytes itself (the object's
stored checksum): that is recorded as a failed check the same way. See docs/fixity.md.

A range read (``start``/``end`` other than the whole blob) cannot be checked: nothing is
announced for it. A consumer that stops early (closed connection) is not a check either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.db import transaction

from quancheng.lib import gmcrypto
from quancheng.lib.blobstore import BlobNotFound, BlobStore
from quancheng.lib.digestcheck import CHUNK_SIZE, CORRUPT_READ_ERRORS, CheckResult, judge

from .models import Blob
from .services import blob_store
from .signals import blob_checked

if TYPE_CHECKING:
    from quancheng.orgs.models import User


class StreamIntegrityError(Exception):
    """The streamed bytes do not match the blob's name: the transfer must not end cleanly."""

    def __init__(self, result: CheckResult):
        super().__init__(f"blob {result.sha256} failed its fixity check while streaming")
        self.result = result


def _record(result: CheckResult, blob: Blob | None, purpose: str, actor: User | None) -> None:
    """Announce the check; the fixity app records it (and alerts) in this transaction."""
    with transaction.atomic(durable=True):
        blob_checked.send(Blob, result=result, blob=blob, context={"stream": purpose}, actor=actor)


def verified_chunks(
    sha256: str,
    start: int = 0,
    end: int | None = None,
    *,
    store: BlobStore | None = None,
    chunk_size: int = CHUNK_SIZE,
    purpose: str = "download",
    actor: User | None = None,
) -> Iterator[bytes]:
    """The bytes ``[start, end)`` of a blob in chunks, checked when the whole blob is read."""
    store = store or blob_store()
    blob = Blob.objects.select_related("agency").filter(sha256=sha256).first()
    expected_size = blob.size if blob is not None else None
    try:
        f = store.open(sha256, start, end)
    except BlobNotFound:
        if blob is not None and blob.disposed_at is None:  # gone unexpectedly: a finding
            _record(judge(sha256, blob.size, None, None), blob, purpose, actor)
        raise
    whole = start == 0 and (end is None or (expected_size is not None and end >= expected_size))
    h = hashlib.sha256() if whole else None
    expected_sm3 = (blob.sm3 or None) if blob is not None and whole else None
    h_sm3 = gmcrypto.sm3() if expected_sm3 else None
    size = 0
    held = b""  # the latest chunk, sent only once the next one (or the verdict) is known
    with f:
        while True:
            try:
                chunk = f.read(chunk_size)
            except CORRUPT_READ_ERRORS as exc:  # the store's own checksum caught it (S3)
                result = judge(
                    sha256, expected_size or 0, None, None, f"{type(exc).__name__}: {exc}"
                )
                _record(result, blob, purpose, actor)
                raise StreamIntegrityError(result) from exc
            if not chunk:
                break
            if h is None:
                yield chunk
                continue
            h.update(chunk)
            if h_sm3 is not None:
                h_sm3.update(chunk)
            size += len(chunk)
            if held:
                yield held
            held = chunk
    if h is None:
        return
    result = judge(
        sha256,
        expected_size if expected_size is not None else size,
        h.hexdigest(),
        size,
        expected_sm3=expected_sm3,
        actual_sm3=h_sm3.hexdigest() if h_sm3 is not None else None,
    )
    _record(result, blob, purpose, actor)
    if not result.ok:
        raise StreamIntegrityError(result)
    if held:
        yield held
