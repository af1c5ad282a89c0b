"""Registration (登记) of an act's records within 2 working days (A21)."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from quancheng.cases.models import Act
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.registration.deadlines import due_by_for
from quancheng.registration.models import LateRegistrationRequest
from quancheng.registration.services import (
    MAX_DELAY_DAYS,
    decide_late_request,
    register_records,
    registration_state,
    request_late_registration,
)

from . import responses
from .schemas import Id, Input, LocalDateTime, PersonRef

router = Router(tags=["记录登记"])


class LateRequestOut(Schema):
    id: int
    status: str
    status_label: str
    explanation: str
    requested_by: PersonRef
    requested_at: LocalDateTime
    decided_by: PersonRef | None
    decided_at: LocalDateTime | None
    decision_note: str
    approved_until: dt.date | None = Field(None, description="批准延期登记至（含当日）")


class RegistrationOut(Schema):
    act_id: int
    registered: bool
    registered_by: PersonRef | None
    registered_at: LocalDateTime | None
    on_time: bool | None
    note: str
    deadline: dt.date = Field(description="登记期限的最后一天（北京时间，当日24:00前）")
    due_by: LocalDateTime = Field(description="期限届满的时刻")
    deadline_provisional: bool = Field(
        description="该年节假日安排尚未载入，期限仅按周末推算（暂定）"
    )
    overdue: bool
    late_requests: list[LateRequestOut]


class RegisterIn(Input):
    note: str = Field("", max_length=5000, description="备注")
    confirm_open_findings: bool = Field(
        False,
        description="执法行为尚有违规检查发现（含缺少必需记录）时必须为 true：按现状登记，"
        "这些发现随登记记入登记事件；未确认时返回 open_findings 错误并列出它们",
    )


def _out(state) -> dict:
    registration = state.registration
    # The registered deadline is the one that applied; an open act's is computed today.
    deadline = registration.deadline if registration else state.deadline.last_day
    provisional = registration.deadline_provisional if registration else state.deadline.provisional
    return {
        "act_id": state.act.pk,
        "registered": registration is not None,
        "registered_by": registration.registered_by if registration else None,
        "registered_at": registration.registered_at if registration else None,
        "on_time": registration.on_time if registration else None,
        "note": registration.note if registration else "",
        "deadline": deadline,
        "due_by": due_by_for(deadline),
        "deadline_provisional": provisional,
        "overdue": state.overdue,
        "late_requests": [
            {
                "id": r.pk,
                "status": r.status,
                "status_label": r.get_status_display(),
                "explanation": r.explanation,
                "requested_by": r.requested_by,
                "requested_at": r.requested_at,
                "decided_by": r.decided_by,
                "decided_at": r.decided_at,
                "decision_note": r.decision_note,
                "approved_until": r.approved_until,
            }
            for r in state.requests
        ],
    }


@router.get(
    "/acts/{act_id}/registration",
    response={200: RegistrationOut, **responses.READ},
    summary="执法行为的记录登记状态与期限",
)
def get_registration(request, act_id: int):
    act = get_visible_or_404(Act, request.user, pk=act_id)
    return _out(registration_state(act))


@router.post(
    "/acts/{act_id}/registration",
    response={201: RegistrationOut, **responses.CREATE},
    summary="登记执法行为的记录（记录管理专人）",
)
def post_registration(request, act_id: int, payload: RegisterIn):
    act = get_visible_or_404(Act, request.user, pk=act_id)
    register_records(
        request.user, act, payload.note, confirm_open_findings=payload.confirm_open_findings
    )
    return Status(201, _out(registration_state(act)))


class LateRequestIn(Input):
    explanation: str = Field(max_length=5000, description="不能按期储存登记的情况说明")


class LateDecisionIn(Input):
    approve: bool
    note: str = Field("", max_length=5000, description="审批意见（不予批准时必填）")
    approved_until: dt.date | None = Field(
        None,
        description="批准延期登记至（含当日）；批准时必填，须晚于登记期限，"
        f"至迟为期限后{MAX_DELAY_DAYS}日",
    )


@router.post(
    "/acts/{act_id}/late-requests",
    response={201: RegistrationOut, **responses.CREATE},
    summary="申请延期登记（第二十一条：书面说明情况，报机构负责人事先批准）",
)
def post_late_request(request, act_id: Id, payload: LateRequestIn):
    act = get_visible_or_404(Act, request.user, pk=act_id)
    request_late_registration(request.user, act, payload.explanation)
    return Status(201, _out(registration_state(act)))


@router.post(
    "/late-requests/{request_id}/decision",
    response={200: RegistrationOut, **responses.CHANGE},
    summary="审批延期登记申请（机构负责人；批准时给出批准延期至的日期）",
)
def decide_late_request_api(request, request_id: Id, payload: LateDecisionIn):
    late = get_visible_or_404(
        LateRegistrationRequest.objects.select_related("act"), request.user, pk=request_id
    )
    decide_late_request(request.user, late, payload.approve, payload.note, payload.approved_until)
    return _out(registration_state(late.act))
