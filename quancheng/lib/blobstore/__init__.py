"""Content-addressed blob store: one interface, two implementations.

A blob is an immutable byte string named by the lowercase hex SHA-256 of its content. Stores never
modify a blob in place; storing the same bytes twice stores them once (``created=False``).

* :class:`~quancheng.lib.blobstore.local.LocalBlobStore` keeps blobs in a local folder
  (``root/ab/cd/<sha256>``); a blob becomes visible only after fsync and an atomic link.
* :class:`~quancheng.lib.blobstore.s3.S3BlobStore` keeps blobs in an S3 bucket with Object Lock
  (``blobs/<sha256>``), written in COMPLIANCE mode with a retain-until date.

This package does not import Django; configuration (``QC_BLOB_STORE``) passes a URL to
:func:`blob_store_from_url`. See docs/storage.md.
"""

from __future__ import annotations

import abc
import datetime as dt
import hashlib
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:  # pragma: no cover
    from quancheng.lib.blobstore.local import LocalBlobStore
    from quancheng.lib.blobstore.s3 import S3BlobStore

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreError",
    "IntegrityError",
    "InvalidDigest",
    "LocalBlobStore",
    "RetentionInForce",
    "RetentionShortening",
    "S3BlobStore",
    "StoreConfigurationError",
    "VerifyResult",
    "blob_store_from_url",
    "normalise_retain_until",
    "validate_sha256",
]

MiB = 1024 * 1024

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


# --- errors -----------------------------------------------------------------------------------


class BlobStoreError(Exception):
    """Base class of every error raised by a blob store."""


class BlobNotFound(BlobStoreError, LookupError):
    """No blob with this SHA-256 is stored."""

    def __init__(self, sha256: str):
        super().__init__(f"no blob {sha256}")
        self.sha256 = sha256


class InvalidDigest(BlobStoreError, ValueError):
    """The string given as a SHA-256 is not 64 lowercase hex digits (e.g. ``../../etc``)."""


class RetentionShortening(BlobStoreError, ValueError):
    """A retain-until date earlier than the one in force was asked for: retention only grows."""

    def __init__(self, sha256: str, current: dt.datetime, requested: dt.datetime):
        super().__init__(
            f"blob {sha256} is retained until {current.isoformat()}; "
            f"{requested.isoformat()} would shorten it"
        )
        self.sha256 = sha256
        self.current = current
        self.requested = requested


class RetentionInForce(BlobStoreError):
    """A blob cannot be disposed of: its retain-until date has not passed or a legal hold is on."""

    def __init__(self, sha256: str, reason: str):
        super().__init__(f"blob {sha256} cannot be disposed of: {reason}")
        self.sha256 = sha256
        self.reason = reason


class IntegrityError(BlobStoreError):
    """Stored bytes do not match their name (size or hash), or the server stored something else."""


class StoreConfigurationError(BlobStoreError, ValueError):
    """The store URL or the bucket is not usable as configured (e.g. no Object Lock)."""


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """Result of :meth:`BlobStore.put`."""

    sha256: str
    size: int
    created: bool  # False when the same bytes were already stored


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Result of :meth:`BlobStore.verify`: the stored bytes re-hashed."""

    expected: str
    actual: str
    ok: bool
    size: int


# --- helpers shared by the implementations -----------------------------------------------------


def validate_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits, else raise :class:`InvalidDigest`.

    Upper case is refused rather than folded, so that one blob has exactly one name.
    """
    if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
        raise InvalidDigest(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def normalise_retain_until(until: dt.datetime) -> dt.datetime:
    """UTC, rounded *up* to a whole second (S3 keeps seconds; rounding down would shorten)."""
    if not isinstance(until, dt.datetime):
        raise TypeError("retain_until must be a datetime")
    if until.tzinfo is None or until.utcoffset() is None:
        raise ValueError("retain_until must be timezone-aware")
    until = until.astimezone(dt.UTC)
    if until.microsecond:
        until = until.replace(microsecond=0) + dt.timedelta(seconds=1)
    return until


def check_range(start: int, end: int | None) -> None:
    if start < 0:
        raise ValueError("start must be >= 0")
    if end is not None and end < start:
        raise ValueError("end must be >= start")


def read_full(stream: BinaryIO, n: int, prefix: bytes = b"") -> bytes | bytearray:
    """``prefix`` plus bytes of ``stream``, ``n`` in all (fewer only where the stream ends).

    Streams may return short reads (sockets, request bodies), so this loops. It fills one
    preallocated buffer through ``readinto`` when the stream has it, so a part costs its size in
    memory once, not twice.
    """
    readinto = getattr(stream, "readinto", None)
    if readinto is None:
        parts = [prefix] if prefix else []
        got = len(prefix)
        while got < n:
            more = stream.read(n - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        return b"".join(parts)
    buf = bytearray(n)
    got = len(prefix)
    buf[:got] = prefix
    with memoryview(buf) as view:
        while got < n:
            k = readinto(view[got:])
            if not k:
                break
            got += k
    if got < n:
        del buf[got:]
    return buf


def hash_stream(stream: BinaryIO, chunk_size: int) -> tuple[str, int]:
    """SHA-256 hex and size of a stream, read in chunks."""
    h = hashlib.sha256()
    size = 0
    while chunk := stream.read(chunk_size):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


# --- the interface ----------------------------------------------------------------------------


class BlobStore(abc.ABC):
    """A content-addressed, write-once store of blobs named by their SHA-256.

    Ranges are half-open like Python slices: ``open(sha, start, end)`` yields bytes
    ``[start, end)``; ``end=None`` means to the end. A range past the end is clamped, and a start
    at or past the end yields an empty stream (HTTP 416 is the caller's decision).
    """

    #: True when the backend itself refuses deletion/overwrite before the retain-until date.
    enforces_retention: bool = False

    @abc.abstractmethod
    def put(self, stream: BinaryIO, *, retain_until: dt.datetime | None = None) -> BlobInfo:
        """Store the stream's bytes in one streaming pass that hashes and writes.

        Nothing is visible under the blob's name until the whole content is durably stored.
        If the blob already exists nothing new is stored (``created=False``); a later
        ``retain_until`` extends its retention, an earlier one is ignored (never shortens).
        An exception raised by ``stream`` propagates and leaves no blob behind.
        """

    def put_file(
        self,
        path: str | os.PathLike[str],
        *,
        retain_until: dt.datetime | None = None,
        sha256: str | None = None,
    ) -> BlobInfo:
        """Store a finished file: like :meth:`put` of its bytes, which it copies here.

        The caller must not write to the file meanwhile; it keeps its name for the file and
        removes it afterwards. A store on the same filesystem may take the file in without
        copying it (:meth:`LocalBlobStore.put_file`). ``sha256``, when given, is the digest the
        caller computed while writing the file; a store that copies checks it, a store that
        links the file uses it instead of reading the file again.
        """
        if sha256 is not None:
            validate_sha256(sha256)
        with open(path, "rb") as f:
            info = self.put(f, retain_until=retain_until)
        if sha256 is not None and info.sha256 != sha256:
            raise IntegrityError(f"{path}: stored as {info.sha256}, expected {sha256}")
        return info

    def repair(
        self,
        sha256: str,
        path: str | os.PathLike[str],
        *,
        retain_until: dt.datetime | None = None,
    ) -> BlobInfo:
        """Replace the damaged (altered or missing) copy of ``sha256`` with the file at ``path``.

        The one write that may change what is stored under a name: the file's bytes are hashed
        on the way in and must be ``sha256``, else :class:`IntegrityError` and nothing changes.
        A store that enforces retention keeps the damaged version (locked, as evidence) and
        makes the verified bytes the ones read from now on.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot repair blobs")

    @abc.abstractmethod
    def open(self, sha256: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """A readable binary stream of the blob's bytes ``[start, end)``; the caller closes it."""

    @abc.abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def size(self, sha256: str) -> int: ...

    @abc.abstractmethod
    def extend_retention(self, sha256: str, until: dt.datetime) -> None:
        """Keep the blob at least until ``until``.

        Retention never shortens: an earlier date than the one in force raises
        :class:`RetentionShortening` (the S3 COMPLIANCE semantics); the same date is a no-op.
        """

    @abc.abstractmethod
    def set_legal_hold(self, sha256: str, on: bool) -> None:
        """Place or lift a legal hold (no deletion while on, independent of retention)."""

    @abc.abstractmethod
    def dispose(self, sha256: str) -> None:
        """Remove the blob's content for good: the one deletion a store offers (销毁).

        Only the archive's disposal service calls this, after the agency head approved the
        disposal and the tombstone was committed to the ledger. A store that enforces retention
        refuses with :class:`RetentionInForce` while a retain-until date or a legal hold is in
        force (and the server refuses as well); a missing blob raises :class:`BlobNotFound`.
        """

    @abc.abstractmethod
    def iter_blobs(self) -> Iterator[str]:
        """Every stored SHA-256 (order unspecified)."""

    @abc.abstractmethod
    def cleanup(self, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
        """Remove leftovers of interrupted puts older than ``older_than``; returns how many."""

    def verify(self, sha256: str, chunk_size: int = 4 * MiB) -> VerifyResult:
        """Re-hash the stored bytes by streaming them; ``ok`` is False on any mismatch."""
        validate_sha256(sha256)
        with self.open(sha256) as f:
            actual, size = hash_stream(f, chunk_size)
        return VerifyResult(expected=sha256, actual=actual, ok=actual == sha256, size=size)


# --- factory ----------------------------------------------------------------------------------


def blob_store_from_url(url: str) -> BlobStore:
    """Build a store from a URL (the future ``QC_BLOB_STORE`` setting).

    * ``file:///var/lib/quancheng/blobs`` → :class:`LocalBlobStore` at that absolute path.
    * ``s3://bucket?endpoint_url=http://127.0.0.1:8333&region=us-east-1`` →
      :class:`S3BlobStore`. Further query keys: ``access_key_id``, ``secret_access_key``
      (otherwise boto3's usual chain: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profile…),
      ``addressing_style`` (``path`` by default when ``endpoint_url`` is given, as SeaweedFS and
      MinIO need), ``part_size_mib``, ``create_bucket=1`` (create it with Object Lock).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise StoreConfigurationError(f"file URL must be file:///absolute/path: {url!r}")
        path = unquote(parts.path)
        if not path or not os.path.isabs(path):
            raise StoreConfigurationError(f"file URL needs an absolute path: {url!r}")
        from quancheng.lib.blobstore.local import LocalBlobStore

        return LocalBlobStore(path)
    if scheme == "s3":
        bucket = parts.netloc
        if not bucket or parts.path not in ("", "/"):
            raise StoreConfigurationError(f"S3 URL must be s3://bucket?options: {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        known = {
            "endpoint_url",
            "region",
            "access_key_id",
            "secret_access_key",
            "addressing_style",
            "part_size_mib",
            "create_bucket",
        }
        unknown = set(query) - known
        if unknown:
            raise StoreConfigurationError(f"unknown S3 URL options: {sorted(unknown)}")
        from quancheng.lib.blobstore.s3 import S3BlobStore, make_client

        client = make_client(
            endpoint_url=query.get("endpoint_url") or None,
            region=query.get("region") or None,
            access_key_id=query.get("access_key_id") or None,
            secret_access_key=query.get("secret_access_key") or None,
            addressing_style=query.get("addressing_style") or None,
        )
        kwargs = {}
        if query.get("part_size_mib"):
            try:
                part_mib = float(query["part_size_mib"])
            except ValueError:
                raise StoreConfigurationError("part_size_mib must be a number") from None
            kwargs["part_size"] = math.ceil(part_mib * MiB)
        store = S3BlobStore(client, bucket, **kwargs)
        if query.get("create_bucket", "").lower() in ("1", "true", "yes"):
            store.ensure_bucket()
        return store
    raise StoreConfigurationError(f"unsupported blob store URL scheme: {url!r}")


def __getattr__(name: str):  # PEP 562: import the implementations (and boto3) only when used
    if name == "LocalBlobStore":
        from quancheng.lib.blobstore.local import LocalBlobStore

        return LocalBlobStore
    if name == "S3BlobStore":
        from quancheng.lib.blobstore.s3 import S3BlobStore

        return S3BlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
