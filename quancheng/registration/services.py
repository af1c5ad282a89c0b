"""Registering an act's records (登记, A21) and late registration with the head's approval.

Who does what (A19, A21):
- the records custodian (记录管理专人) of the act's scope registers; investigators may not keep
  records themselves, so officers never register;
- after the deadline, registration needs a written explanation (情况说明) that the head
  (机构负责人) of the act's agency approved before the registration; the custodian or one of
  the act's officers writes it;
- each request, decision and registration is a ledger event on the act, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.records.models import DataRecord, Document, Segment

from . import checks
from .deadlines import Deadline, working_day_deadline
from .models import ActRegistration, LateRegistrationRequest
from .signals import registration_changed

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MAX_TEXT = 5000
# A21 gives 2 working days; a delay the head approves bridges a stated, passing obstacle (a
# device at repair, officers away): it runs at most this many days past the deadline.
MAX_DELAY_DAYS = 30


def act_records(act: Act) -> list[dict]:
    """The record items (AV segments, documents, data records) an act's registration covers.

    Each item is {"type": "<app_label.model>", "id": "<pk>", "sha256": "<hex>"}, a stored file
    also with its "sm3" (None while pending; docs/national-crypto.md); the list is written into
    the registration's ledger event so that the event pins what was registered.
    """

    items = []
    for model in (Segment, Document):
        rows = (
            model.objects.filter(act=act).order_by("pk").values_list("pk", "blob_id", "blob__sm3")
        )
        for pk, sha256, sm3 in rows:
            label = model._meta.label_lower
            items.append({"type": label, "id": str(pk), "sha256": sha256, "sm3": sm3 or None})
    for pk, sha256 in DataRecord.objects.filter(act=act).order_by("pk").values_list("pk", "sha256"):
        items.append({"type": DataRecord._meta.label_lower, "id": str(pk), "sha256": sha256})
    return items


def _error(message: str, code: str, field_name: str = "__all__") -> ValidationError:
    return ValidationError({field_name: [ValidationError(message, code=code)]})


def _clean_text(value: str, field_name: str, label: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _error(f"请填写{label}", "required", field_name)
    if len(value) > MAX_TEXT:
        raise _error(f"{label}不能超过{MAX_TEXT}个字", "too_long", field_name)
    return value


@dataclass
class RegistrationState:
    """What the act page and the API show about an act's registration."""

    act: Act
    deadline: Deadline
    registration: ActRegistration | None
    requests: list[LateRegistrationRequest] = field(default_factory=list)
    now: dt.datetime = field(default_factory=timezone.now)

    @property
    def registered(self) -> bool:
        return self.registration is not None

    @property
    def ended(self) -> bool:
        return self.act.ended_at <= self.now

    @property
    def overdue(self) -> bool:
        return not self.registered and self.deadline.is_past(self.now)

    @property
    def pending_request(self) -> LateRegistrationRequest | None:
        pending = LateRegistrationRequest.Status.PENDING
        return next((r for r in self.requests if r.status == pending), None)

    @property
    def approved_request(self) -> LateRegistrationRequest | None:
        approved = LateRegistrationRequest.Status.APPROVED
        return next((r for r in self.requests if r.status == approved), None)

    @property
    def may_register_now(self) -> bool:
        """Registration would be accepted now (ignoring who asks)."""
        if self.registered or not self.ended:
            return False
        return not self.overdue or self.approved_request is not None


def registration_state(act: Act, now: dt.datetime | None = None) -> RegistrationState:
    """An act's registration: its deadline, registration and late-registration requests."""
    registration = ActRegistration.objects.filter(act=act).select_related("registered_by").first()
    requests = list(
        LateRegistrationRequest.objects.filter(act=act).select_related("requested_by", "decided_by")
    )
    return RegistrationState(
        act=act,
        deadline=working_day_deadline(act),
        registration=registration,
        requests=requests,
        now=now or timezone.now(),
    )


def _deadline_body(deadline: Deadline) -> dict:
    return {
        "deadline": deadline.last_day.isoformat(),
        "due_by": deadline.due_by.isoformat(),
        "deadline_provisional": deadline.provisional,
    }


def _locked_act(act: Act) -> Act:
    # Requests, decisions and the registration of one act queue on the act's row.
    return Act.objects.select_for_update().select_related("agency").get(pk=act.pk)


@transaction.atomic(durable=True)
def register_records(
    actor: User, act: Act, note: str = "", confirm_open_findings: bool = False
) -> ActRegistration:
    """Register the act's records (登记). Only the custodian of the act's scope may; after the
    deadline only with a late request the agency head approved beforehand.

    While the rules find errors on the act (a mandatory record missing, an unanswered or
    unaccepted violation), registering needs ``confirm_open_findings``: the records are then
    registered as they are, and the errors they were registered with go into the event.
    """
    act = _locked_act(act)
    caps.require(actor, caps.RECORDS_REGISTER, act)
    note = _clean_text(note, "note", "备注", required=False)
    now = timezone.now()
    if ActRegistration.objects.filter(act=act).exists():
        raise _error("该执法行为的记录已登记，不能重复登记", "already_registered")
    if act.ended_at > now:
        raise _error("执法行为尚未结束，结束后才能登记记录", "act_not_ended")
    deadline = working_day_deadline(act)
    late = deadline.is_past(now)
    approved = None
    if late:
        approved = (
            LateRegistrationRequest.objects.filter(
                act=act, status=LateRegistrationRequest.Status.APPROVED
            )
            .order_by("-decided_at", "-pk")
            .first()
        )
        if approved is None:
            provisional = "（期限按周末推算，为暂定）" if deadline.provisional else ""
            raise _error(
                f"已超过登记期限（{deadline.last_day:%Y年%m月%d日}前，现场执法结束后2个工作日内"
                f"{provisional}）。逾期登记须书面说明情况，并经机构负责人事先批准"
                "（第二十一条）；请先提交延期登记申请。",
                "late_without_approval",
            )
    open_findings = _open_findings(act, now)
    if open_findings and not confirm_open_findings:
        summary = (
            f"该执法行为尚有{len(open_findings)}项违规检查发现未处理，登记须确认："
            "确认后这些发现将随登记一并记录（confirm_open_findings）"
        )
        raise ValidationError(
            {
                "__all__": [ValidationError(summary, code="open_findings")],
                "open_findings": [
                    ValidationError(f["message"], code="open_findings") for f in open_findings
                ],
            }
        )
    registration = ActRegistration.objects.create(
        act=act,
        registered_by=actor,
        registered_at=now,
        deadline=deadline.last_day,
        deadline_provisional=deadline.provisional,
        on_time=not late,
        late_request=approved,
        note=note,
    )
    record_event(
        actor,
        Action.REGISTRATION_REGISTERED,
        act,
        {
            "registration": registration.pk,
            "registered_at": now.isoformat(),
            **_deadline_body(deadline),
            "on_time": not late,
            "late_request": approved.pk if approved else None,
            "note": note,
            "records": act_records(act),
            # Registered although these errors were open, confirmed by the registrar.
            "open_findings_confirmed": open_findings,
        },
    )
    registration_changed.send(ActRegistration, act=act)  # compliance: A21-deadline, after commit
    return registration


def _open_findings(act: Act, now) -> list[dict]:
    """The errors the rules find on the act now (compliance's checklist, registered in
    ``checks``), without the registration's own deadline: what a registration would be recorded
    against."""
    return [
        {k: f[k] for k in ("rule", "key", "article", "message", "finding")}
        for f in checks.open_errors(act, now)
    ]


@transaction.atomic(durable=True)
def request_late_registration(actor: User, act: Act, explanation: str) -> LateRegistrationRequest:
    """File a written explanation (情况说明) asking the head to allow a late registration."""
    act = _locked_act(act)
    caps.require(actor, caps.LATE_REGISTRATION_REQUEST, act)
    explanation = _clean_text(explanation, "explanation", "情况说明")
    if ActRegistration.objects.filter(act=act).exists():
        raise _error("该执法行为的记录已登记，无需申请延期", "already_registered")
    if LateRegistrationRequest.objects.filter(act=act).pending().exists():
        raise _error("已有一份待审批的延期登记申请，请等待机构负责人审批", "request_pending")
    if LateRegistrationRequest.objects.filter(
        act=act, status=LateRegistrationRequest.Status.APPROVED
    ).exists():
        raise _error("延期登记申请已获批准，可直接登记", "already_approved")
    now = timezone.now()
    deadline = working_day_deadline(act)
    request = LateRegistrationRequest.objects.create(
        act=act, requested_by=actor, requested_at=now, explanation=explanation
    )
    record_event(
        actor,
        Action.REGISTRATION_LATE_REQUESTED,
        act,
        {
            "request": request.pk,
            "explanation": explanation,
            **_deadline_body(deadline),
            # A21 wants the approval before the delay; a request after the deadline is kept
            # and shown as such to the head.
            "filed_before_deadline": not deadline.is_past(now),
        },
    )
    return request


def delay_bounds(last_day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last date a delay may run to, for a deadline's last day."""
    return last_day + dt.timedelta(days=1), last_day + dt.timedelta(days=MAX_DELAY_DAYS)


def _approved_until(act: Act, approve: bool, day: dt.date | None) -> dt.date | None:
    """The date a delay runs to: set by the head when approving, after the A21 deadline and at
    most MAX_DELAY_DAYS after it (docs/compliance.md, "Late registration")."""
    if not approve:
        return None
    if day is None:
        raise _error(
            "批准延期登记时请填写批准延期至的日期", "approved_until_required", "approved_until"
        )
    last_day = working_day_deadline(act).last_day
    first, latest = delay_bounds(last_day)
    if day < first:
        raise _error(
            f"批准延期的日期应晚于登记期限（{last_day:%Y年%m月%d日}）",
            "approved_until_too_early",
            "approved_until",
        )
    if day > latest:
        raise _error(
            f"批准延期的日期不能晚于登记期限后{MAX_DELAY_DAYS}日（{latest:%Y年%m月%d日}）",
            "approved_until_too_late",
            "approved_until",
        )
    return day


def decide_late_request(
    actor: User,
    request: LateRegistrationRequest,
    approve: bool,
    note: str = "",
    approved_until: dt.date | None = None,
) -> LateRegistrationRequest:
    """The head of the act's agency approves or refuses a late registration request; approving
    needs the date the delay runs to (registering by then is compliant when the approval came
    before the deadline; an approval after it is 事后审批, a finding of A21-deadline)."""
    note = _clean_text(note, "note", "审批意见", required=not approve)
    return approvals.decide(
        "late_registration",
        request,
        actor,
        approve=approve,
        note=note,
        approved_until=approved_until,
    )


def apply_late_decision(
    request: LateRegistrationRequest,
    actor: User,
    approve: bool,
    note: str,
    *,
    approved_until: dt.date | None = None,
) -> LateRegistrationRequest:
    """The late request's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_late_decision")  # inside approvals.decide()
    act = _locked_act(request.act)
    if ActRegistration.objects.filter(act=act).exists():
        raise _error("该执法行为的记录已登记，无需审批", "already_registered")
    status = LateRegistrationRequest.Status
    request.status = status.APPROVED if approve else status.REFUSED
    request.approved_until = _approved_until(act, approve, approved_until)
    request.save(
        update_fields=["status", "decided_by", "decided_at", "decision_note", "approved_until"]
    )
    deadline = working_day_deadline(act)
    record_event(
        actor,
        Action.REGISTRATION_LATE_APPROVED if approve else Action.REGISTRATION_LATE_REFUSED,
        act,
        {
            "request": request.pk,
            "note": note,
            "approved_until": request.approved_until.isoformat()
            if request.approved_until
            else None,
            "before_deadline": not deadline.is_past(request.decided_at),
            **_deadline_body(deadline),
        },
    )
    registration_changed.send(LateRegistrationRequest, act=act)
    return request
