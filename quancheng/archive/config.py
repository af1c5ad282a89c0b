"""The retention configuration (保管期限配置): which retention class each dossier kind gets.

State Archives Administration Order No. 8 (国家档案局令第8号, 《机关文件材料归档范围和文书档案
保管期限规定》) sets the classes: permanent (永久), 30 years and 10 years. Which kind of dossier
falls in which class is the city's decision, so it is data, not code: the city administrator
edits it on /archive/config/; each change is a new :class:`RetentionConfig` version and a ledger
event. The shipped defaults hold until the first change.

``proposed_config`` returns the mapping a change would produce without saving anything; the
configuration page shows what it would change (archive/retention.py ``preview_change``) before
``apply_config`` saves it, re-classifies existing dossiers of the changed kinds and recomputes
the items' retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from quancheng.ledger.services import record_event
from quancheng.orgs import capabilities as caps

from .models import Dossier, RetentionClass, RetentionConfig

if TYPE_CHECKING:
    from quancheng.orgs.models import User


# Penalty cases under the general procedure are kept 30 years, those under the summary
# procedure and inspections without a case 10 years (the city may change this).
DEFAULT_CLASSES: dict[str, str] = {
    Dossier.Kind.PENALTY_GENERAL: RetentionClass.Y30,
    Dossier.Kind.PENALTY_SUMMARY: RetentionClass.Y10,
    Dossier.Kind.INSPECTION: RetentionClass.Y10,
}


@dataclass(frozen=True)
class Settings:
    """The configuration in force (version 0: the shipped defaults)."""

    version: int
    classes: dict[str, str]

    def class_for(self, kind: str) -> str:
        return self.classes[kind]


def _classes_of(data: dict[str, Any]) -> dict[str, str]:
    return {**DEFAULT_CLASSES, **(data.get("dossier_classes") or {})}


def current_config() -> Settings:
    latest = RetentionConfig.objects.order_by("-version").first()
    if latest is None:
        return Settings(version=0, classes=dict(DEFAULT_CLASSES))
    return Settings(version=latest.version, classes=_classes_of(latest.data))


def retention_class_for(kind: str) -> str:
    """The retention class (a :class:`RetentionClass` value) a dossier of ``kind`` gets now."""
    if kind not in Dossier.Kind.values:
        raise ValueError(f"unknown dossier kind {kind!r}")
    return current_config().class_for(kind)


def _invalid(message: str, code: str) -> ValidationError:
    return ValidationError({"classes": [ValidationError(message, code=code)]})


def proposed_config(changes: dict[str, str]) -> dict[str, str]:
    """The whole mapping (kind → class) after ``changes``, checked; nothing is saved."""
    if not isinstance(changes, dict):
        raise _invalid("保管期限配置应为“案卷类别 → 保管期限”的对应表", "invalid")
    unknown = [k for k in changes if k not in Dossier.Kind.values]
    if unknown:
        raise _invalid(f"未知的案卷类别：{'、'.join(map(str, unknown))}", "unknown_kind")
    bad = [k for k, v in changes.items() if v not in RetentionClass.values]
    if bad:
        labels = "、".join(Dossier.Kind(k).label for k in bad)
        raise _invalid(f"保管期限无效（{labels}），应为永久、30年或10年", "invalid_class")
    return {**current_config().classes, **changes}


def apply_config(actor: User, changes: dict[str, str], note: str = "") -> RetentionConfig:
    """Save the mapping after ``changes`` as a new version (city administrator); a ledger event."""
    if not caps.can(actor, caps.RETENTION_CONFIGURE):
        raise PermissionDenied("只有市级管理员可以修改保管期限配置")
    note = (note or "").strip()[:2000]
    with transaction.atomic(durable=True):
        # The latest version locked: two administrators saving at once get two versions.
        latest = RetentionConfig.objects.select_for_update().order_by("-version").first()
        classes = proposed_config(changes)
        previous = _classes_of(latest.data) if latest else dict(DEFAULT_CLASSES)
        if classes == previous:
            raise _invalid("配置没有变化", "unchanged")
        config = RetentionConfig.objects.create(
            version=(latest.version if latest else 0) + 1,
            data={"dossier_classes": classes},
            note=note,
            created_by=actor,
        )
        changed = {k: [previous.get(k), v] for k, v in classes.items() if previous.get(k) != v}
        record_event(
            actor,
            "archive.retention_config_changed",
            config,
            {"version": config.version, "changed": changed, "classes": classes, "note": note},
        )
        reclassify_dossiers(actor, classes, config.version)
    # The items follow their dossiers (and the store's retain-until dates follow the items);
    # the recompute logs its own events.
    from .retention import recompute_all

    recompute_all(actor=actor)
    return config


def reclassify_dossiers(actor: User, classes: dict[str, str], version: int) -> int:
    """Give existing dossiers the class the mapping now says for their kind (what the preview
    on the configuration page showed); each change is a ``dossier.reclassified`` event."""
    from .dossiers import retain_until

    count = 0
    for kind, klass in classes.items():
        stale = Dossier.objects.select_for_update().filter(kind=kind).exclude(retention_class=klass)
        for dossier in stale:
            before = (dossier.retention_class, dossier.retain_until)
            dossier.retention_class = klass
            if dossier.archived_on is not None:
                dossier.retain_until = retain_until(dossier.archived_on, klass)
            dossier.save(update_fields=["retention_class", "retain_until"])
            record_event(
                actor,
                "dossier.reclassified",
                dossier,
                {
                    "config_version": version,
                    "retention_class": [before[0], klass],
                    "retain_until": [
                        before[1].isoformat() if before[1] else None,
                        dossier.retain_until.isoformat() if dossier.retain_until else None,
                    ],
                },
            )
            count += 1
    return count
