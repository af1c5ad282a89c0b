"""A22-retention: evidence AV kept as long as its dossier, other AV at least 6 months, paper
records per State Archives Administration Order No. 8 (A22).

Not yet checkable: dossiers, retention classes and disposal belong to the archive issue, which
is not built. Nothing can be deleted today (records are write-once), so no act can violate it
yet; the rule reports nothing and the traceability page shows it as not yet checkable.
"""

from .base import ERROR, NOT_YET, Context, Rule


def check(ctx: Context):
    return []


RULE = Rule(
    id="A22-retention",
    articles=("A22",),
    reference="第二十二条",
    severity=ERROR,
    title="记录资料归档与保存期限",
    message="{problem}",
    check=check,
    checkable=NOT_YET,
    note="依赖归档（案卷、保存期限、销毁）功能，尚未实现；目前记录一律只写不删。",
)
