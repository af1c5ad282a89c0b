"""A16-interrogation: interrogation, hearing and deliberation are fully AV-recorded (A11-mandatory
through the configuration), with 询问记录 / 听证记录 / 合议记录; in an interrogation the officers
state identity, show certificates, tell rights and obligations, and the party verifies and signs
(A16.2–3).
"""

from .base import ERROR, Context, Rule, document_and_party_hits

KINDS = {"interrogation", "hearing", "deliberation"}
# Deliberation (合议) is internal: no party to inform.
PARTY_KINDS = {"interrogation", "hearing"}


def check(ctx: Context):
    kind = ctx.act.kind
    if kind not in KINDS:
        return
    yield from document_and_party_hits(ctx, party=kind in PARTY_KINDS)


RULE = Rule(
    id="A16-interrogation",
    articles=("A16",),
    reference="第十六条第（二）项、第（三）项",
    severity=ERROR,
    title="询问、听证、合议全程录音录像并制作记录",
    message="{missing}",
    check=check,
)
