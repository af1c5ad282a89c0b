"""Evidence extractions (证据提取) and the provisions register (对外提供登记), A24.

An officer asks for an extraction, the agency head decides, the platform produces the package in
the background (``status`` and ``progress`` show how far it is); the requester and the head
download the package (a zip of a BagIt bag, streamed, byte ranges allowed, each request logged).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status

from quancheng.access import extraction as services
from quancheng.access.models import Extraction, Provision
from quancheng.access.provisions import (
    ProvisionFilter,
    decide_provision,
    register_of,
    register_provided,
    request_provision,
)
from quancheng.cases.models import Act, Case
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.http import serve_blob, served_range

from . import responses
from .errors import error_response
from .schemas import Error, Id, Input, LocalDateTime, Paging, PersonRef
from .scope import page

if TYPE_CHECKING:
    from quancheng.orgs.models import User


router = Router(tags=["证据提取与对外提供"])

ItemKindIn = Literal["segment", "document", "datarecord"]


class ItemRef(Schema):
    kind: ItemKindIn
    id: Id


class ExtractionIn(Input):
    purpose: str = Field(max_length=2000, description="提取事由")
    act_id: Id | None = Field(None, description="执法行为（与 case_id 二选一）")
    case_id: Id | None = Field(None, description="案件（与 act_id 二选一）")
    items: list[ItemRef] = Field(max_length=500, description="提取条目")


class ExtractionDecisionIn(Input):
    approve: bool
    note: str = Field("", max_length=2000, description="审批意见（不予批准时必填）")


class ExtractionOut(Schema):
    id: int
    agency_id: int
    status: str
    status_label: str
    purpose: str
    act_id: int | None
    case_id: int | None
    items: list[ItemRef]
    requested_by: PersonRef
    requested_at: LocalDateTime
    decided_by: PersonRef | None
    decided_at: LocalDateTime | None
    decision_note: str
    progress: int
    stage: str
    produced_at: LocalDateTime | None
    package_sha256: str | None = Field(None, description="提取包（zip）的 SHA-256")
    package_size: int | None
    error: str

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_package_sha256(obj) -> str | None:
        return obj.package_id

    @staticmethod
    def resolve_package_size(obj) -> int | None:
        return obj.package.size if obj.package_id else None


class ExtractionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ExtractionOut]


class ExtractionFilters(Paging):
    status: Literal[*Extraction.Status.values] | None = None  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    mine: bool = Field(False, description="只列出本人申请的")


def _extractions(user: User):
    return services.visible_extractions(user).select_related("package")


@router.get(
    "/extractions", response={200: ExtractionPage, **responses.LIST}, summary="证据提取列表"
)
def list_extractions(request, filters: Query[ExtractionFilters]):
    extractions = _extractions(request.user)
    if filters.status:
        extractions = extractions.filter(status=filters.status)
    if filters.mine:
        extractions = extractions.filter(requested_by=request.user)
    return page(extractions, filters)


@router.post(
    "/extractions", response={201: ExtractionOut, **responses.CREATE}, summary="申请证据提取"
)
def post_extraction(request, payload: ExtractionIn):
    if (payload.act_id is None) == (payload.case_id is None):
        raise ValidationError({"act_id": ValidationError("请给出 act_id 或 case_id 之一")})
    act = case = None
    if payload.act_id is not None:
        act = get_visible_or_404(Act, request.user, pk=payload.act_id)
    else:
        case = get_visible_or_404(Case, request.user, pk=payload.case_id)
    extraction = services.request_extraction(
        request.user,
        purpose=payload.purpose,
        act=act,
        case=case,
        items=[i.model_dump() for i in payload.items],
    )
    return Status(201, _extractions(request.user).get(pk=extraction.pk))


@router.get(
    "/extractions/{extraction_id}",
    response={200: ExtractionOut, **responses.READ},
    summary="证据提取详情（含制作进度）",
)
def get_extraction(request, extraction_id: int):
    return get_visible_or_404(_extractions(request.user), request.user, pk=extraction_id)


@router.post(
    "/extractions/{extraction_id}/decision",
    response={200: ExtractionOut, **responses.CHANGE},
    summary="机构负责人审批（批准后平台在后台制作提取包）",
)
def post_decision(request, extraction_id: int, payload: ExtractionDecisionIn):
    extraction = get_visible_or_404(_extractions(request.user), request.user, pk=extraction_id)
    try:
        services.decide_extraction(
            request.user, extraction, approve=payload.approve, note=payload.note
        )
    except ValidationError as e:
        if e.error_list and e.error_list[0].code == "already_decided":
            return error_response(409, "already_decided", e.messages[0])
        raise
    return _extractions(request.user).get(pk=extraction.pk)


@router.get(
    "/extractions/{extraction_id}/package",
    response={403: Error, **responses.READ},
    summary="下载提取包（zip，支持 Range；每次下载记入账本）",
)
def get_package(request, extraction_id: int):
    extraction = get_visible_or_404(_extractions(request.user), request.user, pk=extraction_id)
    caps.require(request.user, caps.EXTRACTION_DOWNLOAD, extraction)
    response = serve_blob(
        request,
        extraction.package,
        content_type="application/zip",
        filename=services.package_filename(extraction),
        as_attachment=True,
    )
    if response.status_code in (200, 206):
        services.record_download(request.user, extraction, served_range(response), via="api")
    return response


# --- provisions -------------------------------------------------------------------------------


class ProvisionIn(Input):
    """A provision request (A24 ¶2). There is no approver here: the head approves it in the
    platform (``POST /provisions/{id}/decision``)."""

    recipient: str = Field(max_length=200, description="接收单位")
    recipient_kind: Literal[*Provision.RecipientKind.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    legal_basis: str = Field(max_length=2000, description="法律依据")
    act_id: Id | None = None
    case_id: Id | None = None
    extraction_id: Id | None = Field(None, description="所提供的证据提取（来源与条目取自它）")
    items: list[ItemRef] = Field(default_factory=list, max_length=500)


class ProvidedIn(Input):
    provided_on: dt.date = Field(description="实际提供日期（不早于批准日期）")


class ProvisionOut(Schema):
    id: int
    agency_id: int
    status: str
    status_label: str
    recipient: str
    recipient_kind: str
    recipient_kind_label: str
    legal_basis: str
    act_id: int | None
    case_id: int | None
    extraction_id: int | None
    items: list[ItemRef]
    requested_by: PersonRef | None
    requested_at: LocalDateTime
    # The model's decided_by/decided_at (orgs.models.Approval), under the names terminals
    # already read (docs/api.md).
    approved_by: PersonRef | None
    approved_at: LocalDateTime | None
    decision_note: str
    provided_on: dt.date | None
    registered_by: PersonRef | None
    registered_at: LocalDateTime | None

    @staticmethod
    def resolve_approved_by(obj):
        return obj.decided_by

    @staticmethod
    def resolve_approved_at(obj):
        return obj.decided_at

    @staticmethod
    def resolve_recipient_kind_label(obj) -> str:
        return obj.get_recipient_kind_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class ProvisionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ProvisionOut]


class ProvisionFilters(Paging):
    status: Literal[*Provision.Status.values] | None = None  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    recipient_kind: Literal[*Provision.RecipientKind.values] | None = None  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    recipient: str | None = Field(None, max_length=200)
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@router.get(
    "/provisions", response={200: ProvisionPage, **responses.LIST}, summary="对外提供登记簿"
)
def list_provisions(request, filters: Query[ProvisionFilters]):
    chosen = ProvisionFilter(
        status=filters.status or "",
        recipient_kind=filters.recipient_kind or "",
        recipient=filters.recipient or "",
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    return page(register_of(request.user, chosen), filters)


@router.post(
    "/provisions", response={201: ProvisionOut, **responses.CREATE}, summary="申请对外提供"
)
def post_provision(request, payload: ProvisionIn):
    act = case = extraction = None
    if payload.extraction_id is not None:
        extraction = get_visible_or_404(
            services.visible_extractions(request.user), request.user, pk=payload.extraction_id
        )
    elif payload.act_id is not None:
        act = get_visible_or_404(Act, request.user, pk=payload.act_id)
    elif payload.case_id is not None:
        case = get_visible_or_404(Case, request.user, pk=payload.case_id)
    provision = request_provision(
        request.user,
        recipient=payload.recipient,
        recipient_kind=payload.recipient_kind,
        legal_basis=payload.legal_basis,
        act=act,
        case=case,
        items=[i.model_dump() for i in payload.items],
        extraction=extraction,
    )
    return Status(201, register_of(request.user).get(pk=provision.pk))


@router.get(
    "/provisions/{provision_id}",
    response={200: ProvisionOut, **responses.READ},
    summary="对外提供详情",
)
def get_provision(request, provision_id: Id):
    return get_visible_or_404(register_of(request.user), request.user, pk=provision_id)


@router.post(
    "/provisions/{provision_id}/decision",
    response={200: ProvisionOut, **responses.CHANGE},
    summary="审批对外提供（机构负责人）",
)
def decide_provision_api(request, provision_id: Id, payload: ExtractionDecisionIn):
    provision = get_visible_or_404(register_of(request.user), request.user, pk=provision_id)
    decide_provision(request.user, provision, approve=payload.approve, note=payload.note)
    return register_of(request.user).get(pk=provision.pk)


@router.post(
    "/provisions/{provision_id}/provided",
    response={200: ProvisionOut, **responses.CHANGE},
    summary="登记已对外提供",
)
def provided_api(request, provision_id: Id, payload: ProvidedIn):
    provision = get_visible_or_404(register_of(request.user), request.user, pk=provision_id)
    register_provided(request.user, provision, provided_on=payload.provided_on)
    return register_of(request.user).get(pk=provision.pk)
