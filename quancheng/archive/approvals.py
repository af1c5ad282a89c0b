"""The archive app's approvable kinds (``orgs/approvals.py``): 长期保存 and its lifting (A23),
销毁 (A22), 补充归档 and 档案移交, registered from ``ArchiveConfig.ready()``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import NoReverseMatch

from quancheng.orgs import capabilities as caps
from quancheng.orgs.approvals import ApprovableKind, register_approvable

from . import disposal, dossiers, holds, transfer
from .models import DisposalProposal, Hold, SupplementRequest, Transfer


def _url(obj, fallback=None) -> str:
    for target in (obj, fallback):
        if target is None:
            continue
        try:
            return target.get_absolute_url()
        except (NoReverseMatch, AttributeError):
            continue
    return ""


def _hold_fail(code: str, message: str) -> Exception:
    if code == "forbidden":
        return PermissionDenied(message)
    return holds.HoldRefused(message)


def _disposal_fail(code: str, message: str) -> Exception:
    return disposal.DisposalRefused(message)


def _fail(code: str, message: str) -> Exception:
    if code in ("forbidden", "self_approval"):
        return PermissionDenied(message)
    return ValidationError(message, code=code)


def register() -> None:
    register_approvable(
        ApprovableKind(
            code="hold",
            label="长期保存申请",
            noun="长期保存申请",
            model=Hold,
            capability=caps.REQUESTS_DECIDE,
            pending=lambda user: Hold.objects.filter(
                status=Hold.Status.REQUESTED, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == Hold.Status.REQUESTED,
            effect=holds.apply_hold_decision,
            select_related=("case", "act"),
            title=lambda obj: f"{obj.case or obj.act}：{obj.get_reason_display()}",
            url=lambda obj: _url(obj, obj.case or obj.act),
            fail=_hold_fail,
            messages={
                "forbidden": "只有本机构负责人可以审批长期保存",
                "self_approval": "申请人不能审批自己的申请",
                "already_decided": "该申请已处理",
            },
            order=70,
        )
    )
    register_approvable(
        ApprovableKind(
            code="hold_lift",
            label="解除长期保存申请",
            noun="解除长期保存申请",
            model=Hold,
            capability=caps.REQUESTS_DECIDE,
            pending=lambda user: Hold.objects.filter(
                status=Hold.Status.LIFT_REQUESTED, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == Hold.Status.LIFT_REQUESTED,
            effect=holds.apply_lift_decision,
            requester_field="lift_requested_by",
            # The lifting is recorded as lifted_by/lifted_at by the effect (decided_by/_at keep
            # the hold's own approval); a refused lift keeps only its note (the hold stays active).
            records_decider=False,
            select_related=("case", "act"),
            title=lambda obj: f"{obj.case or obj.act}：{obj.lift_reason[:60]}",
            url=lambda obj: _url(obj, obj.case or obj.act),
            fail=_hold_fail,
            messages={
                "forbidden": "只有本机构负责人可以审批长期保存",
                "self_approval": "申请人不能审批自己的申请",
                "already_decided": "该解除申请已处理",
            },
            order=80,
        )
    )
    register_approvable(
        ApprovableKind(
            code="disposal",
            label="销毁申请",
            noun="销毁申请",
            model=DisposalProposal,
            capability=caps.REQUESTS_DECIDE,
            pending=lambda user: DisposalProposal.objects.filter(
                status=DisposalProposal.Status.PROPOSED, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == DisposalProposal.Status.PROPOSED,
            effect=disposal.apply_disposal_decision,
            url=_url,
            fail=_disposal_fail,
            messages={
                "self_approval": "不能审批本人提出的销毁申请",
                "already_decided": "该销毁申请已处理",
            },
            order=90,
        )
    )
    register_approvable(
        ApprovableKind(
            code="supplement",
            label="补充归档申请（封卷后更正）",
            noun="补充归档申请",
            model=SupplementRequest,
            capability=caps.REQUESTS_DECIDE,
            capability_target=lambda obj: obj.dossier.agency,
            table_refusal=True,
            pending=lambda user: SupplementRequest.objects.filter(
                status=SupplementRequest.Status.PENDING, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == SupplementRequest.Status.PENDING,
            effect=dossiers.apply_supplement_decision,
            select_related=("dossier",),
            title=lambda obj: (
                f"案卷{obj.dossier.number}补充{len(obj.items)}项材料：{obj.reason[:60]}"
            ),
            url=_url,
            fail=_fail,
            messages={"already_decided": "该补充归档申请已处理（{status}）"},
            order=100,
        )
    )
    register_approvable(
        ApprovableKind(
            code="transfer",
            label="档案移交申请",
            noun="移交申请",
            model=Transfer,
            capability=caps.TRANSFER_DECIDE,
            capability_target=lambda obj: obj.agency,
            table_refusal=True,
            pending=lambda user: Transfer.objects.filter(
                status=Transfer.Status.REQUESTED, agency=user.agency_id
            ),
            is_pending=lambda obj: obj.status == Transfer.Status.REQUESTED,
            effect=transfer.apply_transfer_decision,
            select_related=("dossier",),
            title=lambda obj: f"{obj.dossier.number} 移交{obj.recipient}",
            url=_url,
            fail=_fail,
            messages={
                "self_approval": "不能审批本人提交的移交申请",
                "already_decided": "该申请已处理（{status}），不能重复审批",
            },
            order=110,
        )
    )
