"""A24-access: no viewing or disclosure without authority; provision to reconsideration,
petition or judicial bodies needs the head's approval and is registered; AV extracted as
evidence carries a note of maker, extractor and time (A24).

Not yet checkable as a rule: access requests, approvals and provisions belong to the access
issue. Today every view, playback and download is scoped to the user's agency and written to
the ledger (records/views_items.py), which the traceability page lists as a feature.
"""

from .base import ERROR, NOT_YET, Context, Rule


def check(ctx: Context):
    return []


RULE = Rule(
    id="A24-access",
    articles=("A24",),
    reference="第二十四条",
    severity=ERROR,
    title="记录资料调阅、提供与提取须经批准并登记",
    message="{problem}",
    check=check,
    checkable=NOT_YET,
    note="依赖调阅审批与提供登记功能，尚未实现；现有查阅、播放、下载均按机构范围限制并记入台账。",
)
