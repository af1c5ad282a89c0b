"""Repairing a damaged blob (修复): the genuine bytes replace the damaged stored copy.

A blob whose last fixity check failed (``Blob.damaged_at``) is not served until the custodian
supplies its genuine bytes: a re-upload (a tus upload of the same file completes as a repair:
records/services.py), an offline copy or a backup (``manage.py repair_blob``,
quancheng.fixity.repair). Nothing is replaced unless the supplied bytes hash to the blob's name
and have its registered size. A repair clears ``damaged_at`` (the blob is served again) and is
recorded as a ``blob.repaired`` ledger event, and announced (:data:`blob_repaired`: the fixity
app closes the blob's open ``fixity.mismatch``/``fixity.missing`` alerts), in one transaction.
See docs/fixity.md, "Repair".
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.lib.blobstore import BlobInfo, BlobStoreError, IntegrityError

from .models import Blob
from .services import blob_store, initial_retain_until
from .signals import blob_repaired
from .sm3 import file_digests

if TYPE_CHECKING:
    from quancheng.orgs.models import User


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
    """Record the repair and announce it (the blob's alerts are closed), in the caller's
    transaction."""
    require_own_transaction("records.repair.note_repaired")
    damaged_at = blob.damaged_at
    Blob.objects.filter(pk=blob.pk).update(damaged_at=None)
    blob.damaged_at = None
    record_event(
        actor,
        Action.BLOB_REPAIRED,
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
    blob_repaired.send(Blob, blob=blob, source=source)
