"""Propose, revise, activate and read versions of a configuration (one implementation for the
rule configuration, the score sheets and the retention configuration).

Each configuration is described by a :class:`ConfigKind` (its model and scope, its defaults,
its validation including the legal floor, the capability that may change it, the ledger action
of an activation and what follows one). The functions here are the only writers of
:class:`~quancheng.versioning.models.VersionedConfig` rows; each change is a ledger event in the
same transaction.

- :func:`propose` saves a new version, not yet in force (``config.version_proposed``);
- :func:`revise` changes a proposed version (``config.version_revised``); an active one is
  refused: versions are immutable once active;
- :func:`activate` puts a proposed version in force from its ``effective_from`` (now, or a later
  instant), the kind's own action (``compliance.config_changed``, ``scoresheet.changed``,
  ``archive.retention_config_changed``);
- :func:`save_version` does both in one transaction (the pages' one-step save);
- :func:`in_force` / :func:`current` read the version in force at an instant, :func:`history`
  all versions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.orgs import capabilities as caps

from .models import VersionedConfig, VersionImmutable

if TYPE_CHECKING:
    from quancheng.orgs.models import User


@dataclass(frozen=True)
class ConfigKind:
    """What differs between the versioned configurations; the rest is shared."""

    name: str  # rules, spotcheck, evaluation, retention
    label: str  # 规则配置, 案卷抽查评查表, ...
    model: type[VersionedConfig]
    capability: str
    refusal: str  # the Chinese message of a refused permission
    defaults: Callable[[], Any]  # version 0: the data in force before any version
    validate: Callable[[Any], None]  # raises ValidationError (Chinese messages, codes)
    activated_action: Action
    error_field: str = "data"  # the key of ValidationError's dict
    scope: dict[str, Any] = field(default_factory=dict)  # e.g. {"kind": "spotcheck"}
    # The activation event's body, from (version row, data in force before it).
    event_body: Callable[[Any, Any], dict] | None = None
    # Run in the activation's transaction (version row, data in force before it, actor).
    on_activated: Callable[[Any, Any, Any], None] | None = None
    # Run after the activation's transaction committed (actor, version row); what it returns is
    # the row's ``after_commit_result``.
    after_commit: Callable[[Any, Any], Any] | None = None


@dataclass(frozen=True)
class Current:
    """The data in force (``version`` 0: the defaults, no version yet)."""

    version: int
    data: Any
    row: VersionedConfig | None = None


def _rows(kind: ConfigKind) -> models.QuerySet:
    return kind.model._default_manager.filter(**kind.scope)


def _invalid(kind: ConfigKind, message: str, code: str) -> ValidationError:
    return ValidationError({kind.error_field: [ValidationError(message, code=code)]})


def _require(kind: ConfigKind, actor: User) -> None:
    if not caps.can(actor, kind.capability):
        raise PermissionDenied(kind.refusal)


def in_force(kind: ConfigKind, at: dt.datetime | None = None) -> VersionedConfig | None:
    """The version in force at ``at`` (now by default): the active version whose
    ``effective_from`` is the latest not after ``at`` (the higher version on a tie)."""
    at = at or timezone.now()
    return (
        _rows(kind)
        .filter(activated_at__isnull=False, effective_from__lte=at)
        .order_by("-effective_from", "-version")
        .first()
    )


def current(kind: ConfigKind, at: dt.datetime | None = None) -> Current:
    """The version number and data in force at ``at``; version 0 and the defaults if none."""
    row = in_force(kind, at)
    if row is None:
        return Current(0, kind.defaults())
    return Current(row.version, row.data, row)


def history(kind: ConfigKind) -> models.QuerySet:
    """Every version of the configuration, proposed ones included, the newest first."""
    return _rows(kind).select_related("created_by", "activated_by").order_by("-version")


def _check_effective_from(kind: ConfigKind, effective_from: dt.datetime | None) -> None:
    if effective_from is not None and effective_from < timezone.now():
        raise _invalid(kind, "生效时间不能早于现在（已生效的配置不能追溯修改）", "effective_past")


def _new_version(kind: ConfigKind, actor: User, data, note, effective_from) -> VersionedConfig:
    latest = _rows(kind).select_for_update().order_by("-version").first()
    if current(kind).data == data:
        raise _invalid(kind, "配置没有变化", "unchanged")
    return kind.model._default_manager.create(
        **kind.scope,
        version=(latest.version if latest else 0) + 1,
        data=data,
        note=(note or "").strip()[:2000],
        created_by=actor,
        effective_from=effective_from,
    )


def propose(
    kind: ConfigKind,
    actor: User,
    data: Any,
    note: str = "",
    effective_from: dt.datetime | None = None,
) -> VersionedConfig:
    """Save a new version, checked (legal floor included), not yet in force; a ledger event."""
    _require(kind, actor)
    kind.validate(data)
    _check_effective_from(kind, effective_from)
    with transaction.atomic(durable=True):
        row = _new_version(kind, actor, data, note, effective_from)
        record_event(
            actor,
            Action.CONFIG_VERSION_PROPOSED,
            row,
            {"kind": kind.name, "version": row.version, "data": data, "note": row.note},
        )
    return row


def revise(
    kind: ConfigKind, actor: User, row: VersionedConfig, data: Any, note: str | None = None
) -> VersionedConfig:
    """Change a proposed version; an active version is refused (immutable); a ledger event."""
    _require(kind, actor)
    kind.validate(data)
    with transaction.atomic(durable=True):
        row = _rows(kind).select_for_update().get(pk=row.pk)
        if row.is_active:
            raise _invalid(kind, f"{row}已启用，不能修改；修改请另存为新版本", "immutable")
        before = row.data
        row.data = data
        if note is not None:
            row.note = note.strip()[:2000]
        row.save(update_fields=["data", "note"])
        record_event(
            actor,
            Action.CONFIG_VERSION_REVISED,
            row,
            {"kind": kind.name, "version": row.version, "before": before, "data": data},
        )
    return row


def _activate_locked(kind: ConfigKind, actor: User, row: VersionedConfig) -> Any:
    """Activate ``row`` (locked, proposed) in the caller's transaction; the data it replaces."""
    now = timezone.now()
    previous = current(kind).data
    row.activated_at = now
    row.activated_by = actor
    if row.effective_from is None or row.effective_from < now:
        row.effective_from = now
    row.save(update_fields=["activated_at", "activated_by", "effective_from"])
    body = kind.event_body(row, previous) if kind.event_body else {"data": row.data}
    body = {
        "version": row.version,
        **body,
        "note": row.note,
        "effective_from": row.effective_from.isoformat(),
    }
    record_event(actor, kind.activated_action, row, body)
    # What follows an activation (re-classifying dossiers, re-evaluating acts) runs when the
    # version is in force at once; a version for a later instant is read from then on by
    # whatever asks for the version in force (see docs/configuration-versions.md).
    if (
        kind.on_activated is not None
        and row.effective_from is not None
        and row.effective_from <= now
    ):
        kind.on_activated(actor, row, previous)
    return previous


def _in_force_now(row: VersionedConfig) -> bool:
    return row.effective_from is not None and row.effective_from <= timezone.now()


def activate(kind: ConfigKind, actor: User, row: VersionedConfig) -> VersionedConfig:
    """Put a proposed version in force from its ``effective_from`` (now if unset or past);
    checked again (legal floor included); the kind's ledger event."""
    _require(kind, actor)
    with transaction.atomic(durable=True):
        row = _rows(kind).select_for_update().get(pk=row.pk)
        if row.is_active:
            raise _invalid(kind, f"{row}已启用", "already_active")
        kind.validate(row.data)
        _activate_locked(kind, actor, row)
    row.after_commit_result = None
    if kind.after_commit is not None and _in_force_now(row):
        row.after_commit_result = kind.after_commit(actor, row)
    return row


def save_version(
    kind: ConfigKind,
    actor: User,
    data: Any,
    note: str = "",
    effective_from: dt.datetime | None = None,
) -> VersionedConfig:
    """Propose and activate a new version in one step (the configuration pages); one ledger
    event, the kind's activation (its body has the whole data)."""
    _require(kind, actor)
    kind.validate(data)
    _check_effective_from(kind, effective_from)
    with transaction.atomic(durable=True):
        row = _new_version(kind, actor, data, note, effective_from)
        _activate_locked(kind, actor, row)
    row.after_commit_result = None
    if kind.after_commit is not None and _in_force_now(row):
        row.after_commit_result = kind.after_commit(actor, row)
    return row


__all__ = [
    "ConfigKind",
    "Current",
    "VersionImmutable",
    "activate",
    "current",
    "history",
    "in_force",
    "propose",
    "revise",
    "save_version",
]
