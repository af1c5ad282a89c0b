"""A21-labels: raw AV is labelled with time, place and party, and classified by case number,
cause and recording time (A21 ¶2)."""

from .base import WARNING, Context, Hit, Rule


def check(ctx: Context):
    in_case = ctx.act.case_id is not None
    for s in ctx.timeline.segments:
        missing = []
        if s.started_at is None:
            missing.append("拍摄时间")
        if not s.label_place:
            missing.append("地点")
        if not s.label_party:
            missing.append("当事人")
        if in_case and not s.label_case_number:
            missing.append("案卷号")
        if in_case and not s.label_cause:
            missing.append("案由")
        if missing:
            yield Hit(
                key=f"segment:{s.id}",
                params={"id": s.id, "missing": "、".join(missing)},
                evidence={"segments": [s.id]},
            )


RULE = Rule(
    id="A21-labels",
    articles=("A21",),
    reference="第二十一条第二款",
    severity=WARNING,
    title="原始音视频标注时间、地点、当事人并分类保存",
    message="音像记录（第{id}号）未标注：{missing}",
    check=check,
)
