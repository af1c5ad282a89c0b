"""Documents made on terminals (文书制作): the catalogue per act kind, drafts with structured
data and signatures, finalising (number, PDF, agency e-signature).

Finished documents signed elsewhere are uploaded through ``POST /acts/{id}/documents``
(records.py); their signatures are validated at ingest.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from quancheng.access.enforce import require
from quancheng.cases.models import Act
from quancheng.documents import services
from quancheng.documents.catalogue import types_for_act_kind
from quancheng.documents.models import DocumentDraft, DocumentType, DraftSignature
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404

from . import responses
from .errors import error_response
from .schemas import Error, Input, LocalDateTime

router = Router(tags=["执法文书制作"])


class DocumentTypeOut(Schema):
    code: str
    name: str
    numbered: bool
    number_style: str = Field(description="wenhao（文号）或 bianhao（编号：年份—序号）")
    has_times: bool
    fields: list[dict]
    signers: list[str]
    act_kinds: list[str]
    version: int


class DraftIn(Input):
    doc_type: str = Field(max_length=64, description="文书种类代码，见 GET /document-types")
    data: dict[str, Any] = Field(default_factory=dict, description="字段值（按字段名）")


class DraftData(Input):
    data: dict[str, Any]


class SignatureIn(Input):
    role: str = Field(description="officer / party / witness")
    officer_id: int | None = None
    name: str = Field("", max_length=100)
    image: str = Field("", description="PNG（data URL 或 base64）")
    password: str = Field(
        "",
        max_length=200,
        description="其他执法人员在本终端签名时，其本人的登录密码（本人令牌签名无需）",
    )
    pin: str = Field(
        "",
        max_length=12,
        description="或其本人的签名PIN（6–12 位数字，本人在“签名PIN”页设置）；"
        "错误的密码或PIN计入该执法人员的登录失败次数，锁定期间返回 429",
    )
    refused: bool = Field(False, description="当事人拒绝签名（或不在场，见 absent）")
    absent: bool = Field(False, description="当事人（被询问人、受送达人等）不在场")
    capacity: str = Field(
        "",
        max_length=20,
        description="拒签或不在场者、见证人所证明者的身份：当事人、被询问人、受送达人…",
    )
    refusal_reason: str = Field("", max_length=2000)
    witness: str = Field("", max_length=100)
    witness_identity: str = Field(
        "", max_length=100, description="见证人身份（如基层组织或所在单位代表），有见证人时必填"
    )
    witness_id_number: str = Field("", max_length=40, description="见证人证件号码")
    evidence: str = Field("", max_length=300, description="拍照/录像记录")


class SignatureOut(Schema):
    id: int
    role: str
    name: str
    refused: bool
    signed_at: LocalDateTime
    recorded_by_id: int
    device: str
    authentication: str


class DraftOut(Schema):
    id: int
    act_id: int
    doc_type: str
    status: str
    number: str
    data: dict[str, Any]
    missing_fields: list[str]
    missing_signatures: list[str]
    signatures: list[SignatureOut]
    document_id: int | None
    previous_id: int | None


def _draft_out(draft: DocumentDraft) -> dict:
    return {
        "id": draft.pk,
        "act_id": draft.act_id,
        "doc_type": draft.doc_type.code,
        "status": draft.status,
        "number": draft.number,
        "data": draft.data,
        "missing_fields": services.missing_fields(draft),
        "missing_signatures": services.missing_signatures(draft),
        "signatures": [
            {
                "id": s.pk,
                "role": s.role,
                "name": s.name,
                "refused": s.refused,
                "signed_at": s.signed_at,
                "recorded_by_id": s.recorded_by_id,
                "device": s.device,
                "authentication": s.authentication,
            }
            for s in draft.signatures.all()
        ],
        "document_id": draft.document_id,
        "previous_id": draft.previous_id,
    }


def _draft(request, draft_id: int) -> DocumentDraft:
    return get_visible_or_404(
        DocumentDraft.objects.select_related("act", "doc_type", "agency"), request.user, pk=draft_id
    )


@router.get(
    "/document-types",
    response={200: list[DocumentTypeOut], **responses.READ},
    summary="执法文书种类目录",
    description="执法文书种类目录；给出 `act_kind` 时只列出该类执法行为使用的种类。",
)
def list_document_types(request, act_kind: str | None = None):
    """The catalogue; with ``act_kind`` only the types that kind of act uses."""
    if act_kind:
        return types_for_act_kind(act_kind)
    return list(DocumentType.objects.filter(active=True))


@router.post(
    "/acts/{act_id}/document-drafts",
    response={201: DraftOut, **responses.CREATE},
    summary="新建文书草稿（字段值按字段名，未给出的从执法行为带入）",
)
def post_draft(request, act_id: int, payload: DraftIn):
    act = get_visible_or_404(
        Act.objects.select_related("agency", "subject"), request.user, pk=act_id
    )
    doc_type = get_object_or_404(DocumentType, code=payload.doc_type)
    draft = services.create_draft(request.user, act, doc_type, payload.data)
    return Status(201, _draft_out(draft))


@router.get(
    "/document-drafts/{draft_id}",
    # 403 access_denied: the draft's content is refused by the access policy (A24).
    response={200: DraftOut, **responses.READ, 403: Error},
    summary="读取文书草稿",
    description="草稿内容属于记录内容，按调阅规则（第二十四条）判断；无权查看时 403 "
    "`access_denied`。",
)
def get_draft(request, draft_id: int):
    draft = _draft(request, draft_id)
    require(request, draft, "view")
    return _draft_out(draft)


@router.put(
    "/document-drafts/{draft_id}",
    response={200: DraftOut, **responses.CHANGE},
    summary="保存文书草稿（字段值按字段名）",
)
def put_draft(request, draft_id: int, payload: DraftData):
    draft = services.save_draft(request.user, _draft(request, draft_id), payload.data)
    return _draft_out(draft)


@router.post(
    "/document-drafts/{draft_id}/signatures",
    response={201: DraftOut, 429: Error, **responses.CREATE},
    summary="手写签名（PNG）或当事人拒签记录",
)
def post_signature(request, draft_id: int, payload: SignatureIn):
    draft = _draft(request, draft_id)
    if payload.refused:
        if payload.role != DraftSignature.Role.PARTY:
            raise ValidationError({"role": "只有当事人可以记录拒签"})
        services.record_refusal(
            request.user,
            draft,
            name=payload.name,
            reason=payload.refusal_reason,
            witness=payload.witness,
            evidence=payload.evidence,
            witness_identity=payload.witness_identity,
            witness_id_number=payload.witness_id_number,
            capacity=payload.capacity or "当事人",
            absent=payload.absent,
        )
    else:
        officer = None
        if payload.role == DraftSignature.Role.OFFICER:
            officer = draft.act.officers.filter(pk=payload.officer_id or 0).first()
        services.add_signature(
            request.user,
            draft,
            role=payload.role,
            officer=officer,
            name=payload.name,
            image=payload.image,
            password=payload.password,
            pin=payload.pin,
            device=services.signing_device(request),
            capacity=payload.capacity,
            witness_identity=payload.witness_identity,
            witness_id_number=payload.witness_id_number,
            request=request,
        )
    return Status(201, _draft_out(draft))


class FinaliseIn(Input):
    confirm: bool = Field(
        False,
        description="确认定稿（不可撤销：编定文号、加盖电子签章，此后不能修改）；"
        "未确认时返回 confirmation_required 及定稿的后果",
    )


@router.post(
    "/document-drafts/{draft_id}/finalise",
    response={200: DraftOut, **responses.CREATE},
    summary="定稿：编号、生成 PDF、加盖机构电子签章",
)
def post_finalise(request, draft_id: int, payload: FinaliseIn):
    draft = _draft(request, draft_id)
    if not payload.confirm and services.finalisable(draft):
        # 定稿 cannot be undone: the terminal shows what it does and sends "confirm": true.
        caps.require(request.user, caps.DRAFT_FINALISE, draft)
        consequences = services.finalise_consequences(draft)
        return error_response(
            400,
            "confirmation_required",
            "定稿不可撤销，请确认后重试（confirm: true）：" + "；".join(consequences),
            {"confirm": consequences},
        )
    try:
        services.finalise(request.user, draft)
    except ValidationError as e:
        if getattr(e, "code", None) == "already_final":
            return error_response(409, "already_final", e.messages[0])
        if e.error_list and e.error_list[0].code == "incomplete":
            return error_response(
                400, "incomplete", "；".join(e.messages), {"missing": list(e.messages)}
            )
        raise
    draft.refresh_from_db()
    return _draft_out(draft)
