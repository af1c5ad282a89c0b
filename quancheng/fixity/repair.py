"""Repairing a damaged blob (修复) from an offline copy or a backup, and closing its alerts.

The repair itself (check the supplied bytes against the recorded SHA-256 and size, replace the
damaged copy, clear ``Blob.damaged_at``, the ``blob.repaired`` event) is records'
(quancheng.records.repair), which a re-upload also goes through. Here: the command's service
(``manage.py repair_blob SHA256 FILE``), and the answer to
:data:`quancheng.records.signals.blob_repaired`: the blob's open ``fixity.mismatch``/
``fixity.missing`` alerts closed in the repairing transaction. See docs/fixity.md, "Repair".
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from django.db import transaction

from quancheng.alerts.services import close_alerts_for
from quancheng.records.models import Blob
from quancheng.records.repair import RepairRefused, note_repaired, replace_copy

if TYPE_CHECKING:
    from quancheng.orgs.models import User


ALERT_KINDS = ("fixity.mismatch", "fixity.missing")


def close_repaired_alerts(sender, *, blob: Blob, source: str, **kwargs) -> None:
    """A repaired blob's open ``fixity.mismatch``/``fixity.missing`` alerts are closed, in the
    repairing transaction (records.signals.blob_repaired)."""
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
