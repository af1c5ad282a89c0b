"""A15-door: inspection AV starts on arrival with the storefront and surroundings filmed before
entering, and films the storefront again at the end (A15.2).

Read from ``arrival_door`` and ``door_at_end`` markers near the first and the last recorded
moment (``door_window_seconds``). "Not interrupted in between" is A11-gap's check.
"""

import datetime as dt

from .base import ERROR, Context, Hit, Rule


def _near(ctx: Context, kind: str, moment: dt.datetime, window: float) -> bool:
    return any(
        m.at is not None and abs((m.at - moment).total_seconds()) <= window
        for m in ctx.timeline.markers_of(kind)
    )


def check(ctx: Context):
    if ctx.act.kind not in ctx.config.door_kinds:
        return
    span = ctx.timeline.recorded_span
    if span is None:
        return  # no AV at all: A11-dispute / A11-mandatory
    window = ctx.config.tolerance("door_window_seconds")
    if not _near(ctx, "arrival_door", span[0], window):
        yield Hit(
            key="arrival",
            params={"moment": "到达检查地点开启执法记录仪后，未拍摄门头及周边环境即进入"},
            evidence={"segments": [s.id for s in ctx.timeline.timed_segments[:1]]},
        )
    if not _near(ctx, "door_at_end", span[1], window):
        yield Hit(
            key="end",
            params={"moment": "检查完毕后未再次拍摄门头即关闭执法记录仪"},
            evidence={"segments": [s.id for s in ctx.timeline.timed_segments[-1:]]},
        )


RULE = Rule(
    id="A15-door",
    articles=("A15",),
    reference="第十五条第（二）项",
    severity=ERROR,
    title="到达时与结束时拍摄门头",
    message="{moment}",
    check=check,
    checkable="partial",
    note="依据审看人员的标记判断；中断拍摄另由“音像记录中断须语音说明或事后书面说明”规则检查。",
)
