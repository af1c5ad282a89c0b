"""A15-complete: documents carry every required field; the times written in a document equal
the start and end times of the AV (A15.4; A18 last paragraph: AV and documents agree).

Compared: each document of the configured ``timed_document_types`` against each camera of the
act (its first and last recorded moment), with the configured tolerance
(document_time_minutes). The document agrees when one camera agrees: a fixed interrogation-room
camera running longer than the body camera that filmed the 询问 is not a contradiction, while
the union of every camera would make it one. The message gives the difference in seconds to
the closest camera. Signatures and other fields are the documents catalogue's.
"""

from .base import ERROR, Context, Hit, Rule, local


def closest_camera(doc, cameras):
    """(difference in seconds, label, span) of the camera whose times are nearest the doc's."""
    return min(
        (
            max(
                abs((doc.written_started_at - span[0]).total_seconds()),
                abs((doc.written_ended_at - span[1]).total_seconds()),
            ),
            label,
            span,
        )
        for label, span in cameras.values()
    )


def check(ctx: Context):
    cameras = ctx.timeline.spans_by_camera()
    tolerance = ctx.config.tolerance("document_time_minutes") * 60
    for doc in ctx.timeline.documents_of(ctx.config.timed_document_types):
        if doc.written_started_at is None or doc.written_ended_at is None:
            yield Hit(
                key=f"doc:{doc.id}:times",
                params={"doc_type": doc.doc_type, "problem": "未记载起止时间"},
                evidence={"documents": [doc.id]},
            )
            continue
        if not cameras:
            continue  # nothing to compare with: the A11 rules report missing AV
        diff, label, span = closest_camera(doc, cameras)
        if diff <= tolerance:
            continue
        yield Hit(
            key=f"doc:{doc.id}",
            params={
                "doc_type": doc.doc_type,
                "problem": (
                    f"记载时间 {local(doc.written_started_at)} 至 {local(doc.written_ended_at)}"
                    f" 与音像记录（{label}）起止时间 {local(span[0])} 至 {local(span[1])} 不一致"
                    f"（相差{diff:.0f}秒，允许{tolerance:g}秒）"
                ),
            },
            evidence={
                "documents": [doc.id],
                "camera": label,
                "difference_seconds": round(diff),
                "written": [doc.written_started_at.isoformat(), doc.written_ended_at.isoformat()],
                "recorded": [span[0].isoformat(), span[1].isoformat()],
                "segments": [s.id for s in ctx.timeline.timed_segments],
            },
        )


RULE = Rule(
    id="A15-complete",
    articles=("A15", "A18"),
    reference="第十五条第（四）项",
    severity=ERROR,
    title="文书记载时间与录音录像起止时间一致",
    message="《{doc_type}》{problem}",
    check=check,
    checkable="partial",
    note="签字、盖章及必填项由执法文书目录（quancheng/documents）核对后方可检查；目前只检查时间一致。",
)
