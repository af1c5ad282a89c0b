"""Dossiers (案卷): assembling, freezing and supplementing the dossier of a closed case or of an
inspection finished without a case, and its table of contents (卷内目录) as a PDF.

The records custodian (记录管理专人, A19) does all of it. A dossier is assembled (组卷) with its
entries in order, frozen (归档) — from then on nothing in it changes, and the case moves to 归档 —
and later additions are supplements (补充归档): requested by the custodian with a reason, they take
effect only when the agency head approves them. Every step is a ledger event in the step's
transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from quancheng.cases.models import Act, Case
from quancheng.cases.services import archive_case
from quancheng.compliance.models import Explanation, Finding
from quancheng.documents.catalogue import BUNDLED
from quancheng.documents.numbering import next_serial
from quancheng.documents.render import render_template_pdf
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.records.models import Blob, DataRecord, Document, Segment
from quancheng.records.services import blob_store, put_record, register_blob
from quancheng.records.sm3 import file_digests

from . import fourchecks
from .config import current_config
from .models import Dossier, DossierEntry, DossierSupplement, SupplementRequest, retain_until
from .retention import recompute_for_dossier

if TYPE_CHECKING:
    from quancheng.orgs.models import User


Section = DossierEntry.Section
# Documents of the summary procedure (简易程序): a case decided only by such a document is a
# penalty_summary dossier.
SUMMARY_DECISION = "当场行政处罚决定书"
GENERAL_DECISION = "行政处罚决定书"
# Serials of dossier numbers share the documents' counter table under their own key.
NUMBER_CATEGORY = "案卷"
TITLE_MAX = DossierEntry._meta.get_field("title").max_length


@dataclass(frozen=True)
class Item:
    """What an entry will be: its section, the item it names and its title."""

    section: str
    item_kind: str
    item_id: int
    title: str

    @property
    def ref(self) -> tuple[str, int]:
        return self.item_kind, self.item_id

    @property
    def section_label(self) -> str:
        return Section(self.section).label


# --- checks --------------------------------------------------------------------------------------


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def require_custodian(user: User, agency) -> None:
    """A19: the records custodian keeps and archives records, nobody else."""
    caps.require(user, caps.DOSSIER_ARCHIVE, agency)


def _check_case(case: Case) -> None:
    if case.stage != Case.Stage.CLOSED:
        stage = Case.Stage(case.stage).label
        raise _refuse(f"案件尚未结案（当前阶段：{stage}），不能组卷", "case_not_closed")


def _check_act(act: Act) -> None:
    if act.case_id is not None:
        raise _refuse("该执法行为属于案件，请在案件结案后随案件组卷", "act_in_case")
    if act.kind != Act.Kind.INSPECTION:
        raise _refuse("只有未立案的监督检查可以单独组卷", "act_not_inspection")
    if act.ended_at > timezone.now():
        raise _refuse("监督检查尚未结束，不能组卷", "act_not_ended")


def _check_no_dossier(case: Case | None, act: Act | None) -> None:
    existing = Dossier.objects.filter(case=case) if case else Dossier.objects.filter(act=act)
    dossier = existing.first()
    if dossier is not None:
        what = "该案件" if case else "该执法行为"
        raise _refuse(f"{what}已有案卷（{dossier.number}），不能重复组卷", "dossier_exists")


# --- what goes in --------------------------------------------------------------------------------


@cache
def catalogue_order() -> dict[str, int]:
    """Document type name → its place in the document catalogue (文书目录)."""
    types = json.loads(BUNDLED.read_text(encoding="utf-8"))["types"]
    return {t["name"]: i for i, t in enumerate(types)}


_LATE = dt.datetime.max.replace(tzinfo=dt.UTC)


def _local(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def _document_items(documents) -> list[Item]:
    # Catalogue order first (unknown types after), then the time the document records.
    order = catalogue_order()

    def key(d: Document):
        when = d.written_started_at or d.created_at
        return order.get(d.doc_type, len(order)), when, d.pk

    return [
        Item(Section.DOCUMENT, "document", d.pk, f"{d.doc_type} {d.number}".strip())
        for d in sorted(documents, key=key)
    ]


# Larger PDFs are not opened to count their pages (the count is read from the whole file).
PAGE_COUNT_MAX_BYTES = 50 * 1024 * 1024


def page_count(document: Document) -> int | None:
    """A document's pages for the table of contents (页数): a scan is one page; a PDF's count is
    read from its page tree; None when unknown (unreadable, too large)."""
    if document.file_kind == Document.FileKind.IMAGE:
        return 1
    if document.blob.size > PAGE_COUNT_MAX_BYTES:
        return None
    try:
        with blob_store().open(document.blob_id) as f:
            reader = PdfFileReader(io.BytesIO(f.read()), strict=False)
            return int(reader.root["/Pages"]["/Count"])
    except Exception:
        return None


def _segment_items(segments) -> list[Item]:
    def key(s: Segment):
        return s.started_at or _LATE, s.pk

    items = []
    for s in sorted(segments, key=key):
        when = f"{_local(s.started_at)}–{_local(s.ended_at)[11:]}" if s.started_at else "时间不详"
        if s.time_by_hand:
            when += "（时间为手工录入）"
        name = s.original_filename or f"音像记录 {s.pk}"
        items.append(
            Item(Section.AV, "segment", s.pk, f"{s.get_media_kind_display()} {when} {name}")
        )
    return items


def _data_items(records) -> list[Item]:
    records = sorted(records, key=lambda r: (r.recorded_at, r.pk))
    return [
        Item(Section.DATA, "datarecord", r.pk, f"{r.kind.name} {_local(r.recorded_at)}")
        for r in records
    ]


def _explanation_items(explanations) -> list[Item]:
    return [
        Item(
            Section.EXPLANATION,
            "explanation",
            e.pk,
            f"{e.get_kind_display()} {_local(e.requested_at)}：{e.text}",
        )
        for e in sorted(explanations, key=lambda e: (e.requested_at, e.pk))
    ]


def _finding_items(findings) -> list[Item]:
    items = []
    for f in sorted(findings, key=lambda f: (f.act.started_at, f.created_at, f.pk)):
        # The message already cites its article (Rule.render): the title names it once.
        cited = f.message if f.article in f.message else f"{f.article}：{f.message}"
        title = f"{cited}（{f.get_status_display()}）"
        if f.answer:
            title += f" 答复：{f.answer}"
        items.append(Item(Section.FINDING, "finding", f.pk, title))
    return items


def collect(*, case: Case | None = None, act: Act | None = None) -> list[Item]:
    """Everything the dossier of ``case`` (or of the lone ``act``) holds, in table order.

    Documents by the catalogue's order of types then time, AV and data by time, explanations,
    then findings with their answers (closed findings, which no longer apply, are left out).
    """
    records: tuple[dict[str, Case | Act], dict[str, Case | Act]]
    if case is not None:
        records = {"case": case}, {"act__case": case}
        acts = Act.objects.filter(case=case)
    elif act is not None:
        records = {"act": act}, {"act": act}
        acts = Act.objects.filter(pk=act.pk)
    else:
        raise ValueError("collect needs a case or an act")

    def of(model, *related):
        qs = model.objects.filter(**records[0]) | model.objects.filter(**records[1])
        return list(qs.select_related(*related).distinct())

    findings = Finding.objects.filter(act__in=acts).exclude(status=Finding.Status.CLOSED)
    return [
        *_document_items(of(Document)),
        *_segment_items(of(Segment)),
        *_data_items(of(DataRecord, "kind")),
        *_explanation_items(Explanation.objects.filter(act__in=acts)),
        *_finding_items(findings.select_related("act")),
    ]


def candidates(dossier: Dossier) -> list[Item]:
    """Items of the dossier's case or act that are not (yet) in it: what a supplement may add."""
    present = set(dossier.entries.values_list("item_kind", "item_id"))
    items = collect(case=dossier.case, act=dossier.act)
    return [i for i in items if i.ref not in present]


def _entries(dossier: Dossier, items: list[Item], start: int, supplement=None) -> list:
    now = timezone.now()
    # Pages are counted once, when a document enters the dossier.
    ids = [i.item_id for i in items if i.item_kind == "document"]
    documents = Document.objects.filter(pk__in=ids).select_related("blob")
    pages = {d.pk: page_count(d) for d in documents}
    return DossierEntry.objects.bulk_create(
        DossierEntry(
            dossier=dossier,
            section=item.section,
            position=start + n,
            item_kind=item.item_kind,
            item_id=item.item_id,
            title=item.title[:TITLE_MAX],
            pages=pages.get(item.item_id) if item.item_kind == "document" else None,
            supplement=supplement,
            added_at=now,
        )
        for n, item in enumerate(items, 1)
    )


# --- metadata ------------------------------------------------------------------------------------


def suggested_kind(*, case: Case | None = None, act: Act | None = None) -> str:
    """The dossier kind: inspection for a lone act; for a case, summary procedure when it was
    decided on the spot (当场行政处罚决定书) and by no general decision, else general."""
    if case is None:
        return Dossier.Kind.INSPECTION
    types = set(
        (Document.objects.filter(case=case) | Document.objects.filter(act__case=case)).values_list(
            "doc_type", flat=True
        )
    )
    if SUMMARY_DECISION in types and GENERAL_DECISION not in types:
        return Dossier.Kind.PENALTY_SUMMARY
    return Dossier.Kind.PENALTY_GENERAL


def suggested_title(*, case: Case | None = None, act: Act | None = None) -> str:
    if case is not None:
        return f"{case.subject.name}{case.cause}案（{case.number}）"
    if act is None:
        raise ValueError("suggested_title needs a case or an act")
    return f"{act.subject.name}监督检查（{timezone.localtime(act.started_at):%Y-%m-%d}）"


def issue_number(agency, year: int) -> str:
    """The dossier number (案卷号), e.g. 渝中档〔2026〕12号: per agency and year, no gaps.

    The serial comes from the counter row locked until the caller's transaction ends.
    """
    serial = next_serial(agency, NUMBER_CATEGORY, "", year)
    return f"{agency.short_name}档〔{year}〕{serial}号"


# --- use cases -----------------------------------------------------------------------------------


def _entry_refs(items) -> list[list]:
    return [[i.item_kind, i.item_id] for i in items]


def assemble_dossier(
    actor: User,
    *,
    case: Case | None = None,
    act: Act | None = None,
    kind: str = "",
    title: str = "",
) -> Dossier:
    """Assemble (组卷) the dossier of a closed case or a finished lone inspection."""
    if (case is None) == (act is None):
        raise ValueError("assemble_dossier needs a case or an act")
    with transaction.atomic(durable=True):
        # 1. Lock what is being archived: two custodians assembling at once queue here.
        if case is not None:
            case = (
                Case.objects.select_for_update().select_related("agency", "subject").get(pk=case.pk)
            )
            agency = case.agency
        else:
            assert act is not None  # one of the two (checked above)
            act = Act.objects.select_for_update().select_related("agency", "subject").get(pk=act.pk)
            agency = act.agency
        # 2. Who and what.
        require_custodian(actor, agency)
        if case is not None:
            _check_case(case)
        else:
            assert act is not None
            _check_act(act)
        _check_no_dossier(case, act)
        kind = kind or suggested_kind(case=case, act=act)
        if kind not in Dossier.Kind.values:
            raise _refuse("案卷类别无效", "invalid_kind")
        if case is None and kind != Dossier.Kind.INSPECTION:
            raise _refuse("未立案的监督检查只能作为“监督检查”类案卷", "invalid_kind")
        title = (title or "").strip() or suggested_title(case=case, act=act)
        settings = current_config()
        # 3. The dossier with its number, then its entries in order.
        try:
            # A dossier made meanwhile fails the insert: only this savepoint rolls back.
            # savepoint: inside assemble_dossier's durable transaction, to refuse cleanly.
            with transaction.atomic():
                dossier = Dossier.objects.create(
                    agency=agency,
                    case=case,
                    act=act,
                    kind=kind,
                    number=issue_number(agency, timezone.localdate().year),
                    title=title[: Dossier._meta.get_field("title").max_length],
                    retention_class=settings.class_for(kind),
                    custodian=actor,
                )
        except IntegrityError as e:  # a dossier made meanwhile (the lock makes this rare)
            raise _refuse("该案件或执法行为已有案卷，不能重复组卷", "dossier_exists") from e
        items = collect(case=case, act=act)
        _entries(dossier, items, 0)
        record_event(
            actor,
            Action.DOSSIER_ASSEMBLED,
            dossier,
            {
                "number": dossier.number,
                "kind": kind,
                "title": dossier.title,
                "retention_class": dossier.retention_class,
                "retention_config_version": settings.version,
                "case": case.pk if case else None,
                "act": act.pk if act else None,
                "entries": _entry_refs(items),
            },
        )
    return dossier


def _locked(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().select_related("agency").get(pk=dossier.pk)


def _check_assembling(dossier: Dossier) -> None:
    if dossier.status != Dossier.Status.ASSEMBLING:
        raise _refuse("案卷已归档，不能修改；新增材料请办理补充归档", "dossier_frozen")


def refresh_dossier(actor: User, dossier: Dossier) -> Dossier:
    """While assembling, take in what was recorded since (组卷中重新整理): entries rebuilt."""
    with transaction.atomic(durable=True):
        dossier = _locked(dossier)
        require_custodian(actor, dossier.agency)
        _check_assembling(dossier)
        before = set(dossier.entries.values_list("item_kind", "item_id"))
        items = collect(case=dossier.case, act=dossier.act)
        dossier.entries.all().delete()
        _entries(dossier, items, 0)
        after = {i.ref for i in items}
        record_event(
            actor,
            Action.DOSSIER_REFRESHED,
            dossier,
            {
                "added": sorted(map(list, after - before)),
                "removed": sorted(map(list, before - after)),
                "entries": _entry_refs(items),
            },
        )
    return dossier


def freeze_consequences(dossier: Dossier) -> list[str]:
    """What 封卷归档 does, in Chinese: for the confirmation page and the API's refusal without
    ``confirm``."""
    entries = dossier.entries.count()
    today = timezone.localdate()
    until = retain_until(today, dossier.retention_class)
    kept = f"保管至{until:%Y年%m月%d日}" if until else "永久保管"
    consequences = [
        f"先对卷内{entries}件材料进行四性检测（真实性、完整性、可用性、安全性），"
        "检测不通过则不封卷",
        f"卷内{entries}件材料及其所属执法行为、案件此后只读：不能修改、解除关联、"
        "删除或再制作文书，只能经机构负责人批准办理补充归档",
        f"归档日期定为{today:%Y年%m月%d日}，保管期限{dossier.get_retention_class_display()}，"
        f"{kept}，期满前不得销毁（第二十二条）",
        "生成并保存卷内目录，封卷记入不可篡改的操作日志",
    ]
    if dossier.case is not None:
        consequences.insert(2, f"案件{dossier.case.number}进入“归档”阶段")
    return consequences


def freeze_dossier(actor: User, dossier: Dossier) -> Dossier:
    """Freeze (封卷归档): archive date and retention fixed, the case moves to 归档, the table of
    contents rendered and stored. Nothing in the dossier changes afterwards.

    The 四性 checks run first (archive/fourchecks.py), in their own transaction so that a failed
    report is kept; a failure refuses the freeze with its reasons (``fourchecks_failed``).
    """
    # 1. Who and what, before the checks read every file.
    dossier = Dossier.objects.select_related("agency").get(pk=dossier.pk)
    require_custodian(actor, dossier.agency)
    _check_assembling(dossier)
    if not dossier.entries.exists():
        raise _refuse("案卷中没有任何材料，不能归档", "dossier_empty")
    # 2. 四性检测 at sealing (DA/T 70).
    report = fourchecks.check_dossier(actor, dossier, fourchecks.Occasion.SEALING)
    if not report.passed and fourchecks.blocks():
        raise _refuse(str(fourchecks.ChecksFailed(report)), fourchecks.ChecksFailed.code)
    # 3. The freeze itself, of exactly what was checked.
    with transaction.atomic(durable=True):
        dossier = _locked(dossier)
        require_custodian(actor, dossier.agency)
        _check_assembling(dossier)
        if fourchecks.entry_refs(dossier) != report.entries:
            raise _refuse("检测后卷内材料发生变化，请重新归档（将重新检测）", "entries_changed")
        today = timezone.localdate()
        dossier.status = Dossier.Status.FROZEN
        dossier.frozen_at = timezone.now()
        dossier.archived_on = today
        dossier.retain_until = retain_until(today, dossier.retention_class)
        # Rendered before the first ledger event: the ledger's head stays locked from then on
        # until the commit, and the PDF takes a moment.
        dossier.toc_blob = _store_toc(dossier)
        if dossier.case is not None:
            archive_case(actor, dossier.case, f"案卷{dossier.number}归档")
        dossier.save(
            update_fields=["status", "frozen_at", "archived_on", "retain_until", "toc_blob"]
        )
        record_event(
            actor,
            Action.DOSSIER_FROZEN,
            dossier,
            {
                "number": dossier.number,
                "archived_on": today.isoformat(),
                "retention_class": dossier.retention_class,
                "retain_until": dossier.retain_until.isoformat() if dossier.retain_until else None,
                "entries": [list(r) for r in dossier.entries.values_list("item_kind", "item_id")],
                "toc_sha256": dossier.toc_blob_id,
                "fourchecks_report": report.pk,
                "fourchecks_passed": report.passed,
            },
        )
        # The items now follow the dossier's retention (archive/retention.py), in the same
        # transaction as the freeze.
        recompute_for_dossier(dossier, actor=actor)
    return dossier


def _check_supplement_items(dossier: Dossier, wanted) -> list[Item]:
    if not wanted:
        raise _refuse("请选择要补充归档的材料", "items_required")
    available = {i.ref: i for i in candidates(dossier)}
    missing = [ref for ref in wanted if ref not in available]
    if missing:
        raise _refuse("所选材料不属于本案卷的案件或执法行为，或已在卷内", "item_not_available")
    # Table order among the added items, whatever order they were chosen in.
    chosen = set(wanted)
    return [i for ref, i in available.items() if ref in chosen]


def request_supplement(actor: User, dossier: Dossier, reason: str, refs) -> SupplementRequest:
    """Ask for a correction of a frozen dossier (补充归档申请): the items to add and the reason.
    Nothing in the dossier changes until the agency head approves (:func:`decide_supplement`)."""
    reason = (reason or "").strip()
    wanted = [(str(kind), int(pk)) for kind, pk in refs]
    with transaction.atomic(durable=True):
        dossier = _locked(dossier)
        require_custodian(actor, dossier.agency)
        if dossier.status != Dossier.Status.FROZEN:
            raise _refuse("案卷尚未归档，可直接重新整理，无需补充归档", "dossier_not_frozen")
        if not reason:
            raise _refuse("请填写补充归档的原因", "reason_required")
        if dossier.supplement_requests.pending().exists():
            raise _refuse(
                "本案卷已有待机构负责人审批的补充归档申请，请待审批后再申请", "request_pending"
            )
        items = _check_supplement_items(dossier, wanted)
        request = SupplementRequest.objects.create(
            agency=dossier.agency,
            dossier=dossier,
            reason=reason,
            items=_entry_refs(items),
            requested_by=actor,
        )
        record_event(
            actor,
            Action.DOSSIER_SUPPLEMENT_REQUESTED,
            dossier,
            {"request": request.pk, "reason": reason, "entries": request.items},
        )
    return request


def _apply_supplement(
    actor: User, dossier: Dossier, request: SupplementRequest
) -> DossierSupplement:
    """The approved supplement: its entries appended after the last one, its own table of
    contents stored; the sealed entries and the sealed table of contents stay as they were."""
    items = _check_supplement_items(dossier, [(k, pk) for k, pk in request.items])
    last = dossier.entries.aggregate(last=Max("position"))["last"] or 0
    sequence = dossier.supplements.count() + 1
    supplement = DossierSupplement.objects.create(
        dossier=dossier, sequence=sequence, reason=request.reason, created_by=request.requested_by
    )
    _entries(dossier, items, last, supplement)
    supplement.toc_blob = _store_toc(dossier)
    supplement.save(update_fields=["toc_blob"])
    record_event(
        actor,
        Action.DOSSIER_SUPPLEMENTED,
        dossier,
        {
            "sequence": sequence,
            "reason": request.reason,
            "request": request.pk,
            "requested_by": request.requested_by_id,
            "approved_by": actor.pk,
            "entries": _entry_refs(items),
            "toc_sha256": supplement.toc_blob_id,
            "sealed_toc_sha256": dossier.toc_blob_id,
        },
    )
    recompute_for_dossier(dossier, actor=actor)
    return supplement


def decide_supplement(
    actor: User, request: SupplementRequest, *, approve: bool, note: str = ""
) -> SupplementRequest:
    """The agency head (负责人) approves or refuses a supplement request, never their own; only
    the approval adds the items (A19 ¶2, A22: the dossier is kept as archived)."""
    return approvals.decide("supplement", request, actor, approve=approve, note=note)


def apply_supplement_decision(
    request: SupplementRequest, actor: User, approve: bool, note: str
) -> SupplementRequest:
    """The supplement's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_supplement_decision")  # inside approvals.decide()
    dossier = _locked(request.dossier)
    if not approve:
        request.status = SupplementRequest.Status.REFUSED
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record_event(
            actor,
            Action.DOSSIER_SUPPLEMENT_REFUSED,
            dossier,
            {"request": request.pk, "note": note},
        )
        return request
    request.status = SupplementRequest.Status.APPROVED
    record_event(
        actor,
        Action.DOSSIER_SUPPLEMENT_APPROVED,
        dossier,
        {"request": request.pk, "note": note, "entries": request.items},
    )
    request.supplement = _apply_supplement(actor, dossier, request)
    request.save(
        update_fields=["status", "decided_by", "decided_at", "decision_note", "supplement"]
    )
    return request


def current_toc(dossier: Dossier) -> Blob | None:
    """The table of contents as it stands: the last supplement's, else the sealed one."""
    last = dossier.supplements.exclude(toc_blob=None).order_by("-sequence").first()
    return last.toc_blob if last is not None else dossier.toc_blob


# --- the table of contents (卷内目录) -------------------------------------------------------------


def toc_context(dossier: Dossier) -> dict:
    entries = list(dossier.entries.select_related("supplement"))
    return {
        "dossier": dossier,
        "agency": dossier.agency,
        "entries": entries,
        "supplements": list(dossier.supplements.all()),
        "printed_at": timezone.localtime(),
    }


def render_toc(dossier: Dossier) -> bytes:
    """The table of contents as PDF, rendered like the documents (WeasyPrint, Noto CJK)."""
    return render_template_pdf("archive/dossier_toc_pdf.html", toc_context(dossier))


def _store_toc(dossier: Dossier) -> Blob:
    info = put_record(io.BytesIO(render_toc(dossier)))
    return register_blob(info, dossier.agency)


def toc_for_download(actor: User, dossier: Dossier) -> Blob:
    """The table of contents to download (a ledger event). A frozen dossier's is the one stored
    at freezing, or at its last approved supplement; an assembling one's is rendered now."""
    with transaction.atomic(durable=True):
        dossier = _locked(dossier)
        if dossier.status == Dossier.Status.ASSEMBLING or dossier.toc_blob_id is None:
            dossier.toc_blob = _store_toc(dossier)
            dossier.save(update_fields=["toc_blob"])
        blob = current_toc(dossier)
        assert blob is not None  # stored just above when there was none
        record_event(
            actor,
            Action.DOSSIER_TOC_DOWNLOADED,
            dossier,
            {**file_digests(blob.pk), "status": dossier.status},
        )
    return blob


# --- for pages -----------------------------------------------------------------------------------


def entry_urls(entries) -> dict[int, str]:
    """Entry pk → the page of the item it names (explanations and findings: their act's page)."""
    acts = {}
    for model, kind in ((Explanation, "explanation"), (Finding, "finding")):
        ids = [e.item_id for e in entries if e.item_kind == kind]
        acts[kind] = dict(model.objects.filter(pk__in=ids).values_list("pk", "act_id"))
    urls = {}
    names = {"segment": "segment_detail", "document": "document_detail"}
    names["datarecord"] = "datarecord_detail"
    for e in entries:
        if e.item_kind in names:
            urls[e.pk] = reverse(names[e.item_kind], args=[e.item_id])
        elif e.item_id in acts.get(e.item_kind, {}):
            act_url = reverse("act_detail", args=[acts[e.item_kind][e.item_id]])
            anchor = f"#finding-{e.item_id}" if e.item_kind == "finding" else "#compliance"
            urls[e.pk] = act_url + anchor
    return urls


def waiting_cases(user: User):
    """Closed cases (结案) in the user's scope whose dossier is not frozen yet (待归档)."""
    return (
        Case.objects.visible_to(user)
        .filter(stage=Case.Stage.CLOSED)
        .exclude(dossier__status=Dossier.Status.FROZEN)
        .select_related("agency", "subject", "dossier")
        .order_by("updated_at", "pk")
    )


def waiting_acts(user: User):
    """Finished inspections without a case whose dossier is not frozen yet (待归档)."""
    return (
        Act.objects.visible_to(user)
        .filter(kind=Act.Kind.INSPECTION, case__isnull=True, ended_at__lte=timezone.now())
        .exclude(dossier__status=Dossier.Status.FROZEN)
        .select_related("agency", "subject", "dossier")
        .order_by("ended_at", "pk")
    )
