"""A24-access: provision to reconsideration, petition or judicial bodies needs the agency
head's approval and is registered (A24 ¶2).

Reads the provisions registered as handed over (对外提供登记) of the act or its case: each must
have been approved in the platform by the head (机构负责人) of the providing agency, on or before
the day it was provided. The platform's flow (access/provisions.py) makes anything else
impossible for new provisions; the rule keeps watch over rows registered before it and over an
approver who was not the head.

Someone's refused access (``access.denied``) is not a finding against the act's officers: it is
an alert about the person who tried (access/enforce.py, docs/alerts.md). Whether each past view
was entitled is the access policy's decision at the time.
"""

from .base import ERROR, PARTIAL, Context, Hit, Rule


def _problem(provision) -> str:
    who = provision.approver_label or "（无）"
    if not provision.approved_by_head:
        return f"批准人{who}不是本机构负责人"
    return f"机构负责人{who}的批准晚于提供日期"


def check(ctx: Context):
    for provision in ctx.custody.provisions:
        if provision.approved_by_head and provision.approved_before:
            continue
        yield Hit(
            key=f"provision:{provision.id}",
            params={
                "problem": f"{provision.provided_on:%Y-%m-%d}向{provision.recipient}提供记录资料，"
                f"{_problem(provision)}"
            },
            evidence={"provision": provision.id, "approved_by": provision.approved_by_id},
        )


RULE = Rule(
    id="A24-access",
    articles=("A24",),
    reference="第二十四条第二款",
    severity=ERROR,
    title="对外提供记录资料须经机构负责人批准并登记",
    message="{problem}",
    check=check,
    checkable=PARTIAL,
    note="依据对外提供登记的批准人和批准时间判断；每次查阅是否经授权由调阅审批规则在查阅时"
    "判断，被拒绝的调阅是对调阅人的告警，不是对本执法行为承办人员的检查发现。",
)
