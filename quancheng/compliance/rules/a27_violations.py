"""A27-violations: what the liability article punishes, as far as the act's records show it
(A27): records damaged (a segment that cannot be read, 损毁), and one device's segments
overlapping in time (a camera cannot record twice at once: times falsified or footage cut and
re-joined, 弄虚作假 / 剪接).

Acts not recorded (A27.1) are reported by A11-mandatory and A11-dispute; blobs lost or altered
in storage by the fixity sweeps (quancheng/fixity) as alerts.
"""

from .base import ERROR, Context, Hit, Rule, local


def check(ctx: Context):
    for s in ctx.timeline.segments:
        if not s.readable:
            yield Hit(
                key=f"unreadable:{s.id}",
                params={"problem": f"音像记录（第{s.id}号）无法解析，可能已损毁"},
                evidence={"segments": [s.id]},
            )
    for a, b in ctx.timeline.overlaps():
        yield Hit(
            key=f"overlap:{a.id}:{b.id}",
            params={
                "problem": f"同一设备（{a.device_label}）的音像记录第{a.id}号与第{b.id}号时间重叠"
                f"（{local(b.started_at)} 起），时间或内容可能被改动"
            },
            evidence={"segments": [a.id, b.id]},
        )


RULE = Rule(
    id="A27-violations",
    articles=("A27",),
    reference="第二十七条",
    severity=ERROR,
    title="丢失、损毁、剪接、弄虚作假的迹象",
    message="{problem}",
    check=check,
    checkable="partial",
    note="擅自查阅、复制、对外提供（第二十七条第（四）项）不是对本执法行为承办人员的检查发现："
    "未经批准的查阅、下载由访问策略在发生时拒绝，并对访问人发出告警（越权调阅被拒绝）；"
    "对外提供是否经机构负责人批准另由“对外提供记录资料须经机构负责人批准并登记”规则检查。",
)
