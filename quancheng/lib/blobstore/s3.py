"""Blob store in an S3 bucket with Object Lock (WORM), through boto3.

Layout: ``blobs/<sha256>`` holds the blob; ``incoming/<uuid>`` holds uploads whose hash is not
known yet. The bucket must have Object Lock enabled (which implies versioning):
:meth:`S3BlobStore.ensure_bucket` creates it so.

Writing (one streaming pass; nothing is held in memory beyond about one part):

* content up to ``part_size`` is hashed in memory and written directly with ``PutObject`` to
  ``blobs/<sha256>`` with ``If-None-Match: *``, ``x-amz-checksum-sha256`` (the server checks the
  bytes against the name) and ``ObjectLockMode=COMPLIANCE`` + ``ObjectLockRetainUntilDate``;
* larger content is streamed as a multipart upload to ``incoming/<uuid>`` while hashing; then a
  server-side *multipart copy* (``UploadPartCopy``) creates ``blobs/<sha256>`` with the lock
  headers on ``CreateMultipartUpload`` and ``If-None-Match: *`` on completion, and the incoming
  version is deleted by version id. (A plain ``CopyObject`` would do for <= 5 GiB on AWS, but
  SeaweedFS 4.48 ignores the Object Lock headers of ``CopyObject``; the multipart copy applies them
  on every server tried, and is needed above 5 GiB anyway.)

Either way the new version is checked afterwards (size, lock mode and date) and the retention is
applied with ``PutObjectRetention`` if the server did not honour the headers.

A blob is visible only once its PutObject or CompleteMultipartUpload succeeded, so an interrupted
put never leaves a partial ``blobs/`` object; at most an open multipart upload or an object under
``incoming/``, removed by :meth:`S3BlobStore.cleanup`.

Reading resolves ``blobs/<sha256>`` to its *oldest* surviving version (the first written, the one
that was locked) and reads that version by id, so a later overwrite of the key or a delete marker
cannot substitute or hide the original bytes. Resolved versions are cached in memory.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import logging
import math
import os
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

from botocore.exceptions import ClientError

from quancheng.lib.blobstore import (
    _SHA256_RE,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobStoreError,
    IntegrityError,
    MiB,
    RetentionInForce,
    RetentionShortening,
    StoreConfigurationError,
    check_range,
    hash_stream,
    normalise_retain_until,
    read_full,
    validate_sha256,
)

log = logging.getLogger(__name__)

BLOBS_PREFIX = "blobs/"
INCOMING_PREFIX = "incoming/"
# repaired/<sha256> holds the version id of blobs/<sha256> that a verified repair wrote: read
# that version instead of the oldest (the damaged one stays, locked, as evidence).
REPAIRED_PREFIX = "repaired/"
CONTENT_TYPE = "application/octet-stream"
COMPLIANCE = "COMPLIANCE"

MIN_PART_SIZE = 5 * MiB  # S3: every part but the last
MAX_PART_SIZE = 5 * 1024 * MiB  # S3: largest part (and largest CopyObject source)
MAX_PARTS = 10_000

_NOT_FOUND = {"NoSuchKey", "NoSuchVersion", "NotFound", "404"}
_NO_RETENTION = {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"}
_PRECONDITION = {"PreconditionFailed", "ConditionalRequestConflict"}
_CHECKSUM_KEYS = (
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
)


def make_client(
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    addressing_style: str | None = None,
):
    """A boto3 S3 client. Without explicit keys boto3's usual chain applies (environment…).

    Path-style addressing is the default with a custom endpoint (SeaweedFS, MinIO).
    """
    import boto3
    from botocore.config import Config

    if bool(access_key_id) != bool(secret_access_key):
        raise StoreConfigurationError("give both access_key_id and secret_access_key, or neither")
    if addressing_style is None and endpoint_url:
        addressing_style = "path"
    s3_config = {"addressing_style": addressing_style} if addressing_style else {}
    config = Config(s3=s3_config, retries={"mode": "standard", "max_attempts": 3})
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _is_not_found(exc: ClientError) -> bool:
    return _code(exc) in _NOT_FOUND or (_status(exc) == 404 and _code(exc) not in _NO_RETENTION)


def _is_precondition(exc: ClientError) -> bool:
    return _code(exc) in _PRECONDITION or _status(exc) == 412


def _part_entry(number: int, etag: str, source: dict[str, Any]) -> dict[str, Any]:
    entry = {"PartNumber": number, "ETag": etag}
    entry.update({k: source[k] for k in _CHECKSUM_KEYS if source.get(k)})
    return entry


class _BodyReader(io.RawIOBase):
    """A raw binary stream over botocore's StreamingBody (which lacks ``readinto``)."""

    def __init__(self, body):
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        view = memoryview(b).cast("B")
        data = self._body.read(len(view))
        n = len(data)
        view[:n] = data
        return n

    def close(self) -> None:
        try:
            self._body.close()
        finally:
            super().close()


class S3BlobStore(BlobStore):
    enforces_retention = True

    def __init__(
        self,
        client,
        bucket: str,
        *,
        part_size: int = 8 * MiB,
        copy_part_size: int = 512 * MiB,
    ):
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError("part_size must be between 5 MiB and 5 GiB")
        if not MIN_PART_SIZE <= copy_part_size <= MAX_PART_SIZE:
            raise ValueError("copy_part_size must be between 5 MiB and 5 GiB")
        self.client = client
        self.bucket = bucket
        self.part_size = part_size
        self.copy_part_size = copy_part_size
        self._versions: dict[str, tuple[str | None, int]] = {}
        self._default_retention: bool | None = None  # bucket default retention, once known

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r})"

    @staticmethod
    def key(sha256: str) -> str:
        return BLOBS_PREFIX + validate_sha256(sha256)

    @property
    def max_blob_size(self) -> int:
        return self.part_size * MAX_PARTS

    # --- bucket ------------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket with Object Lock enabled, or check that the existing one has it."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "ObjectLockEnabledForBucket": True}
        region = self.client.meta.region_name
        if region and region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self.client.create_bucket(**kwargs)
        except ClientError as exc:
            code = _code(exc)
            if code == "BucketAlreadyExists":  # AWS: someone else's; SeaweedFS: also ours
                try:
                    self.client.head_bucket(Bucket=self.bucket)
                except ClientError:
                    raise StoreConfigurationError(
                        f"bucket {self.bucket!r} exists and is not accessible"
                    ) from exc
            elif code != "BucketAlreadyOwnedByYou":
                raise
        self.check_bucket()

    def check_bucket(self) -> None:
        """Raise :class:`StoreConfigurationError` unless Object Lock is enabled on the bucket."""
        try:
            cfg = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            raise StoreConfigurationError(
                f"bucket {self.bucket!r} has no Object Lock configuration ({_code(exc)})"
            ) from exc
        lock = cfg.get("ObjectLockConfiguration", {})
        if lock.get("ObjectLockEnabled") != "Enabled":
            raise StoreConfigurationError(f"Object Lock is not enabled on bucket {self.bucket!r}")
        self._default_retention = bool(lock.get("Rule", {}).get("DefaultRetention"))

    def _incoming_args(self) -> dict[str, Any]:
        """Lock headers for ``incoming/`` objects.

        With a bucket default retention, an incoming object would be locked by the default and
        could not be deleted after the copy; an explicit short GOVERNANCE retention overrides
        the default and is lifted with ``BypassGovernanceRetention`` on delete.
        """
        if self._default_retention is None:
            try:
                cfg = self.client.get_object_lock_configuration(Bucket=self.bucket)
                rule = cfg.get("ObjectLockConfiguration", {}).get("Rule", {})
            except ClientError:
                rule = {}
            self._default_retention = bool(rule.get("DefaultRetention"))
        if not self._default_retention:
            return {}
        return {
            "ObjectLockMode": "GOVERNANCE",
            "ObjectLockRetainUntilDate": dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        }

    # --- version resolution ------------------------------------------------------------------

    def _resolve(self, sha256: str, *, cached: bool = True) -> tuple[str | None, int] | None:
        """(version id, size) of the oldest surviving version of ``blobs/<sha256>``, or None."""
        key = self.key(sha256)
        if cached and sha256 in self._versions:
            return self._versions[sha256]
        versions = []
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            for v in page.get("Versions", []):
                if v["Key"] == key:  # newest first within a key: the last seen is the oldest
                    vid = v.get("VersionId")
                    versions.append((None if vid in (None, "null") else vid, int(v["Size"])))
        found = versions[-1] if versions else None
        if len(versions) > 1:  # only a repair writes a second version: look for its pointer
            repaired = self._repaired_version(sha256)
            chosen = next((v for v in versions if v[0] == repaired), None)
            if chosen is not None and self._checksum_is(sha256, chosen[0]):
                found = chosen
            elif chosen is not None:
                log.warning("repaired/%s names a version without its SHA-256: ignored", sha256)
        if found is not None:
            self._remember(sha256, *found)
        else:
            self._versions.pop(sha256, None)
        return found

    def _repaired_version(self, sha256: str) -> str | None:
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=REPAIRED_PREFIX + sha256)
        except ClientError as exc:
            if _is_not_found(exc):
                return None
            raise
        return resp["Body"].read().decode("ascii").strip() or None

    def _checksum_is(self, sha256: str, version_id: str | None) -> bool:
        """Whether the version carries the SHA-256 checksum of its name, which the server checked
        against the bytes when they were written: a pointer to anything else is not followed,
        so a stray PutObject plus a forged pointer cannot replace what is read."""
        head = self.client.head_object(**self._vargs(sha256, version_id), ChecksumMode="ENABLED")
        return head.get("ChecksumSHA256") == base64.b64encode(bytes.fromhex(sha256)).decode()

    def _remember(self, sha256: str, version_id: str | None, size: int) -> None:
        if len(self._versions) > 100_000:
            self._versions.clear()
        self._versions[sha256] = (version_id, size)

    def _require(self, sha256: str) -> tuple[str | None, int]:
        found = self._resolve(sha256)
        if found is None:
            raise BlobNotFound(sha256)
        return found

    def _vargs(self, sha256: str, version_id: str | None) -> dict[str, Any]:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key(sha256)}
        if version_id:
            args["VersionId"] = version_id
        return args

    # --- writing -----------------------------------------------------------------------------

    def put(self, stream: BinaryIO, *, retain_until: dt.datetime | None = None) -> BlobInfo:
        until = normalise_retain_until(retain_until) if retain_until is not None else None
        first = read_full(stream, self.part_size)
        peek = read_full(stream, 1) if len(first) == self.part_size else b""
        if not peek:
            return self._put_single(first, until)
        pending = [first]
        del first  # _put_multipart owns the buffer now and drops it after uploading
        return self._put_multipart(stream, pending, bytes(peek), until)

    def _lock_args(self, until: dt.datetime | None) -> dict[str, Any]:
        if until is None:
            return {}
        return {"ObjectLockMode": COMPLIANCE, "ObjectLockRetainUntilDate": until}

    def _put_single(self, data: bytes | bytearray, until: dt.datetime | None) -> BlobInfo:
        digest = hashlib.sha256(data).digest()
        sha256 = digest.hex()
        if self._resolve(sha256, cached=False) is not None:
            self._extend_if_later(sha256, until)
            return BlobInfo(sha256=sha256, size=len(data), created=False)
        try:
            resp = self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(sha256),
                Body=data,
                ContentType=CONTENT_TYPE,
                ChecksumSHA256=base64.b64encode(digest).decode("ascii"),
                IfNoneMatch="*",
                **self._lock_args(until),
            )
        except ClientError as exc:
            if _is_precondition(exc) and self._resolve(sha256, cached=False) is not None:
                self._extend_if_later(sha256, until)  # a concurrent put stored it first
                return BlobInfo(sha256=sha256, size=len(data), created=False)
            if _code(exc) in ("BadDigest", "XAmzContentSHA256Mismatch"):
                raise IntegrityError(f"server received other bytes than {sha256}") from exc
            raise
        self._check_created(sha256, resp.get("VersionId"), len(data), until)
        return BlobInfo(sha256=sha256, size=len(data), created=True)

    def _put_multipart(
        self, stream: BinaryIO, pending: list, peek: bytes, until: dt.datetime | None
    ) -> BlobInfo:
        tmp_key = f"{INCOMING_PREFIX}{uuid.uuid4().hex}"
        incoming_args = self._incoming_args()
        upload = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=tmp_key, ContentType=CONTENT_TYPE, **incoming_args
        )
        upload_id = upload["UploadId"]
        h = hashlib.sha256()
        size = 0
        parts = []
        try:
            chunk = pending.pop()
            number = 1
            while chunk:
                if number > MAX_PARTS:
                    raise BlobStoreError(f"blob larger than {self.max_blob_size} bytes")
                h.update(chunk)
                size += len(chunk)
                resp = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=tmp_key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=chunk,
                )
                parts.append(_part_entry(number, resp["ETag"], resp))
                number += 1
                chunk = None  # free this part before reading the next
                chunk = read_full(stream, self.part_size, peek)
                peek = b""
            done = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=tmp_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            self._abort(tmp_key, upload_id)
            raise
        tmp_version = done.get("VersionId")
        sha256 = h.hexdigest()
        try:
            if self._resolve(sha256, cached=False) is not None:
                self._extend_if_later(sha256, until)
                created = False
            else:
                created = self._copy_locked(tmp_key, tmp_version, sha256, size, until)
        finally:
            self._delete_incoming(tmp_key, tmp_version, bypass=bool(incoming_args))
        return BlobInfo(sha256=sha256, size=size, created=created)

    def _copy_locked(
        self,
        src_key: str,
        src_version: str | None,
        sha256: str,
        size: int,
        until: dt.datetime | None,
    ) -> bool:
        """Server-side multipart copy of the incoming object to ``blobs/<sha256>``, locked."""
        key = self.key(sha256)
        source: dict[str, str] = {"Bucket": self.bucket, "Key": src_key}
        if src_version and src_version != "null":
            source["VersionId"] = src_version
        part = min(MAX_PART_SIZE, max(self.copy_part_size, math.ceil(size / MAX_PARTS)))
        upload = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=CONTENT_TYPE, **self._lock_args(until)
        )
        upload_id = upload["UploadId"]
        parts = []
        try:
            for number, offset in enumerate(range(0, size, part), start=1):
                last = min(offset + part, size) - 1
                resp = self.client.upload_part_copy(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=source,
                    CopySourceRange=f"bytes={offset}-{last}",
                )
                result = resp["CopyPartResult"]
                parts.append(_part_entry(number, result["ETag"], result))
            done = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except ClientError as exc:
            self._abort(key, upload_id)
            if _is_precondition(exc) and self._resolve(sha256, cached=False) is not None:
                self._extend_if_later(sha256, until)
                return False
            raise
        except BaseException:
            self._abort(key, upload_id)
            raise
        self._check_created(sha256, done.get("VersionId"), size, until)
        return True

    def repair(
        self,
        sha256: str,
        path: str | os.PathLike[str],
        *,
        retain_until: dt.datetime | None = None,
    ) -> BlobInfo:
        """Write the verified bytes as a new locked version of ``blobs/<sha256>`` and point
        ``repaired/<sha256>`` at it; the damaged version stays, locked, as evidence."""
        validate_sha256(sha256)
        until = normalise_retain_until(retain_until) if retain_until is not None else None
        if self._resolve(sha256, cached=False) is not None:
            current = self.retention(sha256)
            if current is not None and (until is None or current[1] > until):
                until = current[1]  # the new version is kept at least as long as the old one
        with open(path, "rb") as f:
            actual, size = hash_stream(f, self.part_size)
        if actual != sha256:
            raise IntegrityError(f"{path}: its SHA-256 is {actual}, not {sha256}")
        if size > MAX_PART_SIZE:  # one PutObject carries a whole-object SHA-256 up to 5 GiB
            raise BlobStoreError(f"{sha256}: blobs over 5 GiB cannot be repaired through S3")
        with open(path, "rb") as f:
            version_id = self._put_version(sha256, f, size, until)
        self.client.put_object(
            Bucket=self.bucket,
            Key=REPAIRED_PREFIX + sha256,
            Body=(version_id or "").encode("ascii"),
            ContentType="text/plain",
            **self._lock_args(until),
        )
        self._check_created(sha256, version_id, size, until)
        return BlobInfo(sha256=sha256, size=size, created=True)

    def _put_version(self, sha256: str, f: BinaryIO, size: int, until) -> str | None:
        """A new version of ``blobs/<sha256>`` from ``f`` (already verified); its version id.

        One PutObject (streamed from the file) with the SHA-256 checksum, which the server
        verifies and keeps, so that :meth:`_resolve` can trust the version.
        """
        resp = self.client.put_object(
            Bucket=self.bucket,
            Key=self.key(sha256),
            Body=f,
            ContentLength=size,
            ContentType=CONTENT_TYPE,
            ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode("ascii"),
            **self._lock_args(until),
        )
        return resp.get("VersionId")

    def _check_created(
        self, sha256: str, version_id: str | None, size: int, until: dt.datetime | None
    ) -> None:
        """Check the new version's size, and that it is locked as asked (else lock it now)."""
        if version_id == "null":
            version_id = None
        head = self.client.head_object(**self._vargs(sha256, version_id))
        version_id = version_id or head.get("VersionId")
        if version_id == "null":
            version_id = None
        if int(head["ContentLength"]) != size:
            raise IntegrityError(
                f"stored {head['ContentLength']} bytes for {sha256}, expected {size}"
            )
        self._remember(sha256, version_id, size)
        if until is None:
            return
        mode = head.get("ObjectLockMode")
        current = head.get("ObjectLockRetainUntilDate")
        if mode != COMPLIANCE or current is None or current < until:
            log.warning("server did not apply the Object Lock headers to %s; applying now", sha256)
            self.client.put_object_retention(
                **self._vargs(sha256, version_id),
                Retention={"Mode": COMPLIANCE, "RetainUntilDate": until},
            )

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception:  # the original error matters more; cleanup() retries later
            log.warning("could not abort multipart upload %s of %s", upload_id, key, exc_info=True)

    def _delete_incoming(self, key: str, version_id: str | None, *, bypass: bool) -> None:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id and version_id != "null":
            args["VersionId"] = version_id  # without it a versioned bucket only adds a marker
        if bypass:
            args["BypassGovernanceRetention"] = True
        try:
            self.client.delete_object(**args)
        except ClientError:
            log.warning("could not delete %s; cleanup() will retry", key, exc_info=True)

    # --- reading -----------------------------------------------------------------------------

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> BinaryIO:
        check_range(start, end)
        for attempt in (1, 2):
            version_id, size = self._require(sha256)
            stop = size if end is None else min(end, size)
            if start >= stop:
                return io.BytesIO(b"")
            args = self._vargs(sha256, version_id)
            if start or stop != size:
                args["Range"] = f"bytes={start}-{stop - 1}"
            try:
                resp = self.client.get_object(**args)
            except ClientError as exc:
                if _is_not_found(exc) and attempt == 1:
                    self._versions.pop(sha256, None)  # stale cache: resolve again
                    continue
                if _is_not_found(exc):
                    raise BlobNotFound(sha256) from exc
                raise
            return io.BufferedReader(_BodyReader(resp["Body"]), buffer_size=MiB)
        raise BlobNotFound(sha256)  # pragma: no cover

    def exists(self, sha256: str) -> bool:
        return self._resolve(sha256) is not None

    def size(self, sha256: str) -> int:
        return self._require(sha256)[1]

    def iter_blobs(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_object_versions")
        last = None
        for page in paginator.paginate(Bucket=self.bucket, Prefix=BLOBS_PREFIX):
            for v in page.get("Versions", []):
                sha256 = v["Key"][len(BLOBS_PREFIX) :]
                if sha256 != last and _SHA256_RE.fullmatch(sha256):
                    last = sha256
                    yield sha256

    # --- retention and legal hold ------------------------------------------------------------

    def retention(self, sha256: str) -> tuple[str, dt.datetime] | None:
        """(mode, retain-until) in force on the blob, or None."""
        version_id, _ = self._require(sha256)
        try:
            resp = self.client.get_object_retention(**self._vargs(sha256, version_id))
        except ClientError as exc:
            if _code(exc) in _NO_RETENTION:
                return None
            raise
        ret = resp.get("Retention") or {}
        if not ret.get("RetainUntilDate"):
            return None
        return ret.get("Mode", ""), ret["RetainUntilDate"]

    def extend_retention(self, sha256: str, until: dt.datetime) -> None:
        """COMPLIANCE retention until ``until``; an earlier date raises RetentionShortening."""
        until = normalise_retain_until(until)
        version_id, _ = self._require(sha256)
        current = self.retention(sha256)
        if current is not None:
            mode, current_until = current
            if current_until > until:
                raise RetentionShortening(sha256, current_until, until)
            if current_until == until and mode == COMPLIANCE:
                return
        try:
            self.client.put_object_retention(
                **self._vargs(sha256, version_id),
                Retention={"Mode": COMPLIANCE, "RetainUntilDate": until},
            )
        except ClientError as exc:
            now = self.retention(sha256)
            if _code(exc) == "AccessDenied" and now is not None and now[1] > until:
                raise RetentionShortening(sha256, now[1], until) from exc
            raise

    def _extend_if_later(self, sha256: str, until: dt.datetime | None) -> None:
        if until is None:
            return
        current = self.retention(sha256)
        if current is None or current[1] < until or current[0] != COMPLIANCE:
            with contextlib.suppress(RetentionShortening):  # a put never shortens
                self.extend_retention(sha256, until)

    def set_legal_hold(self, sha256: str, on: bool) -> None:
        version_id, _ = self._require(sha256)
        self.client.put_object_legal_hold(
            **self._vargs(sha256, version_id), LegalHold={"Status": "ON" if on else "OFF"}
        )

    def legal_hold(self, sha256: str) -> bool:
        version_id, _ = self._require(sha256)
        try:
            resp = self.client.get_object_legal_hold(**self._vargs(sha256, version_id))
        except ClientError as exc:
            if _code(exc) in _NO_RETENTION or _code(exc) == "NoSuchObjectLegalHold":
                return False
            raise
        return resp.get("LegalHold", {}).get("Status") == "ON"

    # --- disposal ------------------------------------------------------------------------------

    def dispose(self, sha256: str, *, now: dt.datetime | None = None) -> None:
        """Delete every version of ``blobs/<sha256>`` (and its delete markers), by version id.

        Checked first, version by version: a COMPLIANCE or GOVERNANCE retain-until date still
        in the future, or a legal hold ON, refuses the whole disposal with
        :class:`RetentionInForce` before anything is deleted. The server enforces the same
        (``AccessDenied`` on a locked version), so a clock that is wrong here cannot destroy
        locked content.
        """
        validate_sha256(sha256)
        key = self.key(sha256)
        now = now or dt.datetime.now(dt.UTC)
        versions, markers = self._all_versions(key)
        if not versions:
            raise BlobNotFound(sha256)
        for version_id in versions:
            self._check_disposable(sha256, version_id, now)
        for version_id in versions + markers:
            self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)
        self._versions.pop(sha256, None)

    def _all_versions(self, key: str) -> tuple[list[str], list[str]]:
        versions: list[str] = []
        markers: list[str] = []
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            versions += [v["VersionId"] for v in page.get("Versions") or [] if v["Key"] == key]
            markers += [m["VersionId"] for m in page.get("DeleteMarkers") or [] if m["Key"] == key]
        return versions, markers

    def _check_disposable(self, sha256: str, version_id: str, now: dt.datetime) -> None:
        args = self._vargs(sha256, version_id)
        try:
            until = self.client.get_object_retention(**args)["Retention"].get("RetainUntilDate")
        except ClientError as exc:
            if _code(exc) not in _NO_RETENTION:
                raise
            until = None
        if until is not None and until > now:
            raise RetentionInForce(sha256, f"retained until {until.isoformat()}")
        try:
            hold = self.client.get_object_legal_hold(**args)["LegalHold"].get("Status")
        except ClientError as exc:
            if _code(exc) not in _NO_RETENTION and _code(exc) != "NoSuchObjectLegalHold":
                raise
            hold = None
        if hold == "ON":
            raise RetentionInForce(sha256, "legal hold is on")

    # --- housekeeping ------------------------------------------------------------------------

    def cleanup(self, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
        """Abort stale multipart uploads and delete stale ``incoming/`` objects."""
        limit = dt.datetime.now(dt.UTC) - older_than
        removed = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket):
            for up in page.get("Uploads", []) or []:
                key = up["Key"]
                if not key.startswith((INCOMING_PREFIX, BLOBS_PREFIX)):
                    continue
                if up["Initiated"] <= limit:
                    self._abort(key, up["UploadId"])
                    removed += 1
        bypass = bool(self._incoming_args())
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=INCOMING_PREFIX):
            for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or []):
                if v["LastModified"] <= limit:
                    self._delete_incoming(v["Key"], v.get("VersionId"), bypass=bypass)
                    removed += 1
        return removed
