"""A11-dispute: acts prone to dispute are AV-recorded as circumstances require (A11 ¶1)."""

from .base import WARNING, Context, Hit, Rule, kind_label


def check(ctx: Context):
    act, config = ctx.act, ctx.config
    if act.kind not in config.av_dispute_kinds or ctx.has_av:
        return
    # Acts that must be recorded over the whole process are A11-mandatory's.
    if act.kind in config.av_mandatory_kinds or act.involves_life_or_property:
        return
    if ctx.exempt():
        return
    yield Hit(params={"kind": kind_label(act.kind)})


RULE = Rule(
    id="A11-dispute",
    articles=("A11",),
    reference="第十一条第一款",
    severity=WARNING,
    title="容易引发争议的执法过程根据实际情况音像记录",
    message="{kind}属于容易引发争议的执法过程，未见音像记录，应当根据实际情况进行音像记录",
    check=check,
)
