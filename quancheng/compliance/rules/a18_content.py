"""A18-content: AV shows time, officers and subject; fixed-site AV shows the place and its start
and end (A18).

What the picture shows cannot be checked by the platform; what can: every segment has its
(corrected) start and end time and is tied to an officer or a device, and a fixed-site camera's
segment names its place.
"""

from .base import WARNING, Context, Hit, Rule


def check(ctx: Context):
    for s in ctx.timeline.segments:
        problems = []
        if not s.timed:
            problems.append("无法确定录制起止时间")
        if s.officer_id is None and s.device_id is None:
            problems.append("无法确定执法人员或设备")
        if s.device_kind == "fixed_camera" and not s.label_place:
            problems.append("固定场所音像记录未注明监控地点")
        if problems:
            yield Hit(
                key=f"segment:{s.id}",
                params={"id": s.id, "problems": "，".join(problems)},
                evidence={"segments": [s.id]},
            )


RULE = Rule(
    id="A18-content",
    articles=("A18",),
    reference="第十八条",
    severity=WARNING,
    title="音像记录包括执法时间、执法人员、执法对象",
    message="音像记录（第{id}号）{problems}",
    check=check,
    checkable="partial",
    note="画面内容（现场环境、人员、证据、张贴公告等）无法自动判断，需审看人员标记。",
)
