"""Resumable uploads: create, append, complete and terminate (the tus views call these).

Every state change (created, completed, terminated) is a ledger event in the same transaction as
the change. The bytes of an unfinished upload live in ``VAR_DIR/uploads/<id>``; a finished one
is streamed into the blob store, which deduplicates by SHA-256.

Locking: appending holds an exclusive ``flock`` on the partial file for the whole request body,
so two PATCHes of one upload never interleave (the second is refused with 423 at once). The
database row is locked with ``select_for_update`` only for the short transactions that move the
offset or the status: on SQLite a transaction is a database-wide write lock, and holding one while
a slow client sends a gigabyte would stall every other writer.
"""

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.lib import sha256state
from quancheng.lib.blobstore import BlobInfo, BlobStore, blob_store_from_url
from quancheng.orgs import capabilities as caps

from .bodyread import BodyReader, ReadAdapter
from .models import Blob, Upload, upload_dir
from .receive import receive_into
from .sm3 import file_digests

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MiB = 1024 * 1024
MAX_FILENAME_LENGTH = 255


class UploadError(Exception):
    """A refused request: HTTP status, a stable code and a message for people (Chinese)."""

    def __init__(self, status: int, code: str, message: str, offset: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.offset = offset


def blob_store():
    """The blob store configured by QC_BLOB_STORE."""
    return blob_store_from_url(settings.QC_BLOB_STORE)


def register_blob(info, agency) -> Blob:
    """Note that the platform keeps these bytes (in the caller's transaction); idempotent."""
    blob, _ = Blob.objects.get_or_create(
        sha256=info.sha256, defaults={"size": info.size, "agency": agency}
    )
    return blob


def clean_filename(name: str) -> str:
    """The file name as sent, if it is a plain name; path parts and control characters refused.

    The name is only a label (the bytes are stored under the upload's id and then their hash),
    but a name like ``../../etc/passwd`` is an error the sender should hear about.
    """
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        return ""
    if len(name) > MAX_FILENAME_LENGTH:
        raise UploadError(
            400, "filename_too_long", f"文件名过长：最多 {MAX_FILENAME_LENGTH} 个字符"
        )
    if (
        name in (".", "..")
        or any(c in name for c in "/\\")
        or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name)
    ):
        raise UploadError(400, "invalid_filename", "文件名不合法：不能包含路径或控制字符")
    return name


def create_upload(user: "User", length: int, metadata: dict[str, str]) -> Upload:
    """Open a resumable upload of ``length`` bytes for the user (tus creation)."""
    if length <= 0:
        raise UploadError(400, "empty_upload", "不接受空文件（Upload-Length 为 0）")
    if length > settings.QC_UPLOAD_MAX_SIZE:
        raise UploadError(
            413, "too_large", f"文件超过允许的最大长度 {settings.QC_UPLOAD_MAX_SIZE} 字节"
        )
    if user.agency_id is None:
        raise UploadError(403, "no_agency", "没有所属单位的用户不能上传执法记录")
    filename = clean_filename(metadata.get("filename") or metadata.get("name") or "")
    _check_intended_act(user, metadata.get("act"))
    upload_dir().mkdir(parents=True, exist_ok=True)
    with transaction.atomic(durable=True):
        upload = Upload.objects.create(
            user=user, agency_id=user.agency_id, length=length, metadata=metadata, filename=filename
        )
        # The empty partial file exists before the row commits: a failure here rolls back both.
        with open(upload.partial_path, "xb") as f:
            os.fsync(f.fileno())
        record_event(
            user,
            Action.UPLOAD_CREATED,
            upload,
            {"length": length, "filename": filename, "metadata": metadata},
        )
    return upload


def _check_intended_act(user: "User", act_id: str | None) -> None:
    """An upload announced for an act (metadata ``act``, the upload page sends it) must be for an
    act the user may add records to: refused before a single byte is stored."""
    if act_id is None:
        return

    act = None
    if act_id.isdigit() and len(act_id) < 19:
        act = Act.objects.visible_to(user).filter(pk=int(act_id)).select_related("agency").first()
    if act is None:
        raise UploadError(404, "act_not_found", "执法行为不存在或不在您的管辖范围内")
    verdict = caps.check(user, caps.RECORDS_UPLOAD, act)
    if not verdict:
        raise UploadError(403, "forbidden", verdict.reason or "无权为该执法行为上传记录")


def initial_retain_until():
    """The write-once retention every stored upload gets at once (A22: at least 6 months).

    Archiving extends it later (evidence is kept as long as its dossier); it is never shortened.
    Stores that cannot enforce retention (the local folder) ignore it.
    """
    return timezone.now() + dt.timedelta(days=settings.QC_BLOB_MIN_RETENTION_DAYS)


def put_record(stream, *, store: BlobStore | None = None) -> BlobInfo:
    """Store a record's bytes: the one way content enters the blob store (with put_record_file).

    Every kind of record (uploads, finalised PDFs, signature images, extraction notes and
    packages, derivatives, dock ingest, tables of contents, reports) is locked write-once from
    its first byte with the minimum retention; archiving extends it later. A put without a
    retain-until date would leave the object deletable through the S3 API (issue 16, point 8).
    """
    return (store or blob_store()).put(stream, retain_until=initial_retain_until())


def put_record_file(path, *, sha256: str | None = None) -> BlobInfo:
    """Like :func:`put_record` for a finished file (a local store links it in, no copy)."""
    return blob_store().put_file(path, retain_until=initial_retain_until(), sha256=sha256)


@contextlib.contextmanager
def _locked_partial(upload: Upload):
    """The partial file opened r+b under an exclusive flock; 423 when another request holds it."""
    f: IO[bytes] | None
    try:
        f = open(upload.partial_path, "r+b")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        f = None
    except PermissionError:
        # Made read-only (0o400) by a completion that linked it into the blob store and died
        # before committing: only an empty PATCH can follow, which reads it to complete again.
        f = open(upload.partial_path, "rb")  # noqa: SIM115 - closed below
    try:
        if f is not None:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UploadError(
                    423, "upload_locked", "该上传正在被另一个请求写入，请稍后查询偏移量再续传"
                ) from None
        yield f
    finally:
        if f is not None:
            f.close()  # releases the lock


def check_live(upload: Upload) -> None:
    """410 for an upload that can no longer take bytes: terminated, or expired (tus Expiration)."""
    if upload.status == Upload.Status.TERMINATED:
        raise UploadError(410, "upload_terminated", "该上传已终止")
    if upload.status == Upload.Status.EXPIRED or upload.has_expired():
        raise UploadError(410, "upload_expired", "该上传长时间未继续，已过期，请重新上传")


def _check_state(upload: Upload, client_offset: int) -> None:
    check_live(upload)
    if client_offset != upload.offset:
        raise UploadError(
            409,
            "offset_mismatch",
            f"Upload-Offset 与服务器记录的偏移量 {upload.offset} 不一致",
            offset=upload.offset,
        )


@dataclass(frozen=True)
class Checksum:
    """A PATCH's ``Upload-Checksum`` (tus Checksum extension): the digest of its body."""

    algorithm: str  # a hashlib name: sha1, sha256
    digest: bytes

    def new(self):
        return hashlib.new(self.algorithm, usedforsecurity=False)


class _Tee:
    """Feeds the bytes to several digests in order (the upload's SHA-256 and the checksum)."""

    def __init__(self, *digests):
        self.digests = [d for d in digests if d is not None]

    def update(self, data) -> None:
        for d in self.digests:
            d.update(data)


@dataclass
class AppendResult:
    upload: Upload
    interrupted: bool  # the client stopped sending before Content-Length


def append(
    upload: Upload,
    client_offset: int,
    body: BodyReader | Callable[[int], bytes],
    content_length: int,
    checksum: Checksum | None = None,
) -> AppendResult:
    """Append the request body at ``client_offset``; complete the upload when it is all there.

    ``body`` is a BodyReader (records/bodyread.py) or a ``read(n)`` callable returning up to n
    bytes (b"" at the end); either may raise OSError when the client disconnects: the bytes
    received until then are kept, as tus expects.

    With ``checksum`` the body must be complete and match it, else 460 and none of it is kept:
    the file is cut back to ``client_offset`` and neither the offset nor the hash state moves.
    """
    reader = body if hasattr(body, "readinto") else ReadAdapter(body)
    _check_state(upload, client_offset)
    if upload.status == Upload.Status.COMPLETE:
        if content_length:
            raise UploadError(400, "exceeds_length", "上传已完成，不能再追加数据")
        return AppendResult(upload, False)
    if client_offset + content_length > upload.length:
        raise UploadError(400, "exceeds_length", "数据超出声明的 Upload-Length")
    with _locked_partial(upload) as f:
        # Another PATCH may have moved the offset between the caller's read and our lock.
        upload.refresh_from_db()
        _check_state(upload, client_offset)
        if f is None:
            raise UploadError(410, "upload_terminated", "该上传的数据已不存在")
        # Bytes past the committed offset are left over from a request that died before its
        # commit: they were never acknowledged, so they are dropped.
        f.seek(client_offset)
        if os.fstat(f.fileno()).st_size != client_offset:
            f.truncate()
        # The hash continues from the state committed with the offset, whichever process
        # received the earlier PATCHes. Without one (libcrypto's SHA256 unavailable, an upload
        # from before states were kept) nothing is hashed and the completion reads the file.
        digest = None
        state = upload.hash_state
        if client_offset == 0 or state:
            digest = sha256state.resume(bytes(state) if client_offset and state else None)
        check = checksum.new() if checksum is not None else None
        hashing = digest if check is None else _Tee(digest, check)
        result = receive_into(f, reader, content_length, hashing)
        received, interrupted = result.size, result.interrupted
        if (
            check is not None
            and checksum is not None
            and (interrupted or check.digest() != checksum.digest)
        ):
            _discard(f, client_offset)
            raise UploadError(
                460,
                "checksum_mismatch",
                "本次发送的数据与 Upload-Checksum 不符（传输中被改动或不完整），未保存，请重发",
                offset=client_offset,
            )
        f.flush()
        os.fsync(f.fileno())
        if received:
            # Progress is bookkeeping, not evidence: a PATCH is not a ledger event (it would
            # flood the ledger with one event per chunk). Creation, completion and termination
            # are recorded.
            with transaction.atomic(durable=True):
                locked = Upload.objects.select_for_update().get(pk=upload.pk)
                locked.offset = client_offset + received
                locked.hash_state = digest.state() if digest is not None else None
                locked.updated_at = timezone.now()
                locked.save(update_fields=["offset", "hash_state", "updated_at"])
            upload = locked
        if upload.offset == upload.length:
            upload = _complete(upload, f)
    return AppendResult(upload, interrupted)


def _discard(f, offset: int) -> None:
    """Cut the partial file back to the committed ``offset`` (a refused PATCH's bytes)."""
    f.flush()
    f.truncate(offset)
    f.seek(offset)
    os.fsync(f.fileno())


def _complete(upload: Upload, f) -> Upload:
    """Put the partial file into the blob store, record the completion, remove the file.

    Runs under the partial file's flock. A local store on the same filesystem links the file in
    under its hash (one read to hash it, no copy: ``LocalBlobStore.put_file``); other stores copy
    it. If the store fails, or the process dies before the completion commits, the upload stays
    ``receiving`` with offset == length and an empty PATCH at that offset completes it later.
    """
    from . import repair  # repair.py builds on this module's store helpers: imported late

    f.flush()
    sha256 = _hashed(upload)
    damaged = repair.repairable(sha256) if sha256 else None
    if damaged is not None:
        # The genuine bytes of a blob whose stored copy is known damaged: deduplicating would
        # leave the damage in place, so they replace it (a repair, recorded below).
        try:
            info = repair.replace_copy(damaged, upload.partial_path)
        except repair.RepairRefused as e:  # pragma: no cover - the hash and size are ours
            raise UploadError(500, e.code, e.message) from None
    else:
        info = put_record_file(upload.partial_path, sha256=sha256)
    if info.size != upload.length:  # pragma: no cover - the file is ours and locked
        raise RuntimeError(
            f"upload {upload.pk}: stored {info.size} bytes, expected {upload.length}"
        )
    with transaction.atomic(durable=True):
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        register_blob(info, upload.agency)
        now = timezone.now()
        upload.status = Upload.Status.COMPLETE
        upload.sha256 = info.sha256
        upload.blob_created = info.created
        upload.completed_at = now
        upload.updated_at = now
        upload.hash_state = None  # the digest is in sha256 now; nothing will continue it
        upload.save(
            update_fields=[
                "status",
                "sha256",
                "blob_created",
                "completed_at",
                "updated_at",
                "hash_state",
            ]
        )
        record_event(
            upload.user,
            Action.UPLOAD_COMPLETED,
            upload,
            {
                **file_digests(info.sha256),
                "size": info.size,
                "deduplicated": not info.created,
                "filename": upload.filename,
                "repaired": damaged is not None,
            },
        )
        if damaged is not None:
            repair.note_repaired(upload.user, damaged, source=f"upload {upload.pk}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(upload.partial_path)
    return upload


def _hashed(upload: Upload) -> str | None:
    """The digest of the whole upload from its committed hash state, if it has one."""
    if not upload.hash_state or upload.offset != upload.length:
        return None
    return sha256state.ResumableSha256(bytes(upload.hash_state)).hexdigest()


def terminate(upload: Upload, actor: "User") -> Upload:
    """End an upload that has not completed and discard its partial file (tus termination)."""
    check_live(upload)
    if upload.status == Upload.Status.COMPLETE:
        raise UploadError(409, "upload_complete", "已完成的上传已存入记录库，不能终止")
    with _locked_partial(upload):
        with transaction.atomic(durable=True):
            upload = Upload.objects.select_for_update().get(pk=upload.pk)
            if upload.status != Upload.Status.RECEIVING:
                raise UploadError(409, "upload_not_receiving", "该上传已不在接收中")
            upload.status = Upload.Status.TERMINATED
            upload.hash_state = None
            upload.updated_at = timezone.now()
            upload.save(update_fields=["status", "hash_state", "updated_at"])
            record_event(
                actor,
                Action.UPLOAD_TERMINATED,
                upload,
                {"offset": upload.offset, "length": upload.length, "filename": upload.filename},
            )
        with contextlib.suppress(FileNotFoundError):
            os.unlink(upload.partial_path)
    return upload


def expire_uploads(now: dt.datetime | None = None) -> int:
    """Give up unfinished uploads untouched for QC_UPLOAD_EXPIRY_DAYS: status ``expired``, an
    ``upload.expired`` event, the partial file removed. How many expired (the periodic task)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.QC_UPLOAD_EXPIRY_DAYS)
    expired = 0
    stale = Upload.objects.filter(status=Upload.Status.RECEIVING, updated_at__lte=cutoff)
    for upload in stale.iterator():
        try:
            with _locked_partial(upload):
                expired += _expire(upload, now)
        except UploadError:  # a PATCH is writing to it right now: not abandoned
            continue
    return expired


def _expire(upload: Upload, now: dt.datetime) -> int:
    with transaction.atomic(durable=True):
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        if not upload.has_expired(now):
            return 0
        upload.status = Upload.Status.EXPIRED
        upload.hash_state = None
        upload.save(update_fields=["status", "hash_state"])
        record_event(
            None,
            Action.UPLOAD_EXPIRED,
            upload,
            {
                "offset": upload.offset,
                "length": upload.length,
                "filename": upload.filename,
                "last_activity": upload.updated_at.isoformat(),
            },
            agency=upload.agency,
        )
    with contextlib.suppress(FileNotFoundError):
        os.unlink(upload.partial_path)
    return 1
