"""Record items (记录条目): creating segments, documents and data records, and linking them.

Every creation, link, unlink and change of the evidence flag is a ledger event in the same
transaction. Items are never deleted and their originals never change; a wrong link is undone by
an unlink (with a reason), which the ledger keeps beside the link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import jsonschema
from django.core.exceptions import ValidationError
from django.db import transaction

from quancheng.cases.models import Act
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.ledger.snapshot import snapshot
from quancheng.lib import gmcrypto
from quancheng.lib.canonical import canonical_bytes
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import agencies_visible_to

from .media import schedule_derivatives
from .models import Blob, DataKind, DataRecord, Document, RecordItem, Segment, Upload
from .signals import act_records_changed, document_number_claimed, item_changed, item_created

if TYPE_CHECKING:
    from quancheng.orgs.models import Agency, Device, User


SEGMENT_FIELDS = [
    "agency",
    "blob",
    "original_filename",
    "content_type",
    "readable",
    "source",
    "device",
    "officer",
    "media_kind",
    "started_at",
    "ended_at",
    "device_started_at",
    "clock_offset_seconds",
    "time_source",
    "duration_seconds",
    "container",
    "video_codec",
    "audio_codec",
    "width",
    "height",
    "frame_rate",
    "gps_latitude",
    "gps_longitude",
    "act",
    "is_evidence",
]
DOCUMENT_FIELDS = [
    "agency",
    "blob",
    "original_filename",
    "content_type",
    "readable",
    "source",
    "file_kind",
    "doc_type",
    "number",
    "written_started_at",
    "written_ended_at",
    "act",
    "is_evidence",
]
DATA_RECORD_FIELDS = [
    "agency",
    "source",
    "kind",
    "schema_version",
    "sha256",
    "sm3",
    "recorded_at",
    "device",
    "act",
    "is_evidence",
]
LABEL_FIELDS = ["label_place", "label_party", "label_case_number", "label_cause"]


def _json_safe(body: dict[str, Any]) -> dict[str, Any]:
    # GPS coordinates are Decimals: kept exact, as strings.
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in body.items()}


def _event_name(item) -> str:
    return item._meta.model_name  # segment, document, datarecord


def _check_act(actor: User, act: Act | None, agency) -> None:
    """An item may only be linked to an act the actor may change, of the item's district."""
    if act is None:
        return
    if not agencies_visible_to(actor).filter(pk=act.agency_id).exists():
        raise ValidationError(
            {"act": ValidationError("执法行为不存在或不在您的管辖范围内", code="not_found")}
        )
    if act.agency.district != agency.district:
        raise ValidationError(
            {"act": ValidationError("不能关联到其他区县的执法行为", code="other_agency")}
        )


def _apply_act(item, act: Act | None) -> None:
    """Linking to an act links to its case and subject too, and labels AV from them (A21 ¶2)."""
    item.act = act
    item.case = act.case if act else None
    item.subject = act.subject if act else None
    if act is not None and isinstance(item, Segment):
        item.label_place = item.label_place or act.place
        item.label_party = item.label_party or act.subject.name
        if act.case is not None:
            item.label_case_number = item.label_case_number or act.case.number
            item.label_cause = item.label_cause or act.case.cause


@transaction.atomic(durable=True)
def create_segment(
    actor: User,
    *,
    agency: Agency,
    blob: Blob,
    source: str,
    act: Act | None = None,
    **fields: Any,
) -> Segment:
    """Register a stored AV file as a segment (_create_segment says how)."""
    return _create_segment(actor, agency=agency, blob=blob, source=source, act=act, **fields)


def _create_segment(
    actor: User,
    *,
    agency: Agency,
    blob: Blob,
    source: str,
    act: Act | None = None,
    **fields: Any,
) -> Segment:
    """Register a stored AV file as a segment, in the caller's transaction (dock ingest and
    attaching an upload, which raise an unreadable file's alert in the same one)."""
    require_own_transaction("records.items._create_segment")
    caps.require(actor, caps.RECORDS_UPLOAD, agency)
    _check_act(actor, act, agency)
    if fields.get("started_at") and not fields.get("time_source"):
        fields["time_source"] = Segment.TimeSource.DEVICE  # a time given with the file is its own
    segment = Segment(agency=agency, blob=blob, source=source, created_by=actor, **fields)
    _apply_act(segment, act)
    segment.full_clean(exclude=["blob", "agency", "created_by"])
    segment.save()
    record_event(
        actor,
        Action.SEGMENT_CREATED,
        segment,
        _json_safe(snapshot(segment, SEGMENT_FIELDS + LABEL_FIELDS)),
    )
    schedule_derivatives(segment)  # thumbnail and proxy, queued after the commit
    # content queues the reading of the picture's clock (画面时间) after the commit.
    item_created.send(Segment, item=segment, actor=actor)
    act_records_changed.send(Segment, acts=(segment.act_id,))  # compliance re-evaluates
    return segment


@transaction.atomic(durable=True)
def create_document(
    actor: User,
    *,
    agency: Agency,
    blob: Blob,
    source: str,
    act: Act | None = None,
    **fields: Any,
) -> Document:
    """Register a stored file as an enforcement document (uploads, terminals)."""
    return _create_document(actor, agency=agency, blob=blob, source=source, act=act, **fields)


def _create_document(
    actor: User,
    *,
    agency: Agency,
    blob: Blob,
    source: str,
    act: Act | None = None,
    **fields: Any,
) -> Document:
    """Register a stored file as an enforcement document, in the caller's transaction (the
    generator registers a finalised PDF in the transaction that finalises its draft)."""
    require_own_transaction("records.items._create_document")
    caps.require(actor, caps.RECORDS_UPLOAD, agency)
    _check_act(actor, act, agency)
    if source != "generated" and fields.get("number"):
        # A scan or a terminal's document carries a number written elsewhere: the documents
        # app checks it (generated documents get theirs from the numbering counter).
        document_number_claimed.send(Document, agency=agency, number=fields["number"])
    document = Document(agency=agency, blob=blob, source=source, created_by=actor, **fields)
    _apply_act(document, act)
    document.full_clean(exclude=["blob", "agency", "created_by"])
    document.save()
    record_event(actor, Action.DOCUMENT_CREATED, document, snapshot(document, DOCUMENT_FIELDS))
    # documents validates the signatures of a received PDF, content queues a scan's
    # reading (its number and times, proposed to confirm).
    item_created.send(Document, item=document, actor=actor)
    act_records_changed.send(Document, acts=(document.act_id,))
    return document


def validate_data(kind: DataKind, data: Any) -> None:
    """Check terminal data against its kind's JSON Schema; every failure named, in Chinese."""
    validator = jsonschema.Draft202012Validator(kind.schema)
    problems = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if problems:
        messages = [
            ValidationError(
                f"{'/'.join(str(p) for p in e.absolute_path) or '（根）'}：{e.message}",
                code="schema",
            )
            for e in problems[:20]
        ]
        raise ValidationError({"data": messages})


def create_data_record(
    actor: User,
    *,
    agency: Agency,
    kind: DataKind,
    data: Any,
    recorded_at: dt.datetime,
    source: str,
    act: Act | None = None,
    device: Device | None = None,
) -> DataRecord:
    """Store terminal data after validating it against the kind's schema (nothing half-stored)."""
    caps.require(actor, caps.RECORDS_UPLOAD, agency)
    _check_act(actor, act, agency)
    validate_data(kind, data)
    with transaction.atomic(durable=True):
        record = DataRecord(
            agency=agency,
            kind=kind,
            schema_version=kind.version,
            data=data,
            sha256=hashlib.sha256(canonical_bytes(data)).hexdigest(),
            sm3=gmcrypto.sm3_hex(canonical_bytes(data)),
            recorded_at=recorded_at,
            device=device,
            source=source,
            created_by=actor,
        )
        _apply_act(record, act)
        record.save()
        record_event(actor, Action.DATARECORD_CREATED, record, snapshot(record, DATA_RECORD_FIELDS))
        item_created.send(DataRecord, item=record, actor=actor)
        act_records_changed.send(DataRecord, acts=(record.act_id,))
    return record


def link_item(actor: User, item: RecordItem, act: Act, *, reason: str = ""):
    """Link an item to an act (and so to its case and subject); a ledger event."""
    caps.require(actor, caps.ITEM_LINK, item)
    _check_act(actor, act, item.agency)
    with transaction.atomic(durable=True):
        item = type(item).objects.select_for_update().get(pk=item.pk)
        if item.act_id == act.pk:
            return item
        previous = item.act_id
        _apply_act(item, act)
        item.save()
        record_event(
            actor,
            Action(f"{_event_name(item)}.linked"),  # type: ignore[call-arg]  # lookup by value
            item,
            {
                "act": act.pk,
                "case": item.case_id,
                "subject": item.subject_id,
                "previous_act": previous,
                "reason": reason,
            },
        )
        act_records_changed.send(type(item), acts=(act, previous))
        _announce_change(actor, item, "linked")  # its act's dossier and holds now apply
    return item


def unlink_item(actor: User, item, *, reason: str):
    """Take an item off its act; it goes back to the custodian's queue. A reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("请填写解除关联的原因", code="required")})
    caps.require(actor, caps.ITEM_LINK, item)
    with transaction.atomic(durable=True):
        item = type(item).objects.select_for_update().get(pk=item.pk)
        if item.act_id is None:
            return item
        previous = item.act_id
        _apply_act(item, None)
        item.save()
        record_event(
            actor,
            Action(f"{_event_name(item)}.unlinked"),  # type: ignore[call-arg]  # lookup by value
            item,
            {"previous_act": previous, "reason": reason},
        )
        act_records_changed.send(type(item), acts=(previous,))
        _announce_change(actor, item, "unlinked")
    return item


def set_evidence(actor: User, item, is_evidence: bool):
    """Mark whether an item is used as evidence (its retention depends on it, A22)."""
    caps.require(actor, caps.EVIDENCE_SET, item)
    with transaction.atomic(durable=True):
        item = type(item).objects.select_for_update().get(pk=item.pk)
        if item.is_evidence == is_evidence:
            return item
        item.is_evidence = is_evidence
        item.save(update_fields=["is_evidence"])
        record_event(
            actor,
            Action(f"{_event_name(item)}.evidence_set"),  # type: ignore[call-arg]  # lookup by value
            item,
            {"is_evidence": is_evidence},
        )
        # Evidence AV follows its dossier, other AV 6 months (A22): the retention follows.
        _announce_change(actor, item, "evidence_set")
        act_records_changed.send(type(item), acts=(item.act_id,))  # A22-retention reads the flag
    return item


def _announce_change(actor: User, item, change: str) -> None:
    """Announce a changed link or evidence flag: the archive app recomputes the item's retention
    (A22) and holds (A23), in the caller's transaction."""
    item_changed.send(type(item), item=item, actor=actor, change=change)


def blob_of_upload(actor: User, upload: Upload) -> Blob:
    """The stored blob of a finished upload the actor may use (their own, in scope)."""
    if upload.status != Upload.Status.COMPLETE:
        raise ValidationError({"upload": ValidationError("上传尚未完成", code="upload_incomplete")})
    if (
        upload.user_id != actor.pk
        and not agencies_visible_to(actor).filter(pk=upload.agency_id).exists()
    ):
        raise ValidationError({"upload": ValidationError("上传不存在", code="not_found")})
    return Blob.objects.get(sha256=upload.sha256)
