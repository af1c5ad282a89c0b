"""A23-longterm: AV kept long-term (and on offline media) when the party objects, complains or
petitions, when officers were obstructed or attacked, in mass incidents, or as other important
evidence (A23).

Not yet checkable: the platform records neither such circumstances nor long-term holds; both
come with the archive issue.
"""

from .base import ERROR, NOT_YET, Context, Rule


def check(ctx: Context):
    return []


RULE = Rule(
    id="A23-longterm",
    articles=("A23",),
    reference="第二十三条",
    severity=ERROR,
    title="特定情形长期保存音像记录",
    message="{problem}",
    check=check,
    checkable=NOT_YET,
    note="依赖归档功能中的长期保存与离线介质登记，尚未实现。",
)
