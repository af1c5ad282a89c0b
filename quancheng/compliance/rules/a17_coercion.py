"""A17-coercion: coercive measures with their decision (查封、扣押决定书 / 证据先行登记保存决定书
/ 行政控制决定书) and a signed 现场笔录, on camera with identity stated, certificate shown,
reasons, basis and rights told and the party signing (A17.1–3). Whole-process AV (A17.2) is
A11-mandatory's, through the configuration.

The approval procedure (A17.4; 《行政强制法》第十八条: reported to and approved by the agency
head beforehand): for the kinds in ``coercion_approval_kinds`` (seizure, control) one of the
``coercion_approval_document_types`` (行政强制措施审批表 …) must be linked to the act and dated
(its written time) at or before the act's start. An approval dated after the start is reported
too: in an emergency 《行政强制法》第十九条 allows approval within 24 hours afterwards, which the
officer states in the answer and the head accepts.
"""

from .base import ERROR, PARTIAL, Context, Hit, Rule, doc_names, document_and_party_hits, local

KINDS = {"seizure", "evidence_preservation", "control"}


def approval_hits(ctx: Context):
    """A17.4: the approval document, dated before the measure began."""
    act, config = ctx.act, ctx.config
    if act.kind not in config.coercion_approval_kinds:
        return
    types = sorted(config.coercion_approval_document_types)
    approvals = ctx.timeline.documents_of(types)
    if not approvals:
        yield Hit(
            key="approval",
            params={"missing": f"缺少强制措施审批文书{doc_names(types)}"},
            missing_record=True,
        )
        return
    dated = [(d, d.written_ended_at or d.written_started_at) for d in approvals]
    if any(at is not None and at <= act.started_at for _, at in dated):
        return
    if all(at is None for _, at in dated):
        yield Hit(
            key="approval_date",
            params={"missing": "强制措施审批文书未记载审批时间，无法确认事先批准"},
            evidence={"documents": [d.id for d in approvals]},
        )
        return
    first = min(at for _, at in dated if at is not None)
    yield Hit(
        key="approval_date",
        params={
            "missing": f"强制措施审批文书记载的审批时间（{local(first)}）晚于强制措施开始时间"
            f"（{local(act.started_at)}），未事先批准"
        },
        evidence={"documents": [d.id for d in approvals], "approved_at": first.isoformat()},
    )


def check(ctx: Context):
    if ctx.act.kind not in KINDS:
        return
    yield from document_and_party_hits(ctx, party=True)
    yield from approval_hits(ctx)


RULE = Rule(
    id="A17-coercion",
    articles=("A17",),
    reference="第十七条",
    severity=ERROR,
    title="行政强制措施的文书、音像记录、告知与审批",
    message="{missing}",
    check=check,
    checkable=PARTIAL,
    note="审批程序依据关联到执法行为的审批文书及其记载时间判断；文书内容是否载明理由、"
    "依据和权利告知由审看人员标记。",
)
