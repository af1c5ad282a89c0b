"""Provisions of records to outside bodies (对外提供, A24 ¶2): requested, approved by the head,
then handed over and registered (登记).

A24 ¶2: "需向行政复议、信访、司法等单位提供记录资料的，须经执法机构负责人批准，并做好登记". The
approval is given in the platform, by the head themself, never named by someone else:

1. an officer or the custodian requests a provision of items of one act or case (recipient,
   kind, legal basis, items, optionally a produced extraction): ``provision.requested``;
2. the head of the records' agency, never the requester, approves or refuses (a note is needed
   to refuse): ``provision.approved`` / ``provision.refused``;
3. once handed over, the requester or the custodian registers the date it was provided, which
   cannot be before the approval: ``provision.registered``.

Exporting the register is logged too (``provision.exported``).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from quancheng.cases.models import Act, Case
from quancheng.compliance.hooks import schedule_evaluation
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.lib.spreadsheet import safe_row
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.records.refs import ItemKind, resolve_many

from .extraction import clean_text, items_in_scope, refs_json
from .models import Extraction, Provision
from .redaction import copies_to_release

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MAX_RECIPIENT = 200


def _error(message: str, code: str, field: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def request_provision(
    actor: User,
    *,
    recipient: str,
    recipient_kind: str,
    legal_basis: str,
    act: Act | None = None,
    case: Case | None = None,
    items=(),
    extraction: Extraction | None = None,
) -> Provision:
    """Step 1: request a provision of items of one act or case; with an extraction, its source
    and items are taken from it (it must have been produced)."""
    if extraction is not None:
        if extraction.status != Extraction.Status.PRODUCED:
            raise _error("所选证据提取尚未制作完成", "extraction_not_produced", "extraction")
        act, case = extraction.act, extraction.case
        items = items or extraction.items
    source = act or case
    if source is None:
        raise _error("请选择一个执法行为或一个案件", "source_required", "act")
    if not caps.can(actor, caps.EXTRACTION_REQUEST, source):
        raise PermissionDenied("无权为该执法行为或案件申请对外提供")
    if extraction is not None and extraction.agency_id != source.agency_id:
        raise _error("所选证据提取不属于本机构", "other_agency", "extraction")
    recipient = clean_text(recipient, "recipient", "接收单位")[:MAX_RECIPIENT]
    if recipient_kind not in Provision.RecipientKind.values:
        raise _error("请选择接收单位类别", "invalid_choice", "recipient_kind")
    legal_basis = clean_text(legal_basis, "legal_basis", "法律依据")
    chosen = items_in_scope(actor, act=act, case=case, refs=items)
    with transaction.atomic(durable=True):
        provision = Provision.objects.create(
            agency=source.agency,
            recipient=recipient,
            recipient_kind=recipient_kind,
            legal_basis=legal_basis,
            act=act,
            case=case,
            items=refs_json(chosen),
            extraction=extraction,
            requested_by=actor,
        )
        record_event(
            actor,
            Action.PROVISION_REQUESTED,
            provision,
            {
                "recipient": recipient,
                "recipient_kind": recipient_kind,
                "legal_basis": legal_basis,
                "act": act.pk if act else None,
                "case": case.pk if case else None,
                "items": provision.items,
                "extraction": extraction.pk if extraction else None,
            },
        )
    return provision


def _locked(provision: Provision) -> Provision:
    return Provision.objects.select_for_update().select_related("agency").get(pk=provision.pk)


def decide_provision(
    actor: User, provision: Provision, *, approve: bool, note: str = ""
) -> Provision:
    """Step 2: the head of the records' agency approves or refuses; never the requester."""
    note = clean_text(note, "note", "审批意见", required=not approve)
    return approvals.decide("provision", provision, actor, approve=approve, note=note)


def apply_decision(provision: Provision, actor: User, approve: bool, note: str) -> Provision:
    """The provision's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_decision")  # inside approvals.decide()
    provision.status = Provision.Status.APPROVED if approve else Provision.Status.REFUSED
    provision.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record_event(
        actor,
        Action.PROVISION_APPROVED if approve else Action.PROVISION_REFUSED,
        provision,
        {"note": note},
    )
    return provision


def register_provided(
    actor: User, provision: Provision, *, provided_on: dt.date | None
) -> Provision:
    """Step 3: register that an approved provision was handed over on ``provided_on`` (登记)."""
    caps.require(actor, caps.PROVISION_REGISTER, provision)
    if provided_on is None:
        raise _error("请填写提供日期", "required", "provided_on")
    if provided_on > timezone.localdate():
        raise _error("提供日期不能晚于今天", "future_date", "provided_on")
    with transaction.atomic(durable=True):
        provision = _locked(provision)
        if provision.status != Provision.Status.APPROVED:
            raise _error(
                f"对外提供须经机构负责人批准后才能登记（当前：{provision.get_status_display()}）"
                "（第二十四条第二款）",
                "not_approved",
                "status",
            )
        # approvals.decide stamps the approval's time; registering needs it (the constraint).
        if provision.decided_at is None:
            raise _error("对外提供缺少批准时间，不能登记", "not_approved", "status")
        approved_on = timezone.localdate(provision.decided_at)
        if provided_on < approved_on:
            raise _error(
                f"提供日期不能早于机构负责人批准的日期（{approved_on:%Y-%m-%d}）",
                "before_approval",
                "provided_on",
            )
        # Which bytes go out per item: an approved redacted copy (脱敏副本) in place of its
        # segment's original (access/redaction.py); refused while a copy awaits review.
        copies = copies_to_release(provision, _items_of(provision))
        provision.status = Provision.Status.PROVIDED
        provision.provided_on = provided_on
        provision.registered_by = actor
        provision.registered_at = timezone.now()
        provision.copies_provided = copies
        provision.save(
            update_fields=[
                "status",
                "provided_on",
                "registered_by",
                "registered_at",
                "copies_provided",
            ]
        )
        # A24-access reads the register: the acts concerned are checked again after the commit.
        case = provision.case
        schedule_evaluation(
            provision.act_id, *(case.acts.values_list("pk", flat=True) if case else ())
        )
        record_event(
            actor,
            Action.PROVISION_REGISTERED,
            provision,
            {
                "recipient": provision.recipient,
                "items": provision.items,
                "approved_by": provision.decided_by_id,
                "approved_at": provision.decided_at.isoformat(),
                "provided_on": provided_on.isoformat(),
                "copies": copies,
            },
        )
    return provision


def _items_of(provision: Provision) -> list:
    refs = [(i["kind"], i["id"]) for i in provision.items]
    found = resolve_many(refs)
    missing = [f"{k}:{pk}" for k, pk in refs if (k, pk) not in found]
    if missing:
        raise _error(f"条目已不存在：{'、'.join(missing)}", "not_found", "items")
    return [found[ref] for ref in refs]


def pending_for_head(user: User) -> models.QuerySet[Provision]:
    """Provision requests waiting for this head's decision (the approvals inbox's section)."""
    return approvals.awaiting("provision", user)


# --- the register: filters and export ---------------------------------------------------------


@dataclass
class ProvisionFilter:
    recipient_kind: str = ""
    recipient: str = ""
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def apply(self, qs):
        if self.recipient_kind:
            qs = qs.filter(recipient_kind=self.recipient_kind)
        if self.recipient:
            qs = qs.filter(recipient__icontains=self.recipient)
        if self.status:
            qs = qs.filter(status=self.status)
        if self.date_from:
            qs = qs.filter(provided_on__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(provided_on__lte=self.date_to)
        return qs

    def as_body(self) -> dict:
        return {
            "recipient_kind": self.recipient_kind,
            "recipient": self.recipient,
            "status": self.status,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


def register_of(user: User, filters: ProvisionFilter | None = None):
    """The provisions the user sees, newest first, filtered."""
    qs = Provision.objects.visible_to(user).select_related(
        "agency", "act", "case", "requested_by", "decided_by", "registered_by", "extraction"
    )
    return (filters or ProvisionFilter()).apply(qs)


HEADER = [
    "登记号",
    "状态",
    "提供日期",
    "接收单位",
    "单位类别",
    "法律依据",
    "案件/执法行为",
    "提供条目",
    "证据提取",
    "申请人",
    "批准人",
    "登记人",
    "登记时间",
    "机构",
    "脱敏副本",
]


def _items_text(items: list[dict]) -> str:
    return "、".join(f"{ItemKind(i['kind']).label}{i['id']}" for i in items)


def _copies_text(copies: list[dict]) -> str:
    """The redacted copies that went out in place of originals (脱敏副本), by number and hash."""
    return "、".join(
        f"{ItemKind(c['kind']).label}{c['id']}→脱敏副本{c['redacted_copy']}（{c['sha256'][:12]}）"
        for c in copies
        if c.get("redacted_copy")
    )


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def rows(provisions) -> Iterator[list[str]]:
    for p in provisions.iterator(chunk_size=500):
        source = f"案件 {p.case.number}" if p.case else f"执法行为 {p.act}"
        yield [
            str(p.pk),
            p.get_status_display(),
            p.provided_on.isoformat() if p.provided_on else "",
            p.recipient,
            p.get_recipient_kind_display(),
            p.legal_basis,
            source,
            _items_text(p.items),
            str(p.extraction_id or ""),
            str(p.requested_by or ""),
            str(p.decided_by or ""),
            str(p.registered_by or ""),
            _local(p.registered_at),
            p.agency.name,
            _copies_text(p.copies_provided),
        ]


def log_export(actor: User, fmt: str, filters: ProvisionFilter, count: int) -> None:
    """An export of the provision register (its format, filters and row count); a ledger event."""
    with transaction.atomic(durable=True):
        record_event(
            actor,
            Action.PROVISION_EXPORTED,
            None,
            {"format": fmt, "filters": filters.as_body(), "count": count},
            object_type="access.provision",
            object_id="register",
        )


class _Echo:
    """A file-like object whose write returns the value (Django's streaming CSV recipe)."""

    def write(self, value):
        return value


def csv_chunks(provisions) -> Iterator[str]:
    """The register as CSV, row by row (UTF-8 with a BOM, which spreadsheet programs need)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(HEADER)
    for row in rows(provisions):
        yield writer.writerow(safe_row(row))


def xlsx_file(provisions):
    """The register as an XLSX workbook (openpyxl's write-only mode), in a temporary file the
    caller streams and closes."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("对外提供登记")
    sheet.append(HEADER)
    for row in rows(provisions):
        sheet.append(safe_row(row))
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    workbook.save(out)
    out.seek(0)
    return out
