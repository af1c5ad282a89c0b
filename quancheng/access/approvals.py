"""The access app's approvable kinds (``orgs/approvals.py``): 调阅申请, 证据提取, 对外提供 and
脱敏副本, registered from ``AccessConfig.ready()``."""

from __future__ import annotations

from quancheng.orgs import capabilities as caps
from quancheng.orgs.approvals import ApprovableKind, register_approvable

from . import extraction, provisions, redaction, requests
from .models import AccessRequest, Extraction, Provision, RedactedCopy


def absolute_url(*targets):
    """The first of ``targets(obj)`` that has a page ("" when none has)."""
    from django.urls import NoReverseMatch

    def url(obj) -> str:
        for target in targets:
            candidate = target(obj)
            if candidate is None:
                continue
            try:
                return candidate.get_absolute_url()
            except (NoReverseMatch, AttributeError):
                continue
        return ""

    return url


def _self(obj):
    return obj


def register() -> None:
    register_approvable(
        ApprovableKind(
            code="access_request",
            label="调阅申请",
            noun="调阅申请",
            model=AccessRequest,
            capability=caps.REQUESTS_DECIDE,
            pending=lambda user: AccessRequest.objects.filter(
                status=AccessRequest.Status.PENDING, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == AccessRequest.Status.PENDING,
            effect=requests.apply_decision,
            select_related=("case", "act"),
            url=absolute_url(_self),
            messages={
                "forbidden": "只有被调阅记录所属机构的负责人可以审批调阅申请",
                "self_approval": "不能审批本人提交的调阅申请",
                "already_decided": "该申请已处理（{status}），不能重复审批",
            },
            order=10,
        )
    )
    register_approvable(
        ApprovableKind(
            code="extraction",
            label="证据提取申请",
            noun="证据提取申请",
            model=Extraction,
            capability=caps.REQUESTS_DECIDE,
            pending=lambda user: Extraction.objects.filter(
                status=Extraction.Status.PENDING, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == Extraction.Status.PENDING,
            effect=extraction.apply_decision,
            url=absolute_url(_self),
            messages={
                "forbidden": "只有本机构负责人可以审批证据提取",
                "already_decided": "该申请已处理（{status}）",
            },
            order=20,
        )
    )
    register_approvable(
        ApprovableKind(
            code="provision",
            label="对外提供申请（第二十四条第二款）",
            noun="对外提供申请",
            model=Provision,
            capability=caps.REQUESTS_DECIDE,
            pending=lambda user: Provision.objects.filter(
                status=Provision.Status.REQUESTED, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == Provision.Status.REQUESTED,
            effect=provisions.apply_decision,
            title=lambda obj: f"向{obj.recipient}提供 {len(obj.items)} 项记录",
            url=absolute_url(_self),
            fail=_provision_fail,
            messages={
                "forbidden": "只有本机构负责人可以审批对外提供",
                "already_decided": "该申请已处理（{status}）",
            },
            order=30,
        )
    )
    register_approvable(
        ApprovableKind(
            code="redaction",
            label="脱敏副本审核（播放后批准）",
            noun="脱敏副本",
            model=RedactedCopy,
            capability=caps.REQUESTS_DECIDE,
            capability_target=lambda obj: obj.provision,
            pending=lambda user: RedactedCopy.objects.filter(
                status=RedactedCopy.Status.REVIEW, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == RedactedCopy.Status.REVIEW,
            effect=redaction.apply_decision,
            select_related=("provision",),
            title=lambda obj: (
                f"对外提供 {obj.provision_id}（{obj.provision.recipient}）："
                f"音像记录 {obj.segment_id}"
            ),
            url=absolute_url(_self),
            fail=_redaction_fail,
            messages={
                "forbidden": "只有本机构负责人可以审核脱敏副本",
                "self_approval": "申请人不能审核自己申请的脱敏副本",
                "already_decided": "该脱敏副本当前不能审核（{status}）",
            },
            order=40,
        )
    )


def _provision_fail(code: str, message: str) -> Exception:
    from django.core.exceptions import PermissionDenied

    if code in ("forbidden", "self_approval"):
        return PermissionDenied(message)
    return provisions._error(message, code, "status")


def _redaction_fail(code: str, message: str) -> Exception:
    from django.core.exceptions import PermissionDenied

    if code in ("forbidden", "self_approval"):
        return PermissionDenied(message)
    code = "not_review" if code == "already_decided" else code
    return redaction._error(message, code, "status")
