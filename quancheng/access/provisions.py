"""The register of provisions to outside bodies (对外提供登记, A24 ¶2).

Records provided to a reconsideration body, a petition office or a court need the agency head's
approval and are registered: recipient, kind, legal basis, items, approver, date, optionally the
extraction whose package was handed over. One ledger event per registration
(``provision.registered``); exporting the register is logged too (``provision.exported``).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.cases.models import Act, Case
from quancheng.compliance.hooks import schedule_evaluation
from quancheng.ledger.services import record_event
from quancheng.lib.spreadsheet import safe_row
from quancheng.orgs.models import User
from quancheng.orgs.scoping import can_change_in
from quancheng.records.refs import ItemKind

from .extraction import clean_text, is_head_of, items_in_scope, refs_json
from .models import Extraction, Provision

MAX_RECIPIENT = 200


def _error(message: str, code: str, field: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def register_provision(
    actor,
    *,
    recipient: str,
    recipient_kind: str,
    legal_basis: str,
    approved_by: User | None,
    provided_on: dt.date | None,
    act: Act | None = None,
    case: Case | None = None,
    items=(),
    extraction: Extraction | None = None,
) -> Provision:
    """Register one provision. The approver must be the head of the act's or case's agency;
    with an extraction, its source and items are taken from it (it must have been produced)."""
    if extraction is not None:
        if extraction.status != Extraction.Status.PRODUCED:
            raise _error("所选证据提取尚未制作完成", "extraction_not_produced", "extraction")
        act, case = extraction.act, extraction.case
        items = items or extraction.items
    source = act or case
    if source is None:
        raise _error("请选择一个执法行为或一个案件", "source_required", "act")
    if not can_change_in(actor, source.agency):
        raise PermissionDenied("无权为该执法行为或案件登记对外提供")
    if extraction is not None and extraction.agency_id != source.agency_id:
        raise _error("所选证据提取不属于本机构", "other_agency", "extraction")
    recipient = clean_text(recipient, "recipient", "接收单位")[:MAX_RECIPIENT]
    if recipient_kind not in Provision.RecipientKind.values:
        raise _error("请选择接收单位类别", "invalid_choice", "recipient_kind")
    legal_basis = clean_text(legal_basis, "legal_basis", "法律依据")
    if approved_by is None or not is_head_of(approved_by, source.agency):
        raise _error("批准人应为本机构负责人", "approver_not_head", "approved_by")
    if provided_on is None:
        raise _error("请填写提供日期", "required", "provided_on")
    if provided_on > timezone.localdate():
        raise _error("提供日期不能晚于今天", "future_date", "provided_on")
    chosen = items_in_scope(actor, act=act, case=case, refs=items)
    with transaction.atomic():
        provision = Provision.objects.create(
            agency=source.agency,
            recipient=recipient,
            recipient_kind=recipient_kind,
            legal_basis=legal_basis,
            act=act,
            case=case,
            items=refs_json(chosen),
            extraction=extraction,
            approved_by=approved_by,
            provided_on=provided_on,
            registered_by=actor,
        )
        # A24-access reads the register: the acts concerned are checked again after the commit.
        schedule_evaluation(act, *(case.acts.values_list("pk", flat=True) if case else ()))
        record_event(
            actor,
            "provision.registered",
            provision,
            {
                "recipient": recipient,
                "recipient_kind": recipient_kind,
                "legal_basis": legal_basis,
                "act": act.pk if act else None,
                "case": case.pk if case else None,
                "items": provision.items,
                "extraction": extraction.pk if extraction else None,
                "approved_by": approved_by.pk,
                "provided_on": provided_on.isoformat(),
            },
        )
    return provision


# --- the register: filters and export ---------------------------------------------------------


@dataclass
class ProvisionFilter:
    recipient_kind: str = ""
    recipient: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def apply(self, qs):
        if self.recipient_kind:
            qs = qs.filter(recipient_kind=self.recipient_kind)
        if self.recipient:
            qs = qs.filter(recipient__icontains=self.recipient)
        if self.date_from:
            qs = qs.filter(provided_on__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(provided_on__lte=self.date_to)
        return qs

    def as_body(self) -> dict:
        return {
            "recipient_kind": self.recipient_kind,
            "recipient": self.recipient,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


def register_of(user, filters: ProvisionFilter | None = None):
    """The provisions the user sees, newest first, filtered."""
    qs = Provision.objects.visible_to(user).select_related(
        "agency", "act", "case", "approved_by", "registered_by", "extraction"
    )
    return (filters or ProvisionFilter()).apply(qs)


HEADER = [
    "登记号",
    "提供日期",
    "接收单位",
    "单位类别",
    "法律依据",
    "案件/执法行为",
    "提供条目",
    "证据提取",
    "批准人",
    "登记人",
    "登记时间",
    "机构",
]


def _items_text(items: list[dict]) -> str:
    return "、".join(f"{ItemKind(i['kind']).label}{i['id']}" for i in items)


def rows(provisions) -> Iterator[list[str]]:
    for p in provisions.iterator(chunk_size=500):
        source = f"案件 {p.case.number}" if p.case else f"执法行为 {p.act}"
        yield [
            str(p.pk),
            p.provided_on.isoformat(),
            p.recipient,
            p.get_recipient_kind_display(),
            p.legal_basis,
            source,
            _items_text(p.items),
            str(p.extraction_id or ""),
            str(p.approved_by),
            str(p.registered_by),
            timezone.localtime(p.registered_at).strftime("%Y-%m-%d %H:%M"),
            p.agency.name,
        ]


def log_export(actor, fmt: str, filters: ProvisionFilter, count: int) -> None:
    with transaction.atomic():
        record_event(
            actor,
            "provision.exported",
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
