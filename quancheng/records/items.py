"""Record items (记录条目): creating segments, documents and data records, and linking them.

Every creation, link, unlink and change of the evidence flag is a ledger event in the same
transaction. Items are never deleted and their originals never change; a wrong link is undone by
an unlink (with a reason), which the ledger keeps beside the link.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import jsonschema
from django.core.exceptions import ValidationError
from django.db import transaction

from quancheng.cases.models import Act
from quancheng.compliance.hooks import schedule_evaluation
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.ledger.snapshot import snapshot
from quancheng.lib import gmcrypto
from quancheng.lib.canonical import canonical_bytes
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import agencies_visible_to

from .media import schedule_derivatives
from .models import Blob, DataKind, DataRecord, Document, Segment, Upload

if TYPE_CHECKING:
    from quancheng.orgs.models import User


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


def create_segment(
    actor: User, *, agency, blob: Blob, source: str, act: Act | None = None, **fields
) -> Segment:
    """Register a stored AV file as a segment (ingest and uploads call this)."""
    caps.require(actor, caps.RECORDS_UPLOAD, agency)
    _check_act(actor, act, agency)
    if fields.get("started_at") and not fields.get("time_source"):
        fields["time_source"] = Segment.TimeSource.DEVICE  # a time given with the file is its own
    with transaction.atomic():
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
        from quancheng.content.osd import schedule_osd_reading

        schedule_osd_reading(segment)  # the picture's clock (画面时间), queued after the commit
        schedule_evaluation(segment.act_id)  # the act's rules (compliance), after the commit
    return segment


def create_document(
    actor: User, *, agency, blob: Blob, source: str, act: Act | None = None, **fields
) -> Document:
    """Register a stored file as an enforcement document (uploads, terminals, the generator)."""
    caps.require(actor, caps.RECORDS_UPLOAD, agency)
    _check_act(actor, act, agency)
    with transaction.atomic():
        if source != "generated" and fields.get("number"):
            # A scan or a terminal's document carries a number written elsewhere: checked here
            # (generated documents get theirs from the numbering counter).
            from quancheng.documents.numbering import check_document_number

            check_document_number(agency, fields["number"])
        document = Document(agency=agency, blob=blob, source=source, created_by=actor, **fields)
        _apply_act(document, act)
        document.full_clean(exclude=["blob", "agency", "created_by"])
        document.save()
        record_event(actor, Action.DOCUMENT_CREATED, document, snapshot(document, DOCUMENT_FIELDS))
        if document.file_kind == Document.FileKind.PDF and source != "generated":
            # Signed PDFs from terminals and uploads: signatures validated at ingest, the
            # result kept beside the untouched file (documents app; generated ones check
            # themselves when signed).
            from quancheng.documents.validation import record_check

            record_check(actor, document)
        from quancheng.content.scans import schedule_scan_reading

        schedule_scan_reading(document)  # a scan's number and times read, proposed to confirm
        schedule_evaluation(document.act_id)
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
    agency,
    kind: DataKind,
    data: Any,
    recorded_at,
    source: str,
    act: Act | None = None,
    device=None,
) -> DataRecord:
    """Store terminal data after validating it against the kind's schema (nothing half-stored)."""
    caps.require(actor, caps.RECORDS_UPLOAD, agency)
    _check_act(actor, act, agency)
    validate_data(kind, data)
    with transaction.atomic():
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
        schedule_evaluation(record.act_id)
    return record


def link_item(actor: User, item, act: Act, *, reason: str = ""):
    """Link an item to an act (and so to its case and subject); a ledger event."""
    caps.require(actor, caps.ITEM_LINK, item)
    _check_act(actor, act, item.agency)
    with transaction.atomic():
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
        schedule_evaluation(act, previous)
        _recompute_retention(actor, item)  # its act's dossier and holds now apply
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
        schedule_evaluation(previous)
        _recompute_retention(actor, item)
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
        _recompute_retention(actor, item)
        schedule_evaluation(item.act_id)  # A22-retention reads the evidence flag
    return item


def _recompute_retention(actor: User, item) -> None:
    """The item's retention (A22) and holds (A23) again, in the caller's transaction."""
    from quancheng.archive.retention import recompute_for_items

    recompute_for_items([(_event_name(item), item.pk)], actor=actor)


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
