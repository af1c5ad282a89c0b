"""A23-longterm: AV is kept long-term (and copied to offline media) when the party objects,
complains or petitions, when officers were evaded, refused, obstructed, insulted or attacked,
in mass incidents or major emergencies, and as other important evidence (A23).

The circumstances are what reviewers mark in the recording (marker kinds in the configuration's
``longterm_marker_kinds``: by default ``obstruction`` 阻碍执法, ``objection`` 当事人异议 and
``mass_incident`` 群体性事件、重大突发事件), and what a hold request names as its reason. Only the
agency head resolves one (archive/longterm.py): by approving a long-term hold (``Hold``) on the
act or its case — in force, or approved and later lifted — or by recording a reasoned decision
that it does not apply (``LongtermWaiver``). A hold still waiting for approval, or refused
without such a decision, leaves the finding open; an open finding keeps the act's items from
disposal.

The rule lives here, with the holds it reads; ArchiveConfig.ready() registers it into the
compliance rules (``compliance.rules.register``), in its place after A22-retention.
"""

from quancheng.compliance.models import Marker
from quancheng.compliance.rules.base import ERROR, PARTIAL, Context, Hit, Rule

from .longterm import unresolved
from .models import Hold

REASON_LABELS = dict(Hold.Reason.choices)


def _circumstances(markers, refused) -> str:
    labels = [str(Marker.Kind(m.kind).label) for m in markers]
    labels += [str(REASON_LABELS.get(h.reason, h.reason)) for h in refused]
    return "、".join(dict.fromkeys(labels))


def check(ctx: Context):
    marked = [m for m in ctx.timeline.markers if m.kind in ctx.config.longterm_marker_kinds]
    holds = ctx.custody.holds
    markers, refused = unresolved(marked, holds, ctx.custody.waivers)
    if not markers and not refused:
        return
    if any(h.status == Hold.Status.REQUESTED for h in holds):
        state = "长期保存申请尚待机构负责人批准"
    elif refused:
        state = "长期保存申请未获批准，机构负责人也未决定不适用"
    else:
        state = "未申请长期保存，机构负责人也未决定不适用"
    yield Hit(
        key="hold",
        params={"circumstance": _circumstances(markers, refused), "state": state},
        evidence={
            "segments": sorted({m.segment_id for m in markers}),
            "markers": [m.id for m in markers],
            "holds": [h.id for h in holds],
        },
    )


RULE = Rule(
    id="A23-longterm",
    articles=("A23",),
    reference="第二十三条",
    severity=ERROR,
    title="特定情形长期保存音像记录",
    message="存在“{circumstance}”情形，应当长期保存，但{state}",
    check=check,
    checkable=PARTIAL,
    note="依据审看人员的标记（阻碍执法、当事人异议、群体性事件）和长期保存申请的事由判断；"
    "其他重要证据由记录管理专人直接申请长期保存，不能自动判断。",
)
