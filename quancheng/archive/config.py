"""The retention configuration (保管期限配置): the one model and page of the retention rules the
city sets.

State Archives Administration Order No. 8 (国家档案局令第8号, 《机关文件材料归档范围和文书档案
保管期限规定》) sets the dossier classes: permanent (永久), 30 years and 10 years. Which kind of
dossier falls in which class is the city's decision, so it is data, not code. A22 ¶3 keeps AV not
used as evidence at least 6 months; the city may keep it longer, never shorter (the legal floor,
checked on every proposal and activation). Both are one :class:`RetentionConfig` version
(``{"dossier_classes": …, "non_evidence_min_months": …}``), kept and read through the shared
versioning services (quancheng/versioning); the city administrator edits it on
/retention/config/, each change a new version and a ledger event. The shipped defaults hold
until the first change.

``proposed_config`` returns the data a change would produce without saving anything; the page
shows what it would change (archive/retention.py ``preview_change``) before ``apply_config``
saves it, re-classifies existing dossiers of the changed kinds and recomputes the items'
retention.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.orgs import capabilities as caps
from quancheng.versioning import services as versions

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
# A22 ¶3: AV not used as evidence is kept at least 6 months; the legal floor of the setting.
MIN_MONTHS_FLOOR = 6
MIN_MONTHS_CEILING = 1200
DEFAULT_MIN_MONTHS = MIN_MONTHS_FLOOR


def defaults() -> dict[str, Any]:
    return {"dossier_classes": dict(DEFAULT_CLASSES), "non_evidence_min_months": DEFAULT_MIN_MONTHS}


@dataclass(frozen=True)
class Settings:
    """The configuration in force (version 0: the shipped defaults)."""

    version: int
    classes: dict[str, str]
    min_months: int = DEFAULT_MIN_MONTHS

    def class_for(self, kind: str) -> str:
        return self.classes[kind]


def _classes_of(data: dict[str, Any]) -> dict[str, str]:
    return {**DEFAULT_CLASSES, **(data.get("dossier_classes") or {})}


def _settings(version: int, data: dict[str, Any]) -> Settings:
    return Settings(
        version=version,
        classes=_classes_of(data),
        # Versions saved before the policy was merged in have no minimum: the default held.
        min_months=int(data.get("non_evidence_min_months", DEFAULT_MIN_MONTHS)),
    )


def _invalid(message: str, code: str) -> ValidationError:
    return ValidationError({"classes": [ValidationError(message, code=code)]})


def validate(data: Any) -> None:
    """Check a whole configuration (the legal floor included); Chinese messages with codes."""
    if not isinstance(data, dict) or not isinstance(data.get("dossier_classes"), dict):
        raise _invalid("保管期限配置应为“案卷类别 → 保管期限”的对应表", "invalid")
    classes = data["dossier_classes"]
    unknown = [k for k in classes if k not in Dossier.Kind.values]
    if unknown:
        raise _invalid(f"未知的案卷类别：{'、'.join(map(str, unknown))}", "unknown_kind")
    bad = [k for k, v in classes.items() if v not in RetentionClass.values]
    if bad:
        labels = "、".join(Dossier.Kind(k).label for k in bad)
        raise _invalid(f"保管期限无效（{labels}），应为永久、30年或10年", "invalid_class")
    months = data.get("non_evidence_min_months", DEFAULT_MIN_MONTHS)
    if not isinstance(months, int) or isinstance(months, bool):
        raise _invalid("非证据音像记录最短保存期限应为整数月数", "invalid_months")
    if months < MIN_MONTHS_FLOOR:
        raise _invalid(
            f"非证据音像记录保存期限不得少于{MIN_MONTHS_FLOOR}个月（第二十二条）", "below_floor"
        )
    if months > MIN_MONTHS_CEILING:
        raise _invalid(
            f"非证据音像记录最短保存期限不得超过{MIN_MONTHS_CEILING}个月", "above_ceiling"
        )


def _event_body(row: RetentionConfig, previous: dict[str, Any]) -> dict[str, Any]:
    before, after = _settings(0, previous), _settings(row.version, row.data)
    changed: dict[str, list] = {
        k: [before.classes.get(k), v]
        for k, v in after.classes.items()
        if before.classes.get(k) != v
    }
    if before.min_months != after.min_months:
        changed["non_evidence_min_months"] = [before.min_months, after.min_months]
    return {
        "changed": changed,
        "classes": after.classes,
        "non_evidence_min_months": after.min_months,
    }


def _on_activated(actor: User, row: RetentionConfig, previous: dict[str, Any]) -> None:
    if _classes_of(previous) != _classes_of(row.data):
        reclassify_dossiers(actor, _classes_of(row.data), row.version)


def _after_commit(actor: User, row: RetentionConfig) -> int:
    # The items follow their dossiers and the minimum (and the store's retain-until dates follow
    # the items); the recompute logs its own events. archive.retention imports this module.
    from .retention import recompute_all

    return recompute_all(actor=actor)


KIND = versions.ConfigKind(
    name="retention",
    label="保管期限配置",
    model=RetentionConfig,
    capability=caps.RETENTION_CONFIGURE,
    refusal="只有市级管理员可以修改保管期限配置",
    defaults=defaults,
    validate=validate,
    activated_action=Action.ARCHIVE_RETENTION_CONFIG_CHANGED,
    error_field="classes",
    event_body=_event_body,
    on_activated=_on_activated,
    after_commit=_after_commit,
)


def current_config(at: dt.datetime | None = None) -> Settings:
    """The configuration in force at ``at`` (now by default)."""
    found = versions.current(KIND, at)
    return _settings(found.version, found.data)


def retention_class_for(kind: str) -> str:
    """The retention class (a :class:`RetentionClass` value) a dossier of ``kind`` gets now."""
    if kind not in Dossier.Kind.values:
        raise ValueError(f"unknown dossier kind {kind!r}")
    return current_config().class_for(kind)


def proposed_data(changes: dict[str, str], min_months: int | None = None) -> dict[str, Any]:
    """The whole configuration after ``changes`` (kind → class) and ``min_months``, checked;
    nothing is saved."""
    if not isinstance(changes, dict):
        raise _invalid("保管期限配置应为“案卷类别 → 保管期限”的对应表", "invalid")
    now = current_config()
    data = {
        "dossier_classes": {**now.classes, **changes},
        "non_evidence_min_months": now.min_months if min_months is None else min_months,
    }
    validate(data)
    return data


def proposed_config(changes: dict[str, str]) -> dict[str, str]:
    """The whole mapping (kind → class) after ``changes``, checked; nothing is saved."""
    return proposed_data(changes)["dossier_classes"]


def apply_config(
    actor: User, changes: dict[str, str], note: str = "", min_months: int | None = None
) -> RetentionConfig:
    """Save the configuration after ``changes`` (and the minimum) as a new version in force now
    (city administrator); a ledger event, then existing dossiers and items follow."""
    if not caps.can(actor, caps.RETENTION_CONFIGURE):
        raise PermissionDenied("只有市级管理员可以修改保管期限配置")
    saved = versions.save_version(KIND, actor, proposed_data(changes, min_months), note)
    return cast(RetentionConfig, saved)


def reclassify_dossiers(actor: User, classes: dict[str, str], version: int) -> int:
    """Give existing dossiers the class the mapping now says for their kind (what the preview
    on the configuration page showed); each change is a ``dossier.reclassified`` event, in the
    activation's transaction (versioning's ``on_activated`` hook)."""
    require_own_transaction("archive.config.reclassify_dossiers")
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
                Action.DOSSIER_RECLASSIFIED,
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
