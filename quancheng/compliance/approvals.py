"""The compliance app's approvable kind (``orgs/approvals.py``): the A13 work record the head
reviews (第十三条：停止音像记录的工作记录报本机构主要负责人审核)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from quancheng.orgs import capabilities as caps
from quancheng.orgs.approvals import ApprovableKind, register_approvable

from . import services
from .models import Explanation


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
    return services._error(message, "not_pending" if code == "already_decided" else code)


def register() -> None:
    register_approvable(
        ApprovableKind(
            code="a13_review",
            label="停止音像记录工作记录审核（第十三条）",
            noun="工作记录",
            model=Explanation,
            capability=caps.ACT_REVIEW,
            capability_target=lambda obj: obj.act,
            table_refusal=True,
            pending=lambda user: Explanation.objects.filter(
                review=Explanation.Review.PENDING, act__agency=user.agency_id
            ),
            is_pending=lambda obj: obj.review == Explanation.Review.PENDING,
            effect=services.apply_review,
            select_related=("act__subject",),
            title=lambda obj: f"{obj.act}：{obj.get_reason_display()}",
            url=_url,
            fail=_fail,
            status_label=lambda obj: obj.get_review_display(),
            messages={
                "self_approval": "不能审核本人填写的工作记录",
                "already_decided": "该说明不在待审核状态（{status}）",
            },
            order=60,
        )
    )
