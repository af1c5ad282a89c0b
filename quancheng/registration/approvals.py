"""The registration app's approvable kind (``orgs/approvals.py``): 延期登记申请 (A21)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from quancheng.orgs import capabilities as caps
from quancheng.orgs.approvals import ApprovableKind, register_approvable

from . import services
from .models import LateRegistrationRequest


def _url(obj) -> str:
    for target in (obj, obj.act):
        try:
            return target.get_absolute_url()
        except AttributeError:
            continue
    return ""


def _fail(code: str, message: str) -> Exception:
    if code in ("forbidden", "self_approval"):
        return PermissionDenied(message)
    return services._error(message, code)


def register() -> None:
    status = LateRegistrationRequest.Status
    register_approvable(
        ApprovableKind(
            code="late_registration",
            label="延期登记申请",
            noun="延期登记申请",
            model=LateRegistrationRequest,
            capability=caps.LATE_REGISTRATION_DECIDE,
            capability_target=lambda obj: obj.act,
            table_refusal=True,
            pending=lambda user: LateRegistrationRequest.objects.filter(
                status=status.PENDING, act__agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == status.PENDING,
            effect=services.apply_late_decision,
            select_related=("act__subject",),
            title=lambda obj: f"{obj.act}：{obj.explanation[:60]}",
            url=_url,
            fail=_fail,
            messages={"already_decided": "该申请已审批（{status}），不能重复审批"},
            order=50,
        )
    )
