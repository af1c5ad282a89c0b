"""Registration (登记) of an act's records within 2 working days (A21)."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from quancheng.cases.models import Act
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.registration.deadlines import due_by_for
from quancheng.registration.services import register_records, registration_state

from . import responses
from .schemas import Input, LocalDateTime, PersonRef

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
    register_records(request.user, act, payload.note)
    return Status(201, _out(registration_state(act)))
