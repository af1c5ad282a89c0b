"""A21-deadline: records are stored and registered within 2 working days after the on-site act
ends (Chinese calendar); later only with a written explanation approved in advance (A21 ¶1).

Reads the act's registration (quancheng.registration):
- registered on time: compliant;
- registered late with the head's approval given *before* the deadline, by the approved date
  (or with no date set): compliant, the delay was approved as A21 asks (事先批准);
- registered late with an approval given after the deadline: "事后审批", a finding of its own;
- registered late otherwise, or not registered and the deadline passed: a finding.
AV linked to the act after its registration is registered by that link; each segment must have
arrived within the act's own deadline (counted from the act's end), else a finding per segment
(docs/registration.md); terminal data's arrival is A12-data's.
"""

from quancheng.registration.deadlines import due_by_for

from .base import ERROR, Context, Hit, Rule, local


def _late_registration_hit(ctx: Context, registration) -> Hit | None:
    due_by = due_by_for(registration.deadline)
    evidence = {
        "registered_at": registration.registered_at.isoformat(),
        "deadline": registration.deadline.isoformat(),
        "late_request": registration.late_request_id,
    }
    approved_at = registration.approved_at
    if approved_at is not None and approved_at >= due_by:
        return Hit(
            key="approved_after",
            params={
                "problem": f"记录于 {local(registration.registered_at)} 登记，超过登记期限 "
                f"{registration.deadline:%Y-%m-%d}；延期申请于 {local(approved_at)} 才经机构负责人"
                "批准，属事后审批，不是事先批准延期移交"
            },
            evidence={**evidence, "approved_at": approved_at.isoformat()},
        )
    until = registration.approved_until
    if approved_at is not None and (
        until is None or registration.registered_at < due_by_for(until)
    ):
        return None  # approved beforehand and registered within the approved delay
    approved = f"（已经机构负责人批准延期至 {until:%Y-%m-%d}）" if approved_at else ""
    return Hit(
        key="late",
        params={
            "problem": f"记录于 {local(registration.registered_at)} 登记，"
            f"超过登记期限 {registration.deadline:%Y-%m-%d}{approved}"
        },
        evidence=evidence,
    )


def _late_item_hits(ctx: Context, registration):
    """AV linked after the registration: each arrived within the act's deadline (terminal
    data's arrival is A12-data's, which checks every data record whenever it was linked)."""
    due_by = due_by_for(registration.deadline)
    if registration.approved_at is not None and registration.approved_until is not None:
        due_by = max(due_by, due_by_for(registration.approved_until))
    for pk, arrived in [(s.id, s.created_at) for s in ctx.timeline.segments]:
        if arrived is None or arrived <= registration.registered_at or arrived < due_by:
            continue
        yield Hit(
            key=f"item:segment:{pk}",
            params={
                "problem": f"执法行为登记后补充关联的音像记录（#{pk}）"
                f"于 {local(arrived)} 才储存登记，"
                f"超过现场执法结束后2个工作日的期限 {registration.deadline:%Y-%m-%d}"
            },
            evidence={"item": ["segment", pk], "arrived_at": arrived.isoformat()},
        )


def check(ctx: Context):
    act = ctx.act
    if act.ended_at > ctx.now:
        return
    registration = ctx.registration
    if registration is not None:
        if not registration.on_time:
            hit = _late_registration_hit(ctx, registration)
            if hit is not None:
                yield hit
        yield from _late_item_hits(ctx, registration)
        return
    deadline = ctx.deadline
    if deadline is not None and deadline.is_past(ctx.now):
        yield Hit(
            key="overdue",
            params={
                "problem": f"现场执法结束后2个工作日内（{deadline.last_day:%Y-%m-%d}前）未储存登记"
            },
            evidence={"deadline": deadline.last_day.isoformat()},
        )


RULE = Rule(
    id="A21-deadline",
    articles=("A21",),
    reference="第二十一条第一款",
    severity=ERROR,
    title="现场执法结束后2个工作日内储存并登记",
    message="{problem}",
    check=check,
)
