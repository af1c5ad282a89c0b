"""Raising and closing alerts; each is a ledger event in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction, with_both_digests
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Role

from .models import DEFAULT_AUDIENCE, Alert, Severity

if TYPE_CHECKING:
    from quancheng.orgs.models import Agency, User


class AlertAlreadyClosed(ValueError):
    pass


def raise_alert(
    kind: str,
    title: str,
    *,
    agency: Agency | None = None,
    severity: str = Severity.WARNING,
    detail: dict[str, Any] | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    audience: Iterable[str] = DEFAULT_AUDIENCE,
    actor: User | None = None,
) -> Alert:
    """Raise an alert, or return the open one already raised for the same kind and object; in
    the caller's transaction (the change or check that found the cause).

    Repeated sweeps over the same broken file therefore do not pile up duplicates; the ledger
    still holds each check as its own event (written by the caller).

    ``audience`` names the roles addressed (``Role`` values: custodian, head, auditor, …); with
    ``obj`` a record item, act or other agency-owned row, the alert goes to those roles of the
    object's agency (and to the city-wide ones, who see every agency). The kinds in use are
    listed in docs/alerts.md.
    """
    require_own_transaction("alerts.services.raise_alert")
    audience = list(dict.fromkeys(audience))
    unknown = [role for role in audience if role not in Role.values]
    if not audience or unknown:
        raise ValueError(f"unknown alert audience: {unknown or 'none'}")
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
        if agency is None:
            agency = getattr(obj, "agency", None)
    existing = (
        Alert.objects.open()
        .filter(kind=kind, object_type=object_type, object_id=object_id, agency=agency)
        .first()
        if object_type
        else None
    )
    if existing is not None:
        return existing
    alert = Alert.objects.create(
        kind=kind,
        severity=severity,
        title=title,
        # A detail naming a file names both digests, as its event body does (issue 19).
        detail=with_both_digests(detail or {}),
        agency=agency,
        audience="," + ",".join(audience) + ",",
        object_type=object_type,
        object_id=object_id,
    )
    record_event(
        actor,
        Action.ALERT_RAISED,
        alert,
        {
            "kind": kind,
            "severity": str(severity),
            "title": title,
            "detail": alert.detail,
            "object_type": object_type,
            "object_id": object_id,
            "audience": alert.roles,
        },
        agency=agency,
    )
    return alert


def close_alert(user: User, alert: Alert, note: str) -> Alert:
    """Mark an alert as dealt with, with the user's note (required)."""
    note = (note or "").strip()
    if not note:
        raise ValueError("请填写处理说明")
    caps.require(user, caps.ALERT_CLOSE, alert)
    with transaction.atomic(durable=True):
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if not alert.is_open:
            raise AlertAlreadyClosed("该告警已处理")
        alert.closed_at = timezone.now()
        alert.closed_by = user
        alert.closing_note = note
        alert.save(update_fields=["closed_at", "closed_by", "closing_note"])
        record_event(user, Action.ALERT_CLOSED, alert, {"note": note}, agency=alert.agency)
    return alert


def close_alerts_for(
    kind: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    note: str,
) -> int:
    """Close, as the platform (no user), the open alerts of a kind on an object whose cause
    went away (e.g. the finding closed, the act was registered); how many were closed. In the
    caller's transaction."""
    require_own_transaction("alerts.services.close_alerts_for")
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    closed = 0
    for alert in (
        Alert.objects.open()
        .filter(kind=kind, object_type=object_type, object_id=object_id)
        .select_for_update()
    ):
        alert.closed_at = timezone.now()
        alert.closing_note = note
        alert.save(update_fields=["closed_at", "closing_note"])
        record_event(
            None,
            Action.ALERT_CLOSED,
            alert,
            {"note": note, "automatic": True},
            agency=alert.agency,
        )
        closed += 1
    return closed


def alert_counts_for(user: User) -> dict:
    """What the home page counts for a user: the open alerts addressed to the user's role in
    the user's scope, in total, by kind and by severity (one query).

    ``{"total": 3, "by_kind": {"record.missing_av": 2, "fixity.missing": 1},
    "by_severity": {"critical": 1, "warning": 2}}``
    """
    by_kind: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    total = 0
    for kind, severity, count in (
        Alert.objects.visible_to(user)
        .open()
        .order_by()
        .values_list("kind", "severity")
        .annotate(count=models.Count("pk"))
    ):
        by_kind[kind] = by_kind.get(kind, 0) + count
        by_severity[severity] = by_severity.get(severity, 0) + count
        total += count
    return {"total": total, "by_kind": by_kind, "by_severity": by_severity}
