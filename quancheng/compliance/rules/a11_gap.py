"""A11-gap: AV is uninterrupted in principle; each interruption needs a voice explanation of
its cause in the recording, or, when that was impossible, a written explanation made after the
act (A11 ¶2).

An interruption is an uncovered stretch longer than the configured ``gap_seconds`` between the
first and the last recorded moment (all devices together). It is explained by an
``interruption_explained`` marker within ``explanation_window_seconds`` after the recording
resumes, by a written explanation made after the act ended (for that stretch, or for all), or
by an A13 work record the agency head accepted.
"""

import datetime as dt

from .base import ERROR, Context, Hit, Rule, hms, local


def _voice_explained(ctx: Context, gap_end: dt.datetime, window: float) -> bool:
    limit = gap_end + dt.timedelta(seconds=window)
    return any(
        m.at is not None and gap_end <= m.at <= limit
        for m in ctx.timeline.markers_of("interruption_explained")
    )


def _written_explained(ctx: Context, gap) -> bool:
    for e in ctx.timeline.explanations:
        if e.kind != "written_gap" or e.created_at < ctx.act.ended_at:
            continue  # A11 ¶2: made after the act
        if e.gap_started_at is None or e.gap_ended_at is None:
            return True
        if e.gap_started_at < gap[1] and gap[0] < e.gap_ended_at:
            return True
    return False


def check(ctx: Context):
    config = ctx.config
    window = config.tolerance("explanation_window_seconds")
    segments = ctx.timeline.timed_segments
    for gap in ctx.timeline.gaps(config.tolerance("gap_seconds")):
        if _voice_explained(ctx, gap[1], window) or _written_explained(ctx, gap):
            continue
        if ctx.exempt(gap):
            continue
        before = [s.id for s in segments if s.ended_at == gap[0]]
        after = [s.id for s in segments if s.started_at == gap[1]]
        yield Hit(
            key=f"gap@{gap[0].isoformat()}",
            params={
                "start": local(gap[0]),
                "end": local(gap[1]),
                "duration": hms((gap[1] - gap[0]).total_seconds()),
            },
            evidence={
                "gap": [gap[0].isoformat(), gap[1].isoformat()],
                "segments_before": before,
                "segments_after": after,
            },
        )


RULE = Rule(
    id="A11-gap",
    articles=("A11",),
    reference="第十一条第二款",
    severity=ERROR,
    title="音像记录中断须语音说明或事后书面说明",
    message=(
        "音像记录在 {start} 至 {end} 中断{duration}，录像中无中断原因的语音说明，"
        "执法活动结束后也未制作书面说明"
    ),
    check=check,
)
