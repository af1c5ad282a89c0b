"""Asking the policy on every route that serves record content (A24, A27).

``require(request, item, action)`` is the one call each page, file route and API operation makes
after fetching its item in scope. An allowed decision is kept on the request so that the
route's access event names the approval it relied on (``access_body``); a refusal is written to
the ledger as ``access.denied`` in a transaction of its own, raises an alert about the person to
the custodian and head (A27: access refused or outside an approval), and ends the request with
:class:`AccessDenied` — a 403 page offering the request form, or ``access_denied`` in the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from quancheng.alerts.services import raise_alert
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.orgs.models import Role

from .policy import ACTION_LABELS, VIEW, Decision, decide, decide_many, item_kind_of

if TYPE_CHECKING:
    from quancheng.orgs.models import User
    from quancheng.records.models import DataRecord


DENIAL_AUDIENCE = [Role.CUSTODIAN.value, Role.HEAD.value]


class AccessDenied(PermissionDenied):
    def __init__(self, item, action: str, decision: Decision):
        super().__init__(decision.reason_zh)
        self.item = item
        self.action = action
        self.decision = decision


def require(request, item, action: str) -> Decision:
    """The decision for the request's user; raises AccessDenied (logged) when refused."""
    decision = decide(request.user, item, action)
    if decision.allowed:
        request.access_decision = decision
        return decision
    record_denial(request.user, item, action, decision, path=request.get_full_path())
    raise AccessDenied(item, action, decision)


def access_body(request) -> dict:
    """The approval an allowed access relied on, for the route's ledger event body."""
    decision = getattr(request, "access_decision", None)
    return decision.event_body() if decision is not None else {}


def record_denial(
    user: User, item: models.Model, action: str, decision: Decision, path: str = ""
) -> None:
    """``access.denied`` on the item and an alert about the person who tried, committed even
    though the request then fails.

    The alert is about that person (its object is the user, one open alert per person and
    agency), addressed to the custodian and head of the item's agency, and names them by name:
    an access refused to someone else is not a finding against the act's officers.
    """
    body = {
        "action": action,
        "reason": decision.reason_code,
        "item_kind": item_kind_of(item),
        "item_id": item.pk,
        "path": path[:500],
    }
    name = user.full_name or "（未填写姓名）"
    with transaction.atomic(durable=True):
        record_event(user, Action.ACCESS_DENIED, item, body)
        raise_alert(
            "access.denied",
            f"{name}（{user.get_role_display()}）试图{ACTION_LABELS[action]}未经授权的记录：{item}",
            agency=getattr(item, "agency", None),
            object_type=user._meta.label_lower,
            object_id=str(user.pk),
            detail={
                **body,
                "action_label": ACTION_LABELS[action],
                "reason_label": decision.reason_zh,
                "item_kind_label": str(item._meta.verbose_name),
                "user": name,
                "user_id": user.pk,
            },
            audience=DENIAL_AUDIENCE,
            actor=user,
        )


def viewed_data_records(
    request, records: Iterable[DataRecord], shape: Callable[[DataRecord], dict]
) -> list[dict]:
    """Data records shaped for a list, their values (content) only where the policy allows.

    Each record whose values are sent is a ``datarecord.viewed`` event (with the approval it
    relied on); the others are listed with ``data`` null, so the list stays a metadata list.
    """
    records = list(records)
    decisions = decide_many(request.user, records, VIEW)
    out = []
    with transaction.atomic(durable=True):
        for record in records:
            shaped = shape(record)
            decision = decisions[(item_kind_of(record), record.pk)]
            if decision.allowed:
                body = {
                    "sha256": record.sha256,
                    "sm3": record.sm3 or None,
                    "api": True,
                    **decision.event_body(),
                }
                record_event(request.user, Action.DATARECORD_VIEWED, record, body)
            else:
                shaped["data"] = None
            out.append(shaped)
    return out
