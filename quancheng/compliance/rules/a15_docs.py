"""A15-docs: after an inspection, 现场笔录 and/or 责令（限期）改正通知书 / 卫生监督意见书 are
made, and the inspection's electronic data collected (A15.3, A16.1).

Which documents each act kind needs is configuration (required_documents: groups, one document
of each group); interrogations, hearings, deliberations and coercive measures are checked by
A16-interrogation and A17-coercion. Uploading "in time" is A21-deadline's check.
"""

from .base import ERROR, Context, Hit, Rule, doc_names, missing_document_groups

# Kinds whose documents other rules check (their own article).
OTHER_RULES = {
    "interrogation",
    "hearing",
    "deliberation",
    "seizure",
    "evidence_preservation",
    "control",
}


def check(ctx: Context):
    if ctx.act.kind in OTHER_RULES:
        return
    for index, group in enumerate(missing_document_groups(ctx)):
        yield Hit(
            key=f"docs:{index}",
            params={"missing": f"执法文书{doc_names(group)}"},
            missing_record=True,
        )
    if ctx.act.kind in ctx.config.data_required_kinds and not ctx.timeline.data_records:
        yield Hit(key="data", params={"missing": "监督检查的电子数据"}, missing_record=True)


RULE = Rule(
    id="A15-docs",
    articles=("A15", "A16"),
    reference="第十五条第（三）项、第十六条第（一）项",
    severity=ERROR,
    title="检查结束后制作执法文书、采集电子数据",
    message="缺少{missing}",
    check=check,
)
