"""A24-access: no viewing or disclosure without authority; provision to reconsideration,
petition or judicial bodies needs the agency head's approval and is registered (A24).

Reads, per act, what the access app and the ledger hold:
1. ``access.denied`` ledger events on the act or its AV and documents: someone without
   authority tried to view, play or download them (the access policy refused; a warning for
   the act's agency to look into);
2. registered provisions (对外提供登记) of the act or its case whose approver is not the head
   (机构负责人) of the providing agency: provided without the approval A24 ¶2 asks for.
Whether each past view was entitled is the access policy's decision at the time (and an alert
when it refuses); the rule does not replay the policy over the ledger.
"""

from .base import ERROR, PARTIAL, WARNING, Context, Hit, Rule, local


def check(ctx: Context):
    denied = ctx.custody.denied
    if denied:
        who = "、".join(dict.fromkeys(d.actor_label or "未知用户" for d in denied))
        yield Hit(
            key="denied",
            params={
                "problem": f"有{len(denied)}次未经授权的调阅被拒绝（{who}，"
                f"最近一次 {local(denied[-1].time)}）"
            },
            evidence={"events": [d.seq for d in denied]},
            severity=WARNING,
        )
    for provision in ctx.custody.provisions:
        if provision.approved_by_head:
            continue
        yield Hit(
            key=f"provision:{provision.id}",
            params={
                "problem": f"{provision.provided_on:%Y-%m-%d}向{provision.recipient}提供记录资料，"
                f"批准人{provision.approver_label}不是本机构负责人"
            },
            evidence={"provision": provision.id, "approved_by": provision.approved_by_id},
        )


RULE = Rule(
    id="A24-access",
    articles=("A24",),
    reference="第二十四条",
    severity=ERROR,
    title="记录资料调阅、提供与提取须经批准并登记",
    message="{problem}",
    check=check,
    checkable=PARTIAL,
    note="依据台账中的拒绝调阅事件和对外提供登记的批准人判断；每次查阅是否经授权由调阅"
    "审批规则在查阅时判断并告警，本规则不逐条回放台账。",
)
