"""Dossiers (案卷), read-only: the list and one dossier with its table of contents (卷内目录);
an item's retention and why it may not be disposed of (A22, A23); disposal proposals and their
decision; the head's decision that an A23 circumstance does not apply."""

import datetime as dt
from typing import TYPE_CHECKING, Literal

from ninja import Field, Query, Router, Schema, Status

from quancheng.archive import config as retention_config
from quancheng.archive import disposal, dossiers, longterm, retention
from quancheng.archive.models import (
    DisposalProposal,
    Dossier,
    DossierEntry,
    RetentionClass,
    SupplementRequest,
)
from quancheng.cases.models import Act
from quancheng.ledger.services import record_atomic
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.refs import ITEM_MODELS, ItemKind, ref_of

from . import responses
from .errors import error_response
from .extractions import ExtractionDecisionIn
from .schemas import AgencyRef, Id, Input, LocalDateTime, Paging, PersonRef
from .scope import page

if TYPE_CHECKING:
    from quancheng.orgs.models import User


router = Router(tags=["案卷"])


class DossierOut(Schema):
    id: int
    agency: AgencyRef
    number: str
    title: str
    kind: Literal[*Dossier.Kind.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    status: Literal[*Dossier.Status.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    retention_class: Literal[*RetentionClass.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    case_id: int | None
    act_id: int | None
    custodian: PersonRef
    archived_on: dt.date | None
    retain_until: dt.date | None = Field(description="保管期满日期；永久保管或未归档时为 null")
    frozen_at: LocalDateTime | None
    created_at: LocalDateTime
    transferred_at: LocalDateTime | None = Field(description="移交档案部门的时间；未移交为 null")


class EntryOut(Schema):
    position: int
    section: Literal[*DossierEntry.Section.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
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


class CheckResultOut(Schema):
    aspect: Literal["authenticity", "integrity", "usability", "security"]
    code: str = Field(
        description="检测项代码，如 sha256_mismatch、proxy_missing、metadata_incomplete"
    )
    item: str
    outcome: Literal["pass", "warn", "fail"]
    message: str


class CheckReportOut(Schema):
    """A 四性检测 report (archive/fourchecks.py): every check's code and Chinese message."""

    id: int
    occasion: Literal["sealing", "transfer"]
    passed: bool
    checked_at: LocalDateTime
    checkpoint_size: int | None
    pdf_sha256: str = Field(description="报告PDF的SHA-256")
    results: list[CheckResultOut]

    @staticmethod
    def resolve_pdf_sha256(obj) -> str:
        return obj.pdf_blob_id


class ItemRefIn(Schema):
    kind: Literal[*ItemKind.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    id: Id


class SupplementRequestOut(Schema):
    id: int
    dossier_id: int
    status: Literal[*SupplementRequest.Status.values] = Field(  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
        description="pending 待机构负责人审批、approved 已批准（已补入案卷）、refused 不予批准"
    )
    status_label: str
    reason: str
    items: list[ItemRefIn]
    requested_by: PersonRef
    requested_at: LocalDateTime
    decided_by: PersonRef | None
    decided_at: LocalDateTime | None
    decision_note: str
    supplement: int | None = Field(description="批准后形成的补充归档次序")

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_items(obj) -> list[dict]:
        return [{"kind": k, "id": pk} for k, pk in obj.items]

    @staticmethod
    def resolve_supplement(obj) -> int | None:
        return obj.supplement.sequence if obj.supplement_id else None


class DossierDetail(DossierOut):
    entries: list[EntryOut]
    supplements: list[SupplementOut]
    supplement_requests: list[SupplementRequestOut]
    checks: list[CheckReportOut] = Field(description="四性检测报告，最新的在前")

    @staticmethod
    def resolve_checks(obj) -> list:
        return list(obj.check_reports.order_by("-checked_at", "-pk"))

    @staticmethod
    def resolve_entries(obj) -> list:
        return list(obj.entries.select_related("supplement"))

    @staticmethod
    def resolve_supplements(obj) -> list:
        return list(obj.supplements.select_related("created_by"))

    @staticmethod
    def resolve_supplement_requests(obj) -> list:
        return list(
            obj.supplement_requests.select_related("requested_by", "decided_by", "supplement")
        )


class DossierPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DossierOut]


class DossierFilters(Paging):
    status: Literal[*Dossier.Status.values] | None = None  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    retention_class: Literal[*RetentionClass.values] | None = None  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    year: int | None = Field(None, ge=1990, le=2999, description="归档年度")
    case_id: Id | None = None
    act_id: Id | None = None


def _dossiers(user: "User"):
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


class SealIn(Input):
    confirm: bool = Field(
        False,
        description="确认封卷归档（不可撤销：卷内材料此后只读，保管期限起算）；"
        "未确认时返回 confirmation_required 及封卷的后果",
    )


@router.post(
    "/dossiers/{dossier_id}/seal",
    response={200: DossierDetail, **responses.CHANGE},
    summary="封卷归档（记录管理专人；不可撤销，须 confirm: true）",
    description="与案卷页面的“封卷归档”相同：先做四性检测，通过后归档日期、保管期限确定，"
    "卷内材料及其执法行为、案件此后只读，生成卷内目录，记入操作日志（`dossier.frozen`）。"
    "未带 `confirm: true` 时不做任何改动，返回 400 `confirmation_required`，`fields.confirm` "
    "列出封卷的后果；非本机构记录管理专人 403；已归档 409 `dossier_frozen`；"
    "四性检测不通过 400 `fourchecks_failed`。",
)
def post_dossier_seal(request, dossier_id: Id, payload: SealIn):
    dossier = get_visible_or_404(_dossiers(request.user), request.user, pk=dossier_id)
    dossiers.require_custodian(request.user, dossier.agency)
    if dossier.status != Dossier.Status.ASSEMBLING:
        return error_response(409, "dossier_frozen", "案卷已归档，不能再次封卷")
    if not payload.confirm:
        # 封卷 cannot be undone: the terminal shows what it does and sends "confirm": true.
        consequences = dossiers.freeze_consequences(dossier)
        return error_response(
            400,
            "confirmation_required",
            "封卷归档不可撤销，请确认后重试（confirm: true）：" + "；".join(consequences),
            {"confirm": consequences},
        )
    dossiers.freeze_dossier(request.user, dossier)
    return _dossiers(request.user).get(pk=dossier.pk)


class SupplementRequestIn(Input):
    reason: str = Field(max_length=2000, description="补充归档（更正）的原因")
    items: list[ItemRefIn] = Field(min_length=1, max_length=500, description="补入案卷的材料")


@router.post(
    "/dossiers/{dossier_id}/supplement-requests",
    response={201: SupplementRequestOut, **responses.CREATE},
    summary="申请补充归档（封卷后更正，记录管理专人；经机构负责人批准后生效）",
)
def post_supplement_request(request, dossier_id: Id, payload: SupplementRequestIn):
    dossier = get_visible_or_404(_dossiers(request.user), request.user, pk=dossier_id)
    refs = [(i.kind, i.id) for i in payload.items]
    created = dossiers.request_supplement(request.user, dossier, payload.reason, refs)
    return Status(201, created)


@router.post(
    "/supplement-requests/{request_id}/decision",
    response={200: SupplementRequestOut, **responses.CHANGE},
    summary="审批补充归档申请（机构负责人，不能审批本人的申请）",
)
def decide_supplement_api(request, request_id: Id, payload: ExtractionDecisionIn):
    supplement_request = get_visible_or_404(
        SupplementRequest.objects.select_related("dossier"), request.user, pk=request_id
    )
    return dossiers.decide_supplement(
        request.user, supplement_request, approve=payload.approve, note=payload.note
    )


# --- retention and disposal (A22, A23) ----------------------------------------------------------


class RetentionOut(Schema):
    item_kind: str
    item_id: int
    retain_until: dt.date | None = Field(description="保管期满日期；永久或待定时为 null")
    pending: bool = Field(description="待定：所属案件或案卷尚未归档，任何时候都不到期")
    basis: str
    on_hold: bool
    disposed: bool
    blockers: list[str] = Field(description="现在不得销毁的理由（保管期限与第二十三条）")


class NarrowingIn(Input):
    reason: str = Field(max_length=2000, description="不作为证据使用的理由")


class DisposalIn(Input):
    items: list[ItemRefIn] = Field(min_length=1, max_length=500)
    reason: str = Field(max_length=2000, description="销毁理由")


class DisposalOut(Schema):
    id: int
    status: str
    reason: str
    items: list[ItemRefIn]

    @staticmethod
    def resolve_items(obj) -> list[dict]:
        return [{"kind": k, "id": pk} for k, pk in obj.items.values_list("item_kind", "item_id")]


class WaiverIn(Input):
    reason: str = Field(max_length=2000, description="不适用长期保存的理由")


class WaiverOut(Schema):
    id: int
    act_id: int
    reason: str
    markers: list[int]
    holds: list[int]
    decided_by: PersonRef
    decided_at: LocalDateTime


def _item_in_scope(request, kind: str, item_id: int):
    return get_visible_or_404(ITEM_MODELS[kind], request.user, pk=item_id)


def _retention(item) -> dict:
    """The retention computed now (nothing saved) and what keeps the item now."""
    ref = ref_of(item)
    _, computed, on_hold = retention.compute([ref])[ref]
    row = retention.retention_of(item)
    return {
        "item_kind": ref[0],
        "item_id": ref[1],
        "retain_until": computed.retain_until,
        "pending": computed.pending,
        "basis": computed.basis,
        "on_hold": on_hold,
        "disposed": bool(row and row.disposed),
        "blockers": disposal.why_not_disposable([ref]),
    }


@router.get(
    "/retention/{kind}/{item_id}",
    response={200: RetentionOut, **responses.READ},
    summary="记录保管期限及不得销毁的理由",
)
def get_retention(request, kind: Literal[*ItemKind.values], item_id: Id):  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    return _retention(_item_in_scope(request, kind, item_id))


@router.post(
    "/retention/{kind}/{item_id}/narrowing",
    response={200: RetentionOut, **responses.CHANGE},
    summary="认定封卷案卷中的音像记录不作为证据使用（第二十二条）",
)
def post_narrowing(request, kind: Literal["segment"], item_id: Id, payload: NarrowingIn):
    item = _item_in_scope(request, kind, item_id)
    try:
        retention.narrow_retention(request.user, item, payload.reason)
    except retention.NarrowingRefused as e:
        return error_response(400, "narrowing_refused", str(e))
    return _retention(item)


# --- the retention configuration (保管期限配置) ---------------------------------------------------


# Choices read at run time (the OpenAPI enum).
DossierKind = Literal[*Dossier.Kind.values]  # type: ignore[valid-type]  # choices read at run time
ClassCode = Literal[*RetentionClass.values]  # type: ignore[valid-type]  # choices read at run time


class RetentionConfigOut(Schema):
    version: int = Field(description="现行版本；0 为默认配置")
    effective_from: LocalDateTime | None = Field(description="现行版本的生效时间；默认配置为 null")
    dossier_classes: dict[DossierKind, ClassCode]
    non_evidence_min_months: int = Field(description="非证据音像记录最短保存（月），不少于6")


class RetentionConfigIn(Input):
    dossier_classes: dict[DossierKind, ClassCode] = Field(
        default_factory=dict, description="要修改的案卷类别 → 保管期限；未列出的不变"
    )
    non_evidence_min_months: int | None = Field(
        default=None, description="非证据音像记录最短保存（月）；不得少于6（第二十二条）"
    )
    note: str = Field(default="", max_length=2000, description="修改说明")


def _retention_config() -> dict:
    settings = retention_config.current_config()
    row = retention_config.versions.in_force(retention_config.KIND)
    return {
        "version": settings.version,
        "effective_from": row.effective_from if row else None,
        "dossier_classes": settings.classes,
        "non_evidence_min_months": settings.min_months,
    }


@router.get(
    "/retention/config",
    response={200: RetentionConfigOut, **responses.READ},
    summary="保管期限配置（现行版本）",
)
def get_retention_config(request):
    return _retention_config()


@router.post(
    "/retention/config",
    response={201: RetentionConfigOut, **responses.CREATE},
    summary="修改保管期限配置（市级管理员；新版本，不得低于法定下限）",
)
def post_retention_config(request, payload: RetentionConfigIn):
    retention_config.apply_config(
        request.user,
        dict(payload.dossier_classes),
        payload.note,
        min_months=payload.non_evidence_min_months,
    )
    return Status(201, _retention_config())


@router.post("/disposals", response={201: DisposalOut, **responses.CREATE}, summary="提出销毁申请")
def post_disposal(request, payload: DisposalIn):
    refs = [(i.kind, i.id) for i in payload.items]
    for kind, pk in refs:
        _item_in_scope(request, kind, pk)
    try:
        proposal = disposal.propose_disposal(request.user, refs, payload.reason)
    except disposal.DisposalRefused as e:
        return error_response(400, "disposal_refused", str(e))
    return Status(201, proposal)


class DisposalDecisionIn(ExtractionDecisionIn):
    confirm: bool = Field(
        False,
        description="批准时必须为 true（不可撤销：文件销毁后不能恢复）；"
        "未确认的批准返回 confirmation_required 及销毁的后果；有不得销毁的理由（保管期限未满、"
        "长期保存等）时返回 409 disposal_blocked 及理由，确认后仍批准则由审批拒绝"
        "（disposal_refused，记入日志并告警）",
    )


@router.post(
    "/disposals/{proposal_id}/decision",
    response={200: DisposalOut, **responses.CHANGE},
    summary="审批销毁申请（机构负责人）",
)
def decide_disposal_api(request, proposal_id: Id, payload: DisposalDecisionIn):
    proposal = get_visible_or_404(DisposalProposal, request.user, pk=proposal_id)
    may = disposal.pending_for_head(request.user).filter(pk=proposal.pk).exists()
    blockers = disposal.approval_blockers(proposal) if payload.approve and may else []
    if blockers and not payload.confirm:
        # Checked in advance, as on the confirmation page: nothing to confirm while blocked.
        return error_response(
            409,
            "disposal_blocked",
            "目前不能批准销毁：" + "；".join(blockers),
            {"items": blockers},
        )
    if payload.approve and may and not payload.confirm:
        # Approving destroys files for good: the terminal shows what and sends confirm: true.
        consequences = disposal.disposal_consequences(proposal)
        return error_response(
            400,
            "confirmation_required",
            "批准销毁不可撤销，请确认后重试（confirm: true）：" + "；".join(consequences),
            {"confirm": consequences},
        )
    try:
        return disposal.decide_disposal(
            request.user, proposal, approve=payload.approve, note=payload.note
        )
    except disposal.DisposalRefused as e:
        return error_response(400, "disposal_refused", str(e))


@router.post(
    "/acts/{act_id}/longterm-waiver",
    response={201: WaiverOut, **responses.CREATE},
    summary="机构负责人决定不适用长期保存（第二十三条）",
)
def post_longterm_waiver(request, act_id: Id, payload: WaiverIn):
    act = get_visible_or_404(Act, request.user, pk=act_id)
    try:
        waiver = longterm.waive_longterm(request.user, act, reason=payload.reason)
    except longterm.WaiverRefused as e:
        return error_response(400, "waiver_refused", str(e))
    return Status(201, waiver)
