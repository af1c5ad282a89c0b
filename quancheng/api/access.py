"""Access requests (调阅申请, A24) by API, and the ``access_denied`` error of every content route.

A request names one case, act or item; the agency head of its records approves (with an expiry)
or refuses; the requester may withdraw. The services in quancheng/access/requests.py decide.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404
from ninja import Field, Router, Schema, Status

from quancheng.access import requests as services
from quancheng.access.enforce import AccessDenied
from quancheng.access.models import AccessRequest

from . import responses
from .errors import error_response
from .schemas import Id, Input, InputDateTime, LocalDateTime, PersonRef

router = Router(tags=["调阅申请"])


class AccessRequestIn(Input):
    purpose: str = Field(max_length=services.MAX_PURPOSE, description="调阅事由")
    case_id: Id | None = Field(None, description="调阅整个案件的记录")
    act_id: Id | None = Field(None, description="调阅整个执法行为的记录")
    item_kind: Literal["segment", "document", "datarecord"] | None = Field(
        None, description="调阅单个记录：类型"
    )
    item_id: Id | None = Field(None, description="调阅单个记录：编号")
    allow_download: bool = Field(False, description="需要下载原始文件")


class AccessDecisionIn(Input):
    approve: bool
    note: str = Field("", max_length=services.MAX_NOTE, description="审批意见（不予批准时必填）")
    expires_at: InputDateTime | None = Field(None, description="有效期至；默认批准后7天")
    allow_download: bool | None = Field(None, description="false：只批准查看、播放")


class AccessRequestOut(Schema):
    id: int
    status: str
    status_label: str
    agency_id: int
    requester: PersonRef  # the model's requested_by, under the name terminals read (docs/api.md)
    purpose: str
    case_id: int | None
    act_id: int | None
    item_kind: str
    item_id: int | None
    target: str
    allow_download: bool
    requested_at: LocalDateTime
    decided_by: PersonRef | None
    decided_at: LocalDateTime | None
    decision_note: str
    expires_at: LocalDateTime | None


def _out(r: AccessRequest) -> dict:
    return {
        "id": r.pk,
        "status": r.status,
        "status_label": r.get_status_display(),
        "agency_id": r.agency_id,
        "requester": r.requested_by,
        "purpose": r.purpose,
        "case_id": r.case_id,
        "act_id": r.act_id,
        "item_kind": r.item_kind,
        "item_id": r.item_id,
        "target": services.describe_target(r),
        "allow_download": r.allow_download,
        "requested_at": r.requested_at,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "expires_at": r.expires_at,
    }


def _request(request, request_id: int) -> AccessRequest:
    found = services.requests_visible_to(request.user).filter(pk=request_id).first()
    if found is None:
        raise Http404
    return found


@router.get(
    "/access-requests",
    response={200: list[AccessRequestOut], **responses.LIST},
    summary="调阅申请（本人提交的；机构负责人、记录管理专人、法制稽查可见辖区内全部）",
)
def list_access_requests(request, status: str | None = None):
    qs = services.requests_visible_to(request.user)
    if status:
        qs = qs.filter(status=status)
    return [_out(r) for r in qs.order_by("-requested_at", "-pk")[:500]]


@router.post(
    "/access-requests",
    response={201: AccessRequestOut, **responses.CREATE},
    summary="提交调阅申请",
)
def post_access_request(request, payload: AccessRequestIn):
    created = services.create_request(
        request.user,
        purpose=payload.purpose,
        case=payload.case_id,
        act=payload.act_id,
        item_kind=payload.item_kind or "",
        item_id=payload.item_id,
        allow_download=payload.allow_download,
    )
    return Status(201, _out(created))


@router.get(
    "/access-requests/{request_id}",
    response={200: AccessRequestOut, **responses.READ},
    summary="调阅申请详情",
)
def get_access_request(request, request_id: int):
    return _out(_request(request, request_id))


@router.post(
    "/access-requests/{request_id}/decision",
    response={200: AccessRequestOut, **responses.CHANGE},
    summary="机构负责人批准或不予批准",
)
def post_decision(request, request_id: int, payload: AccessDecisionIn):
    decided = services.decide_request(
        request.user,
        _request(request, request_id),
        payload.approve,
        payload.note,
        expires_at=payload.expires_at,
        allow_download=payload.allow_download,
    )
    return _out(decided)


@router.post(
    "/access-requests/{request_id}/withdraw",
    response={200: AccessRequestOut, **responses.CHANGE},
    summary="申请人撤回",
)
def post_withdraw(request, request_id: int):
    return _out(services.withdraw_request(request.user, _request(request, request_id)))


def on_access_denied(request, exc: AccessDenied):
    """403 ``access_denied``: the policy refused; the client may file an access request."""
    return error_response(403, "access_denied", exc.decision.reason_zh)
