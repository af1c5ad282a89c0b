"""A11-mandatory: acts directly involving life and health or major property rights, and
case-handling rooms, are AV-recorded over the whole process (A11 ¶1; also A16.2, A17.2).

A camera switched on later than ``arrival_window_seconds`` after the act's start (the arrival
on site) is its own finding, "未在到达现场时开启" (A15.2).

Which kinds always need it is configuration (av_mandatory_kinds); an act flagged
involves_life_or_property needs it whatever its kind. Interruptions inside the recording are
A11-gap's; this rule looks at absence and at the act's start and end left unrecorded.
"""

from .base import ERROR, Context, Hit, Rule, hms, kind_label, local


def required(ctx: Context) -> bool:
    act = ctx.act
    return act.kind in ctx.config.av_mandatory_kinds or act.involves_life_or_property


def late_start_hits(ctx: Context, span):
    """A15.2: the camera is switched on on arrival (the act's start), not later."""
    late = (span[0] - ctx.act.started_at).total_seconds()
    window = ctx.config.tolerance("arrival_window_seconds")
    if late <= window:
        return
    yield Hit(
        key="late_start",
        params={
            "kind": kind_label(ctx.act.kind),
            "problem": f"未在到达现场时开启：执法行为开始 {local(ctx.act.started_at)}，"
            f"{hms(late)}后（{local(span[0])}）才开始录制，允许{window:g}秒",
        },
        evidence={
            "started_at": ctx.act.started_at.isoformat(),
            "recording_from": span[0].isoformat(),
            "late_seconds": round(late),
            "segments": [s.id for s in ctx.timeline.timed_segments],
        },
    )


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
    yield from late_start_hits(ctx, span)
    edge = ctx.config.tolerance("edge_seconds")
    start, end = timeline.window
    problems = []
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
