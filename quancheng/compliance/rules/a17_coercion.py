"""A17-coercion: coercive measures with their decision (查封、扣押决定书 / 证据先行登记保存决定书
/ 行政控制决定书) and a signed 现场笔录, on camera with identity stated, certificate shown,
reasons, basis and rights told and the party signing (A17.1–3). Whole-process AV (A17.2) is
A11-mandatory's, through the configuration.

Not yet checkable: the approval procedure (A17.4) — the platform has no approval record for
coercive measures yet.
"""

from .base import ERROR, Context, Rule, document_and_party_hits

KINDS = {"seizure", "evidence_preservation", "control"}


def check(ctx: Context):
    if ctx.act.kind not in KINDS:
        return
    yield from document_and_party_hits(ctx, party=True)


RULE = Rule(
    id="A17-coercion",
    articles=("A17",),
    reference="第十七条",
    severity=ERROR,
    title="行政强制措施的文书、音像记录与告知",
    message="{missing}",
    check=check,
    checkable="partial",
    note="第十七条第（四）项审批程序：平台尚无强制措施审批记录，暂不能检查。",
)
