"""A16-service: documents served on the party (行政处罚事先告知书, 行政处罚决定书, 催告书,
行政处罚听证通知书 …) are served on camera, with rights and obligations told where required
(A16.4). The lists of documents are configuration.
"""

from .base import ERROR, Context, Hit, Rule, doc_names

SERVICE_KINDS = {"service", "lien_service", "announcement_service"}


def check(ctx: Context):
    config = ctx.config
    served = ctx.timeline.documents_of(config.service_document_types)
    if ctx.act.kind not in SERVICE_KINDS and not served:
        return
    names = doc_names(sorted({d.doc_type for d in served})) if served else "执法文书"
    if not ctx.has_av:
        if ctx.act.kind == "announcement_service":
            return  # service by announcement has no one to film handing over: A11-dispute
        yield Hit(
            key="av",
            params={"problem": f"送达{names}时未使用执法记录仪等影像设备记录"},
            evidence={"documents": [d.id for d in served]},
            missing_record=True,
        )
        return
    rights_docs = [d for d in served if d.doc_type in config.rights_told_document_types]
    if rights_docs and not ctx.timeline.markers_of("rights_told"):
        yield Hit(
            key="rights",
            params={
                "problem": f"送达{doc_names(sorted({d.doc_type for d in rights_docs}))}"
                "时音像记录中未标记告知当事人权利义务"
            },
            evidence={
                "documents": [d.id for d in rights_docs],
                "segments": [s.id for s in ctx.timeline.segments],
            },
        )


RULE = Rule(
    id="A16-service",
    articles=("A16",),
    reference="第十六条第（四）项",
    severity=ERROR,
    title="送达文书使用执法记录仪并告知权利义务",
    message="{problem}",
    check=check,
)
