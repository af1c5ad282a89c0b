"""A12-data: terminal data (电子数据) agrees with the act's documents (A12 ¶2: 记录内容应当与
执法文书相一致; A15.3, A16.1: collected on site at the end of the inspection and uploaded in time).

For each data record linked to the act:
- its time (recorded_at) lies inside the act's window, or within ``data_window_minutes`` after
  its end (A15.3: the data is collected on the terminal when the inspection ends);
- its subject is the act's subject;
- every field its data kind maps to a document field equals that field in each of the act's
  documents that has it. The kind's schema declares the mapping:
  ``"x-document-fields": {"<data field>": "<document field>"}``, the document field optionally
  qualified by its type (``"卫生监督意见书.number"``); ``number`` is the document's 文号;
- it reached the platform within the A21 deadline counted from the act's end.

An uploaded document (a scan of a paper document, a terminal's PDF) is known by what was entered
with it at upload (records/forms_upload.py, the API's attach: type, 文号, written times): a field
mapped to ``number`` is compared like any other. Any other mapped field of an uploaded document
of the mapped type cannot be read from the file; rather than passing silently, it is a warning
finding of its own ("无法比对"), so a person compares the scan by eye and answers it.
"""

from .base import ERROR, PARTIAL, WARNING, Context, Hit, Rule, local

# Document fields an upload carries (entered with the file); the others only a draft knows.
UPLOAD_FIELDS = frozenset({"number"})


def _norm(value) -> str:
    return "".join(str(value).split())


def _document_value(doc, name: str):
    if name == "number":
        return doc.number or None
    return doc.fields.get(name)


def _field_hits(ctx: Context, record):
    for data_field, target in record.document_fields.items():
        value = record.data.get(data_field)
        if value in (None, ""):
            continue
        doc_type, _, doc_field = target.rpartition(".")
        for doc in ctx.timeline.documents:
            if doc_type and doc.doc_type != doc_type:
                continue
            if not doc.made_on_platform and doc_field not in UPLOAD_FIELDS:
                yield _uncompared_hit(record, data_field, value, doc, doc_field)
                continue
            written = _document_value(doc, doc_field)
            if written in (None, "") or _norm(written) == _norm(value):
                continue
            yield Hit(
                key=f"data:{record.id}:field:{data_field}:{doc.id}",
                params={
                    "problem": f"电子数据（{record.kind}）的“{data_field}”为“{value}”，"
                    f"与《{doc.doc_type}》记载的“{written}”不一致"
                },
                evidence={"data": [record.id], "documents": [doc.id], "field": data_field},
            )


def _uncompared_hit(record, data_field: str, value, doc, doc_field: str) -> Hit:
    return Hit(
        key=f"data:{record.id}:uncompared:{data_field}:{doc.id}",
        params={
            "problem": f"电子数据（{record.kind}）的“{data_field}”为“{value}”，"
            f"《{doc.doc_type}》为上传文件，平台未记录其“{doc_field}”，无法比对，"
            "请核对原件并答复"
        },
        evidence={"data": [record.id], "documents": [doc.id], "field": data_field},
        severity=WARNING,
    )


def _time_hit(ctx: Context, record):
    start, end = ctx.timeline.window
    after = ctx.config.tolerance("data_window_minutes") * 60
    at = record.recorded_at
    if start <= at and (at - end).total_seconds() <= after:
        return None
    return Hit(
        key=f"data:{record.id}:time",
        params={
            "problem": f"电子数据（{record.kind}）的采集时间 {local(at)} 不在执法行为时间"
            f" {local(start)} 至 {local(end)}（及结束后{after / 60:g}分钟）内"
        },
        evidence={"data": [record.id], "recorded_at": at.isoformat()},
    )


def _arrival_hit(ctx: Context, record, due_by):
    if record.created_at is None or record.created_at < due_by:
        return None
    return Hit(
        key=f"data:{record.id}:arrival",
        params={
            "problem": f"电子数据（{record.kind}）于 {local(record.created_at)} 才上传，"
            "超过现场执法结束后2个工作日的登记期限"
        },
        evidence={"data": [record.id], "arrived_at": record.created_at.isoformat()},
    )


def check(ctx: Context):
    act = ctx.act
    records = ctx.timeline.data_records
    if not records:
        return
    due_by = ctx.registration_due_by()
    for record in records:
        if act.subject_id and record.subject_id and record.subject_id != act.subject_id:
            yield Hit(
                key=f"data:{record.id}:subject",
                params={
                    "problem": f"电子数据（{record.kind}）的执法对象与执法行为的执法对象不一致"
                },
                evidence={"data": [record.id]},
            )
        for hit in (_time_hit(ctx, record), _arrival_hit(ctx, record, due_by)):
            if hit is not None:
                yield hit
        yield from _field_hits(ctx, record)


RULE = Rule(
    id="A12-data",
    articles=("A12",),
    reference="第十二条第二款",
    severity=ERROR,
    title="电子数据与执法文书相一致",
    message="{problem}",
    check=check,
    checkable=PARTIAL,
    note="逐项比对数据种类声明的对应字段（x-document-fields）；上传的文书（扫描件）只登记了文号和"
    "记载时间：文号照常比对，其他对应字段无法比对时作为提示性检查发现（无法比对），不默认通过。",
)
