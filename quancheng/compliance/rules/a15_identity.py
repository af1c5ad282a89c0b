"""A15-identity: the recording shows the officers stating their identity and presenting their
certificates, and the party signing the documents (A15.1, A16.3, A17.3).

Read from the reviewers' markers on the act's segments. Which act kinds this applies to is
configuration (identity_kinds); interrogations and coercive measures add their own items in
A16-interrogation and A17-coercion.
"""

from .base import ERROR, Context, Hit, Rule, marker_labels, missing_markers


def check(ctx: Context):
    if ctx.act.kind not in ctx.config.identity_kinds or not ctx.has_av:
        return
    wanted = ["identity_stated", "certificate_shown"]
    if ctx.timeline.documents:
        wanted.append("party_signing")
    missing = missing_markers(ctx, wanted)
    if missing:
        yield Hit(
            params={"items": marker_labels(missing)},
            evidence={"segments": [s.id for s in ctx.timeline.segments], "missing": missing},
        )


RULE = Rule(
    id="A15-identity",
    articles=("A15", "A16", "A17"),
    reference="第十五条第（一）项、第十六条第（三）项、第十七条第（三）项",
    severity=ERROR,
    title="记录拍摄表明身份、出示执法证件、当事人签字确认",
    message="音像记录中未标记以下过程：{items}",
    check=check,
    checkable="partial",
    note="依据审看人员在音像记录上所作的标记判断；着装、佩戴证章无法自动判断。",
)
