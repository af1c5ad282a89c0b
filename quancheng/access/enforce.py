"""Asking the policy on every route that serves record content (A24, A27).

``require(request, item, action)`` is the one call each page, file route and API operation makes
after fetching its item in scope. An allowed decision is kept on the request so that the
route's access event names the approval it relied on (``access_body``); a refusal is written to
the ledger as ``access.denied`` in a transaction of its own, raises an alert to the custodian and
head (A27: access refused or outside an approval), and ends the request with
:class:`AccessDenied` — a 403 page offering the request form, or ``access_denied`` in the API.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from quancheng.alerts.services import raise_alert
from quancheng.compliance.hooks import schedule_evaluation
from quancheng.ledger.services import record_event
from quancheng.orgs.models import Role

from .policy import ACTION_LABELS, VIEW, Decision, decide, decide_many, item_kind_of

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


def record_denial(user, item, action: str, decision: Decision, path: str = "") -> None:
    """``access.denied`` and the alert, committed even though the request then fails."""
    body = {
        "action": action,
        "reason": decision.reason_code,
        "item_kind": item_kind_of(item),
        "item_id": item.pk,
        "path": path[:500],
    }
    with transaction.atomic():
        record_event(user, "access.denied", item, body)
        raise_alert(
            "access.denied",
            f"{user} 试图{ACTION_LABELS[action]}未经授权的记录：{item}",
            obj=item,
            detail={**body, "user": user.get_username()},
            audience=DENIAL_AUDIENCE,
            actor=user,
        )
        schedule_evaluation(getattr(item, "act_id", None))  # A24-access reads the refusal


def viewed_data_records(request, records, shape) -> list[dict]:
    """Data records shaped for a list, their values (content) only where the policy allows.

    Each record whose values are sent is a ``datarecord.viewed`` event (with the approval it
    relied on); the others are listed with ``data`` null, so the list stays a metadata list.
    """
    records = list(records)
    decisions = decide_many(request.user, records, VIEW)
    out = []
    with transaction.atomic():
        for record in records:
            shaped = shape(record)
            decision = decisions[(item_kind_of(record), record.pk)]
            if decision.allowed:
                body = {"sha256": record.sha256, "api": True, **decision.event_body()}
                record_event(request.user, "datarecord.viewed", record, body)
            else:
                shaped["data"] = None
            out.append(shaped)
    return out
