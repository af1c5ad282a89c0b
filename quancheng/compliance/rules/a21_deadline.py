"""A21-deadline: records are stored and registered within 2 working days after the on-site act
ends (Chinese calendar); later only with a written explanation approved in advance (A21 ¶1).

Reads the act's registration (quancheng.registration): registered late, or not registered and
the deadline passed.
"""

from .base import ERROR, Context, Hit, Rule, local


def check(ctx: Context):
    act = ctx.act
    if act.ended_at > ctx.now:
        return
    registration = ctx.registration
    if registration is not None:
        if registration.on_time:
            return
        approved = "（已经机构负责人批准延期）" if registration.late_request_id else ""
        yield Hit(
            key="late",
            params={
                "problem": f"记录于 {local(registration.registered_at)} 登记，"
                f"超过登记期限 {registration.deadline:%Y-%m-%d}{approved}"
            },
            evidence={
                "registered_at": registration.registered_at.isoformat(),
                "deadline": registration.deadline.isoformat(),
                "late_request": registration.late_request_id,
            },
        )
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
