"""Attaching a finished upload to an act (上传记录): it becomes a segment or a document.

The upload page and the API call :func:`attach_upload` after the last tus PATCH. Steps:

1. the act must be one the actor may change (the caller fetched it through scoping: 404 outside);
2. the upload must be the actor's own and complete (someone else's upload is "not found");
3. the stored bytes are sniffed: a document must be a PDF or a JPEG/PNG/TIFF scan, a segment an
   audio/video container (the file name and the browser's type prove nothing);
4. if the agency already holds an item with the same bytes (the store deduplicated them), that
   item is linked to the act instead of creating a second one (已存在，已关联);
5. otherwise the item is created through :mod:`quancheng.records.items`, which writes the ledger
   event in the same transaction.

Every refusal happens before anything is written, so a refused attach leaves nothing half-done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from quancheng.cases.models import Act
from quancheng.lib.blobstore import read_full
from quancheng.orgs import capabilities as caps

from . import items
from .ingest import attribute, probe_blob, raise_unreadable, segment_fields
from .models import Document, RecordItem, Segment, Upload
from .services import UploadError, blob_store, clean_filename
from .sniff import HEAD_SIZE, document_kind, media_kind

if TYPE_CHECKING:
    from quancheng.orgs.models import User


SEGMENT = "segment"
DOCUMENT = "document"
KINDS = {SEGMENT: "音像记录", DOCUMENT: "执法文书"}


@dataclass
class Attached:
    item: Segment | Document
    existed: bool  # the agency already had an item with these bytes: linked, not created
    deduplicated: bool  # the blob store already held the bytes (the upload stored nothing new)


def upload_for_actor(actor: User, upload_id) -> Upload:
    """The actor's own upload; anyone else's is reported as not found (no hint it exists)."""
    try:
        upload = Upload.objects.filter(pk=upload_id, user=actor).first()
    except (ValueError, ValidationError):  # not a UUID
        upload = None
    if upload is None:
        raise UploadError(404, "upload_not_found", "上传不存在，或不是您本人的上传")
    return upload


def _head(sha256: str) -> bytes:
    with blob_store().open(sha256, 0, HEAD_SIZE) as f:
        return bytes(read_full(f, HEAD_SIZE))


def _check_times(started: dt.datetime | None, ended: dt.datetime | None) -> None:
    if started and ended and ended < started:
        raise ValidationError(
            {"written_ended_at": ValidationError("记载的结束时间早于开始时间", code="invalid")}
        )


def attach_upload(  # noqa: C901 - one check per refusal reason of an upload, in order
    actor: User,
    act: Act,
    upload_id,
    kind: str,
    *,
    doc_type: str = "",
    number: str = "",
    written_started_at: dt.datetime | None = None,
    written_ended_at: dt.datetime | None = None,
    is_evidence: bool = False,
) -> Attached:
    """Make a finished upload a segment or document of ``act`` (or link the existing one)."""
    # 1. Who may attach here, and what is attached.
    caps.require(actor, caps.RECORDS_UPLOAD, act)
    if kind not in KINDS:
        raise UploadError(400, "invalid_kind", "记录种类只能是音像记录或执法文书")
    doc_type, number = (doc_type or "").strip(), (number or "").strip()
    if kind == DOCUMENT:
        if not doc_type:
            raise ValidationError({"doc_type": ValidationError("请填写文书种类", code="required")})
        _check_times(written_started_at, written_ended_at)
    # 2. The upload: the actor's own, finished, meant for this act.
    upload = upload_for_actor(actor, upload_id)
    if upload.status != Upload.Status.COMPLETE:
        raise UploadError(409, "upload_incomplete", "上传尚未完成，不能登记为记录")
    intended = upload.metadata.get("act")
    if intended and intended != str(act.pk):
        raise UploadError(409, "upload_for_other_act", "该上传是为另一个执法行为上传的")
    filename = clean_filename(upload.filename)
    if upload.length == 0:  # pragma: no cover - tus refuses empty uploads at creation
        raise UploadError(400, "empty_upload", "不接受空文件")
    # 3. What the bytes really are.
    head = _head(upload.sha256)
    model: type[Document] | type[Segment]
    if kind == DOCUMENT:
        doc_kind = document_kind(head)
        if doc_kind is None:
            raise UploadError(
                415,
                "wrong_content_type",
                f"“{filename}”的内容不是 PDF 或 JPEG、PNG、TIFF 扫描图像，不能登记为执法文书",
            )
        fields = {
            "file_kind": doc_kind[0],
            "content_type": doc_kind[1],
            "doc_type": doc_type,
            "number": number,
            "written_started_at": written_started_at,
            "written_ended_at": written_ended_at,
        }
        model = Document
    else:
        sniffed = media_kind(head)
        if sniffed is None:
            raise UploadError(
                415,
                "wrong_content_type",
                f"“{filename}”的内容不是音视频文件（MP4、MOV、MKV、AVI、TS、WAV、MP3 等），"
                "不能登记为音像记录",
            )
        model = Segment
    blob = items.blob_of_upload(actor, upload)
    # 4. The same bytes already registered in this agency: link that item, do not add another.
    existing = _existing(model, act, blob)
    if existing is not None:
        return Attached(_link_existing(actor, existing, act), True, not upload.blob_created)
    # 5. A new item; a segment is probed first, exactly as dock ingest probes (its times,
    # device and officer), after the upload completed, so the transfer itself is not slowed.
    item: Document | Segment
    try:
        if model is Segment:
            item = _create_segment(actor, act, blob, filename, sniffed, is_evidence)
        else:
            item = items.create_document(
                actor,
                agency=act.agency,
                blob=blob,
                source=RecordItem.Source.UPLOAD,
                act=act,
                original_filename=filename,
                is_evidence=is_evidence,
                **fields,
            )
    except IntegrityError:  # the same file attached twice at once: the other request won
        existing = _existing(model, act, blob)
        if existing is None:
            raise
        return Attached(_link_existing(actor, existing, act), True, not upload.blob_created)
    return Attached(item, False, not upload.blob_created)


def _create_segment(
    actor: User, act: Act, blob, filename: str, sniffed, is_evidence: bool
) -> Segment:
    """Probe the stored file and create its segment (an unreadable one is kept and alerted)."""
    media, error = probe_blob(blob.sha256)
    who = attribute(actor, act.agency, filename, media, uploader=actor)
    fields = segment_fields(filename, media, who)
    fields["content_type"] = sniffed[2]  # what the bytes are, not what the name suggests
    if media is None:
        fields.update(media_kind=sniffed[0], container=sniffed[1])
    with transaction.atomic(durable=True):
        segment = items._create_segment(
            actor,
            agency=act.agency,
            blob=blob,
            source=RecordItem.Source.UPLOAD,
            act=act,
            is_evidence=is_evidence,
            readable=media is not None,
            parse_error=error,
            **fields,
        )
        if media is None:
            raise_unreadable(actor, segment, filename, error, source="upload")
    return segment


def _existing(model, act: Act, blob):
    return model.objects.filter(agency=act.agency, blob=blob).order_by("pk").first()


def _link_existing(actor: User, item, act: Act):
    if item.act_id == act.pk:
        return item
    if item.act_id is not None:
        raise UploadError(
            409,
            "linked_to_other_act",
            f"相同内容的文件已登记为另一执法行为的记录（{item}），请先在原执法行为中解除关联",
        )
    return items.link_item(actor, item, act, reason="上传了相同内容的文件")


@dataclass
class ActRecords:
    segments: list[Segment]
    documents: list[Document]
    data_records: list

    def __len__(self) -> int:
        return len(self.segments) + len(self.documents) + len(self.data_records)


def records_of_act(act: Act) -> ActRecords:
    """The items linked to an act (metadata only: listing them reads no record content)."""
    from .models import DataRecord

    return ActRecords(
        segments=list(Segment.objects.filter(act=act).select_related("blob").order_by("pk")),
        documents=list(Document.objects.filter(act=act).select_related("blob").order_by("pk")),
        data_records=list(DataRecord.objects.filter(act=act).select_related("kind").order_by("pk")),
    )
