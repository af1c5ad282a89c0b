"""Record items (执法记录) by terminal: attach finished uploads to acts, post data records.

A file goes up through tus first (/api/v1/uploads/, see docs/uploads.md); the finished upload's
id is then attached to an act as a segment (音像记录) or document (执法文书). Data records
(电子数据) are JSON validated against their kind's JSON Schema.
"""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema, Status

from quancheng.access.enforce import access_body, require, viewed_data_records
from quancheng.cases.models import Act
from quancheng.content.models import ScanReading
from quancheng.content.scans import confirm_scan, register_problem
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_atomic
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Device
from quancheng.orgs.scoping import agencies_visible_to, get_visible_or_404
from quancheng.records.attach import DOCUMENT, SEGMENT, attach_upload, records_of_act
from quancheng.records.items import create_data_record
from quancheng.records.models import DataKind, DataRecord, Document, RecordItem, Segment
from quancheng.records.services import UploadError
from quancheng.records.timing import devices_for, enter_segment_time

from . import responses
from .errors import error_response
from .schemas import Error, Id, Input, InputDateTime, LocalDateTime
from .scope import agency_for_new

router = Router(tags=["执法记录"])
# Attaching can also answer 415 (the bytes are not what the kind needs).
ATTACH_ERRORS = {**responses.CREATE, 415: Error}


# --- shapes ------------------------------------------------------------------------------------


class SegmentAttach(Input):
    upload_id: uuid.UUID = Field(description="已完成的 tus 上传编号（Location 末段）")
    is_evidence: bool = False


class DocumentAttach(Input):
    upload_id: uuid.UUID = Field(description="已完成的 tus 上传编号（Location 末段）")
    doc_type: str = Field(min_length=1, max_length=64, description="文书种类，例如 现场笔录")
    number: str = Field("", max_length=64, description="文书编号")
    written_started_at: InputDateTime | None = Field(None, description="文书记载的开始时间")
    written_ended_at: InputDateTime | None = Field(None, description="文书记载的结束时间")
    is_evidence: bool = False


class StoredItemOut(Schema):
    id: int
    kind: str
    act_id: int | None
    original_filename: str
    content_type: str
    sha256: str
    size: int
    is_evidence: bool
    existed: bool = Field(False, description="相同内容的记录已存在，本次只是关联")
    created_at: LocalDateTime


class SegmentOut(StoredItemOut):
    media_kind: str
    container: str
    started_at: LocalDateTime | None
    ended_at: LocalDateTime | None
    duration_seconds: float | None
    device: str | None = Field(None, description="拍摄设备编号")
    video_codec: str = ""
    audio_codec: str = ""
    width: int | None = None
    height: int | None = None
    readable: bool = True
    time_source: str = Field(
        "", description="时间来源：device（设备记录）、manual（手工录入）或空（未记载）"
    )
    time_by_hand: bool = Field(False, description="时间为手工录入")
    time_entry_reason: str = ""


class SegmentTimeIn(Input):
    started_at: InputDateTime = Field(description="开始时间（真实时间，带时区偏移）")
    device: str = Field(max_length=64, description="拍摄设备编号")
    reason: str = Field("", max_length=1000, description="手工录入的原因（必填）")


class DocumentOut(StoredItemOut):
    file_kind: str
    doc_type: str
    number: str
    written_started_at: LocalDateTime | None
    written_ended_at: LocalDateTime | None
    signature_status: str | None = Field(
        None,
        description="入库时电子签名验证结果：valid / altered / unknown_signer / unsigned / invalid",
    )


class DataRecordIn(Input):
    kind: str = Field(max_length=64, description="电子数据种类代码，见 GET /data-kinds")
    data: Any = Field(description="符合该种类 JSON Schema 的数据")
    recorded_at: InputDateTime = Field(description="采集时间（带时区偏移）")
    act_id: Id | None = None
    device: str | None = Field(None, max_length=64, description="采集设备编号")


class DataRecordOut(Schema):
    id: int
    kind: str
    schema_version: int
    data: Any
    sha256: str
    recorded_at: LocalDateTime
    act_id: int | None
    device: str | None
    created_at: LocalDateTime


class DataKindOut(Schema):
    code: str
    name: str
    version: int
    schema_: dict = Field(alias="schema", serialization_alias="schema")


class ActRecordsOut(Schema):
    segments: list[SegmentOut]
    documents: list[DocumentOut]
    data_records: list[DataRecordOut]


# --- helpers ----------------------------------------------------------------------------------


def _stored(item, existed: bool = False) -> dict:
    out = {
        "id": item.pk,
        "kind": SEGMENT if isinstance(item, Segment) else DOCUMENT,
        "act_id": item.act_id,
        "original_filename": item.original_filename,
        "content_type": item.content_type,
        "sha256": item.blob_id,
        "size": item.blob.size,
        "is_evidence": item.is_evidence,
        "existed": existed,
        "created_at": item.created_at,
    }
    if isinstance(item, Segment):
        out.update(
            media_kind=item.media_kind,
            container=item.container,
            started_at=item.started_at,
            ended_at=item.ended_at,
            duration_seconds=item.duration_seconds,
            device=item.device.serial_number if item.device else None,
            video_codec=item.video_codec,
            audio_codec=item.audio_codec,
            width=item.width,
            height=item.height,
            readable=item.readable,
            time_source=item.time_source,
            time_by_hand=item.time_by_hand,
            time_entry_reason=item.time_entry_reason,
        )
    else:
        out.update(
            file_kind=item.file_kind,
            doc_type=item.doc_type,
            number=item.number,
            written_started_at=item.written_started_at,
            written_ended_at=item.written_ended_at,
            signature_status=_signature_status(item),
        )
    return out


def _signature_status(document) -> str | None:
    check = getattr(document, "signature_check", None)  # validated at ingest (documents app)
    return check.status if check is not None else None


def _data_record(record: DataRecord) -> dict:
    return {
        "id": record.pk,
        "kind": record.kind.code,
        "schema_version": record.schema_version,
        "data": record.data,
        "sha256": record.sha256,
        "recorded_at": record.recorded_at,
        "act_id": record.act_id,
        "device": record.device.serial_number if record.device else None,
        "created_at": record.created_at,
    }


def _act(request, act_id: int) -> Act:
    return get_visible_or_404(Act.objects.select_related("agency"), request.user, pk=act_id)


def _attach(request, act_id: int, kind: str, **fields):
    act = _act(request, act_id)
    try:
        attached = attach_upload(request.user, act, **fields, kind=kind)
    except UploadError as e:
        return error_response(e.status, e.code, e.message)
    status = 200 if attached.existed else 201
    return Status(status, _stored(attached.item, attached.existed))


# --- operations -------------------------------------------------------------------------------


@router.post(
    "/acts/{act_id}/segments",
    response={200: SegmentOut, 201: SegmentOut, **ATTACH_ERRORS},
    summary="上传的音像记录登记到执法行为",
    description="新登记时 201；本机构已有字节相同的音像记录时 200，并关联到该执法行为。",
)
def post_segment(request, act_id: int, payload: SegmentAttach):
    """201: created; 200: the agency already had a segment with the same bytes, now linked."""
    return _attach(
        request, act_id, SEGMENT, upload_id=payload.upload_id, is_evidence=payload.is_evidence
    )


@router.post(
    "/acts/{act_id}/documents",
    response={200: DocumentOut, 201: DocumentOut, **ATTACH_ERRORS},
    summary="上传的执法文书登记到执法行为",
)
def post_document(request, act_id: int, payload: DocumentAttach):
    return _attach(request, act_id, DOCUMENT, **payload.model_dump())


@router.post(
    "/segments/{segment_id}/time",
    response={200: SegmentOut, **responses.CHANGE},
    summary="手工录入音像记录的拍摄时间（文件未记载时间时）",
    description=(
        "文件未记载可用时间时，手工录入开始时间和设备，并写明理由。未写理由 400 `required`；"
        "文件本身记载时间 400 `time_from_file`；文件无法解析 400 `duration_unknown`；"
        "拍摄或承办该记录的执法人员和记录管理专人以外的人 403。"
    ),
)
def post_segment_time(request, segment_id: int, payload: SegmentTimeIn):
    """The file carries no usable time: its start and device entered by hand, with a reason.

    400 ``required`` without a reason, ``time_from_file`` when the file carries its own time,
    ``duration_unknown`` for an unreadable file; 403 for anyone but the officers who recorded
    or handle it and the records custodian.
    """
    segment = get_visible_or_404(
        Segment.objects.select_related("agency", "act", "blob", "device"),
        request.user,
        pk=segment_id,
    )
    device = devices_for(request.user, segment).filter(serial_number=payload.device).first()
    if device is None:
        raise ValidationError(
            {"device": [ValidationError("设备不存在或不属于本辖区", code="not_found")]}
        )
    segment = enter_segment_time(
        request.user,
        segment,
        started_at=payload.started_at,
        device=device,
        reason=payload.reason,
    )
    return _stored(segment)


@router.get(
    "/acts/{act_id}/records",
    response={200: ActRecordsOut, **responses.READ, 403: Error},
    summary="执法行为的全部记录",
)
def get_act_records(request, act_id: int):
    if request.user.is_administrator:
        # 三员分立: the act's records are record content (docs/security.md).
        return error_response(403, "administrator", "管理员不能查看执法行为的记录（三员分立）")
    records = records_of_act(_act(request, act_id))
    return {
        "segments": [_stored(s) for s in records.segments],
        "documents": [_stored(d) for d in records.documents],
        # A data record's values are its content: only where the policy allows (A24), logged.
        "data_records": viewed_data_records(request, records.data_records, _data_record),
    }


@router.get(
    "/data-kinds",
    response={200: list[DataKindOut], **responses.LIST},
    summary="电子数据种类",
    by_alias=True,
)
def list_data_kinds(request):
    return [
        {"code": k.code, "name": k.name, "version": k.version, "schema": k.schema}
        for k in DataKind.objects.order_by("code")
    ]


@router.post(
    "/data-records", response={201: DataRecordOut, **responses.CREATE}, summary="提交电子数据"
)
def post_data_record(request, payload: DataRecordIn):
    kind = DataKind.objects.filter(code=payload.kind).first()
    problems: dict[str, list[str]] = {}
    if kind is None:
        problems["kind"] = ["电子数据种类不存在，见 GET /api/v1/data-kinds"]
    act = None
    if payload.act_id is not None:
        act = Act.objects.visible_to(request.user).filter(pk=payload.act_id).first()
        if act is None:
            problems["act_id"] = ["执法行为不存在或不在您的管辖范围内"]
    device = None
    if payload.device:
        device = Device.objects.filter(
            serial_number=payload.device, agency__in=agencies_visible_to(request.user)
        ).first()
        if device is None:
            problems["device"] = ["设备不存在或不在您的管辖范围内"]
    if problems:
        first = next(iter(problems.values()))[0]
        return error_response(400, "not_found", first, problems)
    assert kind is not None  # else a problem above
    agency = (
        act.agency if act is not None else agency_for_new(request.user, None, caps.RECORDS_UPLOAD)
    )
    try:
        record = create_data_record(
            request.user,
            agency=agency,
            kind=kind,
            data=payload.data,
            recorded_at=payload.recorded_at,
            source=RecordItem.Source.API,
            act=act,
            device=device,
        )
    except ValidationError as e:
        if hasattr(e, "error_dict") and "data" in e.error_dict:
            messages = e.message_dict["data"]
            return error_response(
                400,
                "schema_invalid",
                f"数据不符合“{kind.name}”的格式要求：{messages[0]}",
                {"data": messages},
            )
        raise
    return Status(201, _data_record(record))


# --- scanned documents read (扫描件识别, content/scans.py) ------------------------------------


class ScanReadingOut(Schema):
    document_id: int
    status: str = Field(
        description="pending 待识别, proposed 待确认, confirmed 已确认, unreadable, failed"
    )
    proposed_number: str
    proposed_started_at: LocalDateTime | None
    proposed_ended_at: LocalDateTime | None
    confidences: dict[str, float]
    number: str = Field(description="文书上登记的文号（确认后）")
    number_problem: str = Field(description="识别文号与文号登记的冲突（格式、机构、重号）；空：无")
    written_started_at: LocalDateTime | None
    written_ended_at: LocalDateTime | None


class ScanConfirmationIn(Input):
    number: str = Field("", max_length=64, description="确认或更正的文号；空：无文号")
    started_at: InputDateTime | None = Field(None, description="文书记载开始时间")
    ended_at: InputDateTime | None = Field(None, description="文书记载结束时间")


def _scan_out(document, reading) -> dict:

    return {
        "document_id": document.pk,
        "status": reading.status,
        "proposed_number": reading.proposed_number,
        "proposed_started_at": reading.proposed_started_at,
        "proposed_ended_at": reading.proposed_ended_at,
        "confidences": reading.confidences or {},
        "number": document.number,
        "number_problem": (
            register_problem(document, reading.proposed_number)
            if reading.status == "proposed"
            else ""
        ),
        "written_started_at": document.written_started_at,
        "written_ended_at": document.written_ended_at,
    }


def _scanned(request, document_id: int):

    document = get_visible_or_404(
        Document.objects.select_related("agency", "act"), request.user, pk=document_id
    )
    reading = ScanReading.objects.filter(document=document).first()
    return document, reading


@router.get(
    "/documents/{document_id}/scan-reading",
    response={200: ScanReadingOut, **responses.READ, 403: Error},
    summary="扫描文书的识别结果（文号、起止时间，待确认）",
    description=(
        "扫描件的识别结果；尚未识别（不是扫描件或还未识别）时 404 `not_read`。"
        "读取即查看文书内容（第二十四条），记入账本。"
    ),
)
def get_scan_reading(request, document_id: int):
    """What OCR read on a scanned document; 404 ``not_read`` when it has not been read (not a
    scan, or not yet). Reading it is a view of the document's content (A24), logged."""

    document, reading = _scanned(request, document_id)
    require(request, document, "view")
    if reading is None:
        return error_response(404, "not_read", "该文书没有扫描件识别结果")
    record_atomic(
        request.user,
        Action.DOCUMENT_SCAN_VIEWED,
        document,
        {"sha256": document.blob_id, **access_body(request)},
    )
    return _scan_out(document, reading)


@router.post(
    "/documents/{document_id}/scan-reading/confirmation",
    response={200: ScanReadingOut, **responses.CHANGE},
    summary="确认或更正扫描文书的识别结果",
    description=(
        "确认或更正识别出的文号和书面时间：写入文书并重新检查该执法行为。尚未识别 400 "
        "`not_read`；文号不合规 400 `number_format`、`number_agency`、`number_taken`；"
        "结束早于开始 400 `order`；只读角色 403。"
    ),
)
def post_scan_confirmation(request, document_id: int, payload: ScanConfirmationIn):
    """Confirm or correct the number and written times read on a scan: they are written on the
    document and the act's rules re-run. 400 ``not_read`` before the scan is read,
    ``number_format``/``number_agency``/``number_taken`` for a number the register refuses,
    ``order`` when the end is before the start; 403 for read-only roles."""

    document, _ = _scanned(request, document_id)
    document = confirm_scan(
        request.user,
        document,
        number=payload.number,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
    )
    _, reading = _scanned(request, document_id)
    return _scan_out(document, reading)
