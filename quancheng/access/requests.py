"""Access requests (调阅申请, A24): file, approve or refuse (the agency head), withdraw.

A request names a case, an act or one item of the agency whose records it asks for; the head of
that agency decides, an approval expires (``QC_ACCESS_APPROVAL_DAYS`` by default). Each step is
a ledger event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.cases.models import Act, Case
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.records.refs import ITEM_MODELS

from .models import AccessRequest

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MAX_PURPOSE = 2000
MAX_NOTE = 2000


def _error(message: str, code: str, field: str | None = None) -> ValidationError:
    error = ValidationError(message, code=code)
    return ValidationError({field: [error]}) if field else error


def _text(value: str | None, field: str, label: str, *, required: bool, limit: int) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _error(f"请填写{label}", "required", field)
    if len(value) > limit:
        raise _error(f"{label}不能超过{limit}个字符", "too_long", field)
    return value


def describe_target(r: AccessRequest) -> str:
    """What a request covers, in Chinese (案件 / 执法行为 / 单个条目)."""
    if r.case_id:
        return f"案件 {r.case}"
    if r.act_id:
        return f"执法行为 {r.act}"
    model = ITEM_MODELS.get(r.item_kind)
    label = model._meta.verbose_name if model else r.item_kind
    item = model.objects.filter(pk=r.item_id).first() if model else None
    return f"{label} {item or r.item_id}"


def target_of(user: User, *, case=None, act=None, item_kind: str = "", item_id=None):
    """The one case, act or item a request names, visible to ``user``; ValidationError else."""
    named = [x for x in (case, act, item_id) if x not in (None, "")]
    if len(named) != 1:
        raise _error("请选择一个调阅范围：案件、执法行为或单个记录", "no_target", "target")
    if case is not None:
        found = Case.objects.visible_to(user).filter(pk=getattr(case, "pk", case)).first()
    elif act is not None:
        found = Act.objects.visible_to(user).filter(pk=getattr(act, "pk", act)).first()
    else:
        model = ITEM_MODELS.get(item_kind)
        found = model.objects.visible_to(user).filter(pk=item_id).first() if model else None
    if found is None:
        raise _error("调阅对象不存在或不在您的管辖范围内", "not_found", "target")
    return found


@transaction.atomic(durable=True)
def create_request(
    user: User,
    *,
    purpose: str,
    case=None,
    act=None,
    item_kind: str = "",
    item_id=None,
    allow_download: bool = False,
) -> AccessRequest:
    """File an access request; its agency is the agency of the records asked for."""
    purpose = _text(purpose, "purpose", "调阅事由", required=True, limit=MAX_PURPOSE)
    target = target_of(user, case=case, act=act, item_kind=item_kind, item_id=item_id)
    request = AccessRequest(
        agency=target.agency,
        requested_by=user,
        purpose=purpose,
        allow_download=bool(allow_download),
    )
    if isinstance(target, Case):
        request.case = target
    elif isinstance(target, Act):
        request.act = target
    else:
        request.item_kind, request.item_id = item_kind, target.pk
    request.save()
    record_event(
        user,
        Action.ACCESS_REQUESTED,
        request,
        {
            "purpose": purpose,
            "case": request.case_id,
            "act": request.act_id,
            "item_kind": request.item_kind,
            "item_id": request.item_id,
            "allow_download": request.allow_download,
        },
    )
    return request


def default_expiry(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(days=settings.QC_ACCESS_APPROVAL_DAYS)


def _check_expiry(expires_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if expires_at is None:
        return default_expiry(now)
    if timezone.is_naive(expires_at):
        raise _error("有效期须带时区", "naive_datetime", "expires_at")
    if expires_at <= now:
        raise _error("有效期须晚于当前时间", "expiry_past", "expires_at")
    longest = now + dt.timedelta(days=settings.QC_ACCESS_APPROVAL_MAX_DAYS)
    if expires_at > longest:
        raise _error(
            f"有效期不能超过{settings.QC_ACCESS_APPROVAL_MAX_DAYS}天",
            "expiry_too_long",
            "expires_at",
        )
    return expires_at


def _locked(request: AccessRequest) -> AccessRequest:
    return AccessRequest.objects.select_for_update().select_related("agency").get(pk=request.pk)


def decide_request(
    actor: User,
    request: AccessRequest,
    approve: bool,
    note: str = "",
    *,
    expires_at: dt.datetime | None = None,
    allow_download: bool | None = None,
) -> AccessRequest:
    """The head of the records' agency approves (until ``expires_at``) or refuses."""
    note = _text(note, "note", "审批意见", required=not approve, limit=MAX_NOTE)
    return approvals.decide(
        "access_request",
        request,
        actor,
        approve=approve,
        note=note,
        expires_at=expires_at,
        allow_download=allow_download,
    )


def apply_decision(
    request: AccessRequest,
    actor: User,
    approve: bool,
    note: str,
    *,
    expires_at: dt.datetime | None = None,
    allow_download: bool | None = None,
) -> AccessRequest:
    """The access request's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_decision")  # inside approvals.decide()
    granted_until = None
    if approve:
        assert request.decided_at is not None  # approvals.decide stamps it before the effect
        request.status = AccessRequest.Status.APPROVED
        request.expires_at = granted_until = _check_expiry(expires_at, request.decided_at)
        if allow_download is not None:
            # The head may grant less than asked (view and play only), never more.
            request.allow_download = request.allow_download and allow_download
    else:
        request.status = AccessRequest.Status.REFUSED
    request.save()
    record_event(
        actor,
        Action.ACCESS_APPROVED if approve else Action.ACCESS_REFUSED,
        request,
        {
            "note": note,
            "expires_at": granted_until.isoformat() if granted_until else None,
            "allow_download": request.allow_download,
            "requester": request.requested_by.get_username(),
        },
    )
    return request


@transaction.atomic(durable=True)
def withdraw_request(actor: User, request: AccessRequest) -> AccessRequest:
    """The requester withdraws a pending request, or gives up an approval before it expires."""
    request = _locked(request)
    if actor.pk != request.requested_by_id:
        raise PermissionDenied("只有申请人可以撤回调阅申请")
    if request.status not in (AccessRequest.Status.PENDING, AccessRequest.Status.APPROVED):
        raise _error(f"该申请已处理（{request.get_status_display()}），不能撤回", "already_decided")
    was = request.status
    request.status = AccessRequest.Status.WITHDRAWN
    if was == AccessRequest.Status.APPROVED:
        # An approval given up ends now; the constraint keeps an expiry on approvals only.
        assert request.expires_at is not None
        request.expires_at = min(request.expires_at, timezone.now())
    request.save(update_fields=["status", "expires_at"])
    record_event(actor, Action.ACCESS_WITHDRAWN, request, {"was": was})
    return request


def requests_visible_to(user: User):
    """Requests a user may see: their own; in scope, for heads, custodians, auditors, city."""
    qs = AccessRequest.objects.select_related("requested_by", "agency", "case", "act", "decided_by")
    if caps.can(user, caps.REQUESTS_VIEW_IN_SCOPE):
        return qs.visible_to(user) | qs.filter(requested_by=user)
    return qs.filter(requested_by=user)


def pending_for_head(user: User):
    """Requests waiting for this head's decision (the approvals inbox's section)."""
    return approvals.awaiting("access_request", user).order_by("requested_at", "pk")
