"""Repairing a damaged blob (修复): the custodian supplies the genuine bytes, the platform checks
them against the recorded SHA-256 and replaces the damaged copy.

The genuine bytes come from a re-upload (a tus upload of the same file completes as a repair:
records/services.py), an offline copy or a backup (``manage.py repair_blob SHA256 FILE``).
Nothing is replaced unless the supplied bytes hash to the blob's name and have its registered
size. A repair clears ``Blob.damaged_at`` (the blob is served again), is recorded as a
``blob.repaired`` ledger event and closes the open ``fixity.mismatch``/``fixity.missing`` alerts
of the blob, all in one transaction. See docs/fixity.md, "Repair".
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from django.db import transaction

from quancheng.alerts.services import close_alerts_for
from quancheng.ledger.services import record_event
from quancheng.lib.blobstore import BlobInfo, BlobStoreError, IntegrityError
from quancheng.records.models import Blob
from quancheng.records.sm3 import file_digests

if TYPE_CHECKING:
    from quancheng.orgs.models import User


ALERT_KINDS = ("fixity.mismatch", "fixity.missing")


class RepairRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def repairable(sha256: str) -> Blob | None:
    """The registered blob of these bytes if it is known damaged (its last check failed)."""
    return Blob.objects.filter(
        pk=sha256, damaged_at__isnull=False, disposed_at__isnull=True
    ).first()


def replace_copy(blob: Blob, path: str | os.PathLike[str]) -> BlobInfo:
    """Put the verified bytes of ``path`` in place of the blob's damaged copy (no database)."""
    from quancheng.records.services import blob_store, initial_retain_until

    if os.stat(path).st_size != blob.size:
        raise RepairRefused("size_mismatch", "提供的文件大小与登记的不符，未作修复")
    try:
        return blob_store().repair(blob.sha256, path, retain_until=initial_retain_until())
    except IntegrityError:
        raise RepairRefused(
            "digest_mismatch", "提供的文件与登记的 SHA-256 不符，不是原件，未作修复"
        ) from None
    except BlobStoreError as e:
        raise RepairRefused("store_refused", f"存储拒绝了修复：{e}") from None


def note_repaired(actor: User | None, blob: Blob, source: str) -> None:
    """Record the repair and close the blob's alerts, in the caller's transaction."""
    damaged_at = blob.damaged_at
    Blob.objects.filter(pk=blob.pk).update(damaged_at=None)
    blob.damaged_at = None
    record_event(
        actor,
        "blob.repaired",
        None,
        {
            **file_digests(blob.sha256),
            "size": blob.size,
            "source": source,
            "damaged_at": damaged_at.isoformat() if damaged_at else None,
        },
        object_type=Blob._meta.label_lower,
        object_id=blob.sha256,
        agency=blob.agency,
    )
    for kind in ALERT_KINDS:
        close_alerts_for(
            kind,
            object_type=Blob._meta.label_lower,
            object_id=blob.sha256,
            note=f"已用核对一致的原件修复（来源：{source}）",
        )


def repair_blob(
    actor: User | None, sha256: str, path: str | os.PathLike[str], *, source: str
) -> Blob:
    """Repair a damaged blob from the file at ``path`` (an offline copy, a backup)."""
    blob = Blob.objects.select_related("agency").filter(pk=sha256).first()
    if blob is None:
        raise RepairRefused("blob_unknown", "平台没有登记该 SHA-256 的文件")
    if blob.disposed_at is not None:
        raise RepairRefused("blob_disposed", "该文件已按规定销毁，不能修复")
    if blob.damaged_at is None:
        raise RepairRefused(
            "blob_not_damaged",
            "该文件最近一次完整性校验通过，无需修复；如怀疑损坏，请先运行完整性校验",
        )
    replace_copy(blob, path)
    with transaction.atomic(durable=True):
        note_repaired(actor, blob, source)
    return blob
