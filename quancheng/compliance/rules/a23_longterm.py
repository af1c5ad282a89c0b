"""A23-longterm: AV is kept long-term (and copied to offline media) when the party objects,
complains or petitions, when officers were evaded, refused, obstructed, insulted or attacked,
in mass incidents or major emergencies, and as other important evidence (A23).

The circumstances are what reviewers mark in the recording (marker kinds in the configuration's
``longterm_marker_kinds``: by default ``obstruction`` 阻碍执法 and ``objection`` 当事人异议).
An act so marked needs a long-term hold (archive ``Hold``) on itself or its case that the
agency head approved (status active, or active with a lift requested). A hold still waiting for
approval, refused or lifted does not count. Mass incidents and "other important evidence" are
not marked in recordings: holds for them are set in the archive directly and need no finding.
"""

from quancheng.archive.models import Hold

from .base import ERROR, PARTIAL, Context, Hit, Rule, marker_labels

IN_FORCE = {Hold.Status.ACTIVE, Hold.Status.LIFT_REQUESTED}


def check(ctx: Context):
    marked = [m for m in ctx.timeline.markers if m.kind in ctx.config.longterm_marker_kinds]
    if not marked:
        return
    holds = ctx.custody.holds
    if any(h.status in IN_FORCE for h in holds):
        return
    if any(h.status == Hold.Status.REQUESTED for h in holds):
        state = "长期保存申请尚待机构负责人批准"
    elif holds:
        state = "长期保存申请未获批准或已解除"
    else:
        state = "未申请长期保存"
    yield Hit(
        key="hold",
        params={
            "circumstance": marker_labels(dict.fromkeys(m.kind for m in marked)),
            "state": state,
        },
        evidence={
            "segments": sorted({m.segment_id for m in marked}),
            "markers": [m.id for m in marked],
            "holds": [h.id for h in holds],
        },
    )


RULE = Rule(
    id="A23-longterm",
    articles=("A23",),
    reference="第二十三条",
    severity=ERROR,
    title="特定情形长期保存音像记录",
    message="音像记录标记了“{circumstance}”，应当长期保存，但{state}",
    check=check,
    checkable=PARTIAL,
    note="依据审看人员的标记（阻碍执法、当事人异议）判断；群体性事件、重大突发事件和"
    "其他重要证据由记录管理专人直接申请长期保存，不能自动判断。",
)
