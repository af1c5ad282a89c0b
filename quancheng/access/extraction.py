"""Evidence extraction (证据提取, A24 ¶3): the officer asks, the agency head decides, the platform
produces the export package in the background (access/package.py) and logs every download.

Each step is one function and one transaction with its ledger event: ``extraction.requested``,
``extraction.approved`` / ``extraction.refused``, ``extraction.production_started``,
``extraction.note_made``, ``extraction.produced`` (with the package's hashes) or
``extraction.failed``, ``extraction.downloaded``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from quancheng.cases.models import Act, Case
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import agencies_visible_to
from quancheng.records.refs import ITEM_MODELS, Item, ItemKind, ref_of, resolve_many
from quancheng.records.sm3 import file_digests

from .models import Extraction

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MAX_ITEMS = 500
MAX_TEXT = 2000


def _error(message: str, code: str, field: str | None = None) -> ValidationError:
    error = ValidationError(message, code=code)
    return ValidationError({field: error}) if field else error


def clean_text(value: str, field: str, label: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _error(f"请填写{label}", "required", field)
    if len(value) > MAX_TEXT:
        raise _error(f"{label}不能超过{MAX_TEXT}个字", "too_long", field)
    return value


def parse_refs(raw) -> list[tuple[str, int]]:
    """Item references from ``[{"kind": "segment", "id": 12}, …]`` or ``["segment:12", …]``."""
    refs = []
    for entry in raw or []:
        try:
            if isinstance(entry, str):
                kind, _, pk = entry.partition(":")
            else:
                kind, pk = entry["kind"], entry["id"]
            ref = (str(kind), int(pk))
        except (KeyError, TypeError, ValueError) as e:
            raise _error("提取条目格式无效", "invalid_items", "items") from e
        if ref[0] not in ITEM_MODELS:
            raise _error(f"未知的条目类型：{ref[0]}", "invalid_items", "items")
        if ref not in refs:
            refs.append(ref)
    return refs


def items_in_scope(actor: User, *, act: Act | None, case: Case | None, refs) -> list[Item]:
    """The items the references name, each of the act (or the case) and visible to the actor."""
    if (act is None) == (case is None):
        raise _error("请选择一个执法行为或一个案件", "source_required", "act")
    refs = parse_refs(refs)
    if not refs:
        raise _error("请至少选择一个条目", "required", "items")
    if len(refs) > MAX_ITEMS:
        raise _error(f"一次最多提取{MAX_ITEMS}个条目", "too_many", "items")
    found = resolve_many(refs)
    visible = set(agencies_visible_to(actor).values_list("pk", flat=True))
    items = []
    for ref in refs:
        item = found.get(ref)
        if item is None or not _belongs(item, act, case) or item.agency_id not in visible:
            label = ItemKind(ref[0]).label
            raise _error(f"{label} {ref[1]} 不存在或不属于所选执法行为/案件", "not_found", "items")
        items.append(item)
    return items


def _belongs(item: Item, act: Act | None, case: Case | None) -> bool:
    if act is not None:
        return item.act_id == act.pk
    assert case is not None  # one of the two (items_in_scope checks)
    return item.case_id == case.pk or (item.act is not None and item.act.case_id == case.pk)


def refs_json(items) -> list[dict]:
    return [{"kind": kind, "id": pk} for kind, pk in map(ref_of, items)]


def request_extraction(
    actor: User, *, purpose: str, act: Act | None = None, case: Case | None = None, items=()
) -> Extraction:
    """An officer asks to extract items of one act or case as evidence (提取申请)."""
    source = act or case
    if source is None or not caps.can(actor, caps.EXTRACTION_REQUEST, source):
        raise PermissionDenied("无权为该执法行为或案件申请证据提取")
    purpose = clean_text(purpose, "purpose", "提取事由")
    chosen = items_in_scope(actor, act=act, case=case, refs=items)
    with transaction.atomic(durable=True):
        extraction = Extraction.objects.create(
            agency=source.agency,
            requested_by=actor,
            purpose=purpose,
            act=act,
            case=case,
            items=refs_json(chosen),
        )
        record_event(
            actor,
            Action.EXTRACTION_REQUESTED,
            extraction,
            {
                "purpose": purpose,
                "act": act.pk if act else None,
                "case": case.pk if case else None,
                "items": extraction.items,
            },
        )
    return extraction


def _locked(extraction: Extraction) -> Extraction:
    return Extraction.objects.select_for_update().get(pk=extraction.pk)


def decide_extraction(actor: User, extraction: Extraction, *, approve: bool, note: str = ""):
    """The agency head approves or refuses (A24); never the requester. An approval queues the
    production of the package once the decision has committed."""
    note = clean_text(note, "note", "审批意见", required=not approve)
    return approvals.decide("extraction", extraction, actor, approve=approve, note=note)


def apply_decision(extraction: Extraction, actor: User, approve: bool, note: str) -> Extraction:
    """The extraction's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_decision")  # inside approvals.decide()
    extraction.status = Extraction.Status.APPROVED if approve else Extraction.Status.REFUSED
    extraction.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record_event(
        actor,
        Action.EXTRACTION_APPROVED if approve else Action.EXTRACTION_REFUSED,
        extraction,
        {"note": note},
    )
    if approve:
        schedule_production(extraction)
    return extraction


def schedule_production(extraction: Extraction) -> None:
    """Queue the package's production after the commit (robust: a queue that cannot be reached
    leaves it approved, and ``manage.py`` or the head's retry picks it up)."""
    from .tasks_extraction import produce_extraction_package

    pk = extraction.pk
    transaction.on_commit(lambda: produce_extraction_package.enqueue(pk), robust=True)


def retry_production(actor: User, extraction: Extraction) -> Extraction:
    """The head asks again for a package whose production failed."""
    if not caps.can(actor, caps.REQUESTS_DECIDE, extraction):
        raise PermissionDenied("只有本机构负责人可以重新制作")
    with transaction.atomic(durable=True):
        extraction = _locked(extraction)
        if extraction.status != Extraction.Status.FAILED:
            raise _error("只有制作失败的提取可以重新制作", "not_failed")
        extraction.status = Extraction.Status.APPROVED
        extraction.production_started_at = None
        extraction.production_job = ""
        extraction.progress = 0
        extraction.stage = ""
        extraction.save(
            update_fields=["status", "production_started_at", "production_job", "progress", "stage"]
        )
        record_event(actor, Action.EXTRACTION_RETRIED, extraction, {"error": extraction.error})
        schedule_production(extraction)
    return extraction


def record_download(actor: User, extraction: Extraction, served: str, *, via: str) -> None:
    """A download of the package is an access to record content: one event per request."""
    caps.require(actor, caps.EXTRACTION_DOWNLOAD, extraction)
    assert extraction.package_id is not None  # the capability waits for the package
    with transaction.atomic(durable=True):
        record_event(
            actor,
            Action.EXTRACTION_DOWNLOADED,
            extraction,
            {**file_digests(extraction.package_id), "range": served, "via": via},
        )


def record_note_read(actor: User, extraction: Extraction, served: str) -> None:
    """Reading the extraction note on its own (it lists the items and their hashes)."""
    caps.require(actor, caps.EXTRACTION_DOWNLOAD, extraction)
    assert extraction.note_id is not None  # produced with the package
    with transaction.atomic(durable=True):
        record_event(
            actor,
            Action.EXTRACTION_NOTE_VIEWED,
            extraction,
            {**file_digests(extraction.note_id), "range": served},
        )


def package_filename(extraction: Extraction) -> str:
    return f"证据提取-{extraction.pk}.zip"


def visible_extractions(user: User):
    """Extractions in the user's scope, for lists (the detail page checks the same scope).
    None for the administrators (三员分立): an extraction lists record items and leads to their
    package, record content they never read (docs/security.md)."""
    if getattr(user, "is_administrator", False):
        return Extraction.objects.none()
    return Extraction.objects.visible_to(user).select_related(
        "requested_by", "decided_by", "act", "case", "agency"
    )
