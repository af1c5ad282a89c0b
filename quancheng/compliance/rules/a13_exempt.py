"""A13-exempt: AV may stop for state/work/commercial secrets, personal privacy, weather or
force majeure; then a work record with the reason, made after the act and reviewed by the
agency head, archived with the case (A13).

Accepted work records exempt the act (or the stretch they name) from the A11 rules; this rule
reports work records that do not (yet) qualify.
"""

from .base import ERROR, Context, Hit, Rule


def check(ctx: Context):
    for e in ctx.timeline.explanations:
        if e.kind != "a13_work_record":
            continue
        problems = []
        if not e.reason:
            problems.append("未写明无法使用音像记录的原因")
        if e.created_at < ctx.act.ended_at:
            problems.append("应当在执法结束后制作")
        if e.review == "pending":
            problems.append("尚待机构负责人审核")
        elif e.review == "returned":
            problems.append("已被机构负责人退回")
        if problems:
            yield Hit(
                key=f"record:{e.id}",
                params={"id": e.id, "problems": "，".join(problems)},
                evidence={"explanations": [e.id]},
            )


RULE = Rule(
    id="A13-exempt",
    articles=("A13",),
    reference="第十三条",
    severity=ERROR,
    title="停止音像记录须制作工作记录并经机构负责人审核",
    message="停止音像记录的工作记录（第{id}号）{problems}",
    check=check,
)
