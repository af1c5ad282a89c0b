"""A16-interrogation: interrogation, hearing and deliberation are fully AV-recorded (A11-mandatory
through the configuration), with 询问记录 / 听证记录 / 合议记录; in an interrogation the officers
state identity, show certificates, tell rights and obligations, and the party verifies and signs
(A16.2–3).
"""

from .base import (
    ERROR,
    Context,
    Hit,
    Rule,
    doc_names,
    marker_labels,
    missing_document_groups,
    missing_markers,
)

KINDS = {"interrogation", "hearing", "deliberation"}
# Deliberation (合议) is internal: no party to inform.
PARTY_KINDS = {"interrogation", "hearing"}


def check(ctx: Context):
    kind = ctx.act.kind
    if kind not in KINDS:
        return
    for index, group in enumerate(missing_document_groups(ctx)):
        yield Hit(
            key=f"docs:{index}",
            params={"missing": f"缺少执法文书{doc_names(group)}"},
            missing_record=True,
        )
    if kind in PARTY_KINDS and ctx.has_av:
        missing = missing_markers(
            ctx, ["identity_stated", "certificate_shown", "rights_told", "party_signing"]
        )
        if missing:
            yield Hit(
                key="markers",
                params={"missing": f"音像记录中未标记：{marker_labels(missing)}"},
                evidence={"segments": [s.id for s in ctx.timeline.segments], "missing": missing},
            )


RULE = Rule(
    id="A16-interrogation",
    articles=("A16",),
    reference="第十六条第（二）项、第（三）项",
    severity=ERROR,
    title="询问、听证、合议全程录音录像并制作记录",
    message="{missing}",
    check=check,
)
