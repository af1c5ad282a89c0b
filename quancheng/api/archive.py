"""Dossiers (案卷), read-only: the list and one dossier with its table of contents (卷内目录)."""

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema

from quancheng.archive.models import Dossier, DossierEntry, RetentionClass
from quancheng.ledger.services import record_atomic
from quancheng.orgs.scoping import get_visible_or_404

from . import responses
from .schemas import AgencyRef, Id, LocalDateTime, Paging, PersonRef
from .scope import page

router = Router(tags=["案卷"])


class DossierOut(Schema):
    id: int
    agency: AgencyRef
    number: str
    title: str
    kind: Literal[*Dossier.Kind.values]
    status: Literal[*Dossier.Status.values]
    retention_class: Literal[*RetentionClass.values]
    case_id: int | None
    act_id: int | None
    custodian: PersonRef
    archived_on: dt.date | None
    retain_until: dt.date | None = Field(description="保管期满日期；永久保管或未归档时为 null")
    frozen_at: LocalDateTime | None
    created_at: LocalDateTime


class EntryOut(Schema):
    position: int
    section: Literal[*DossierEntry.Section.values]
    item_kind: str = Field(description="segment、document、datarecord、explanation 或 finding")
    item_id: int
    title: str
    pages: int | None
    supplement: int | None = Field(description="补充归档次序；组卷时收入的为 null")

    @staticmethod
    def resolve_supplement(obj) -> int | None:
        return obj.supplement.sequence if obj.supplement_id else None


class SupplementOut(Schema):
    sequence: int
    reason: str
    created_by: PersonRef
    created_at: LocalDateTime


class DossierDetail(DossierOut):
    entries: list[EntryOut]
    supplements: list[SupplementOut]

    @staticmethod
    def resolve_entries(obj) -> list:
        return list(obj.entries.select_related("supplement"))

    @staticmethod
    def resolve_supplements(obj) -> list:
        return list(obj.supplements.select_related("created_by"))


class DossierPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DossierOut]


class DossierFilters(Paging):
    status: Literal[*Dossier.Status.values] | None = None
    retention_class: Literal[*RetentionClass.values] | None = None
    year: int | None = Field(None, ge=1990, le=2999, description="归档年度")
    case_id: Id | None = None
    act_id: Id | None = None


def _dossiers(user):
    return Dossier.objects.visible_to(user).select_related("agency", "custodian")


@router.get("/dossiers", response={200: DossierPage, **responses.LIST}, summary="案卷列表")
def list_dossiers(request, filters: Query[DossierFilters]):
    dossiers = _dossiers(request.user)
    if filters.status:
        dossiers = dossiers.filter(status=filters.status)
    if filters.retention_class:
        dossiers = dossiers.filter(retention_class=filters.retention_class)
    if filters.year is not None:
        dossiers = dossiers.filter(archived_on__year=filters.year)
    if filters.case_id is not None:
        dossiers = dossiers.filter(case_id=filters.case_id)
    if filters.act_id is not None:
        dossiers = dossiers.filter(act_id=filters.act_id)
    return page(dossiers, filters)


@router.get(
    "/dossiers/{dossier_id}", response={200: DossierDetail, **responses.READ}, summary="案卷详情"
)
def get_dossier(request, dossier_id: int):
    dossier = get_visible_or_404(_dossiers(request.user), request.user, pk=dossier_id)
    record_atomic(request.user, "dossier.viewed", dossier, {"number": dossier.number, "api": True})
    return dossier
