"""A11-mandatory: acts directly involving life and health or major property rights, and
case-handling rooms, are AV-recorded over the whole process (A11 ¶1; also A16.2, A17.2).

Which kinds always need it is configuration (av_mandatory_kinds); an act flagged
involves_life_or_property needs it whatever its kind. Interruptions inside the recording are
A11-gap's; this rule looks at absence and at the act's start and end left unrecorded.
"""

from .base import ERROR, Context, Hit, Rule, hms, kind_label, local


def required(ctx: Context) -> bool:
    act = ctx.act
    return act.kind in ctx.config.av_mandatory_kinds or act.involves_life_or_property


def check(ctx: Context):
    if not required(ctx) or ctx.exempt():
        return
    timeline = ctx.timeline
    span = timeline.recorded_span
    if span is None:
        yield Hit(
            key="absent",
            params={"kind": kind_label(ctx.act.kind), "problem": "未见任何音像记录"},
            missing_record=True,
        )
        return
    edge = ctx.config.tolerance("edge_seconds")
    start, end = timeline.window
    problems = []
    if (span[0] - start).total_seconds() > edge:
        problems.append(f"开始后{hms((span[0] - start).total_seconds())}才开始录制")
    if (end - span[1]).total_seconds() > edge:
        problems.append(f"结束前{hms((end - span[1]).total_seconds())}已停止录制")
    if problems:
        yield Hit(
            key="incomplete",
            params={
                "kind": kind_label(ctx.act.kind),
                "problem": f"执法行为{'，'.join(problems)}"
                f"（录制 {local(span[0])} 至 {local(span[1])}）",
            },
            evidence={
                "window": [start.isoformat(), end.isoformat()],
                "recorded": [span[0].isoformat(), span[1].isoformat()],
                "segments": [s.id for s in timeline.timed_segments],
            },
        )


RULE = Rule(
    id="A11-mandatory",
    articles=("A11", "A16", "A17"),
    reference="第十一条第一款",
    severity=ERROR,
    title="直接涉及生命健康、重大财产权益的执法活动全过程音像记录",
    message="{kind}应当全过程音像记录：{problem}",
    check=check,
)
