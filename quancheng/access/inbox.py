"""The head's approvals inbox (审批待办): everything waiting for the current head, from all apps.

The models are queried directly (their flows are built in their own apps): access requests,
evidence extractions, provisions to outside bodies (A24 ¶2) and their redacted copies, late
registration requests (A21), A13 work records to review, holds and lift requests (A23), disposal
proposals (A22), supplements to sealed dossiers (补充归档), transfers to the archives. Nothing
here decides; each entry links to the page where its own app decides, or shows no link when that
page does not exist (yet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch

from quancheng.orgs import capabilities as caps

from .models import AccessRequest, Extraction, Provision, RedactedCopy

if TYPE_CHECKING:
    from quancheng.orgs.models import User


@dataclass
class Entry:
    kind: str  # the section it belongs to
    title: str
    requester: object
    requested_at: dt.datetime
    url: str
    obj: object


SECTIONS = {
    "access_request": "调阅申请",
    "extraction": "证据提取申请",
    "provision": "对外提供申请（第二十四条第二款）",
    "redaction": "脱敏副本审核（播放后批准）",
    "late_registration": "延期登记申请",
    "a13_review": "停止音像记录工作记录审核（第十三条）",
    "hold": "长期保存申请",
    "hold_lift": "解除长期保存申请",
    "disposal": "销毁申请",
    "supplement": "补充归档申请（封卷后更正）",
    "transfer": "档案移交申请",
}


def _url(obj, fallback=None) -> str:
    for target in (obj, fallback):
        if target is None:
            continue
        try:
            return target.get_absolute_url()
        except (NoReverseMatch, AttributeError):
            continue
    return ""


def _querysets(user: User) -> dict:
    from quancheng.archive.models import DisposalProposal, Hold, SupplementRequest, Transfer
    from quancheng.compliance.models import Explanation
    from quancheng.registration.models import LateRegistrationRequest

    agency = user.agency_id
    return {
        "access_request": AccessRequest.objects.filter(
            status=AccessRequest.Status.PENDING, agency=agency
        )
        .exclude(requester=user)
        .select_related("requester", "case", "act"),
        "extraction": Extraction.objects.filter(status=Extraction.Status.PENDING, agency=agency)
        .exclude(requested_by=user)
        .select_related("requested_by"),
        "provision": Provision.objects.filter(status=Provision.Status.REQUESTED, agency=agency)
        .exclude(requested_by=user)
        .select_related("requested_by"),
        "redaction": RedactedCopy.objects.filter(status=RedactedCopy.Status.REVIEW, agency=agency)
        .exclude(requested_by=user)
        .select_related("requested_by", "provision"),
        "late_registration": LateRegistrationRequest.objects.filter(
            status=LateRegistrationRequest.Status.PENDING, act__agency=agency
        ).select_related("requested_by", "act__subject"),
        "a13_review": Explanation.objects.filter(
            review=Explanation.Review.PENDING, act__agency=agency
        ).select_related("created_by", "act__subject"),
        "hold": Hold.objects.filter(status=Hold.Status.REQUESTED, agency=agency).select_related(
            "requested_by", "case", "act"
        ),
        "hold_lift": Hold.objects.filter(
            status=Hold.Status.LIFT_REQUESTED, agency=agency
        ).select_related("lift_requested_by", "case", "act"),
        "disposal": DisposalProposal.objects.filter(
            status=DisposalProposal.Status.PROPOSED, agency=agency
        )
        .exclude(proposed_by=user)
        .select_related("proposed_by"),
        "supplement": SupplementRequest.objects.filter(
            status=SupplementRequest.Status.PENDING, agency=agency
        )
        .exclude(requested_by=user)
        .select_related("requested_by", "dossier"),
        "transfer": Transfer.objects.filter(status=Transfer.Status.REQUESTED, agency=agency)
        .exclude(requested_by=user)
        .select_related("requested_by", "dossier"),
    }


def inbox_count(user: User) -> int:
    """How many decisions wait for the head (the navigation's badge): one count per section."""
    if not caps.can(user, caps.REQUESTS_DECIDE):
        return 0
    return sum(qs.count() for qs in _querysets(user).values())


def _entry(kind: str, obj) -> Entry:
    if kind == "access_request":
        return Entry(kind, str(obj), obj.requester, obj.requested_at, _url(obj), obj)
    if kind == "extraction":
        return Entry(kind, str(obj), obj.requested_by, obj.requested_at, _url(obj), obj)
    if kind == "provision":
        title = f"向{obj.recipient}提供 {len(obj.items)} 项记录"
        return Entry(kind, title, obj.requested_by, obj.requested_at, _url(obj), obj)
    if kind == "redaction":
        title = (
            f"对外提供 {obj.provision_id}（{obj.provision.recipient}）：音像记录 {obj.segment_id}"
        )
        return Entry(kind, title, obj.requested_by, obj.requested_at, _url(obj), obj)
    if kind == "late_registration":
        title = f"{obj.act}：{obj.explanation[:60]}"
        return Entry(kind, title, obj.requested_by, obj.requested_at, _url(obj, obj.act), obj)
    if kind == "a13_review":
        title = f"{obj.act}：{obj.get_reason_display()}"
        return Entry(kind, title, obj.created_by, obj.created_at, _url(obj, obj.act), obj)
    if kind == "hold":
        target = obj.case or obj.act
        title = f"{target}：{obj.get_reason_display()}"
        return Entry(kind, title, obj.requested_by, obj.requested_at, _url(obj, target), obj)
    if kind == "hold_lift":
        target = obj.case or obj.act
        title = f"{target}：{obj.lift_reason[:60]}"
        return Entry(kind, title, obj.lift_requested_by, obj.requested_at, _url(obj, target), obj)
    if kind == "supplement":
        title = f"案卷{obj.dossier.number}补充{len(obj.items)}项材料：{obj.reason[:60]}"
        return Entry(kind, title, obj.requested_by, obj.requested_at, _url(obj), obj)
    if kind == "transfer":
        title = f"{obj.dossier.number} 移交{obj.recipient}"
        return Entry(kind, title, obj.requested_by, obj.requested_at, _url(obj), obj)
    return Entry(kind, str(obj), obj.proposed_by, obj.proposed_at, _url(obj), obj)


def inbox(user: User) -> list[tuple[str, str, list[Entry]]]:
    """(section code, section title, entries oldest first) for every section, empty ones too."""
    if not caps.can(user, caps.REQUESTS_DECIDE):
        return []
    sections = []
    for kind, qs in _querysets(user).items():
        entries = sorted((_entry(kind, obj) for obj in qs), key=lambda e: e.requested_at)
        sections.append((kind, SECTIONS[kind], entries))
    return sections
