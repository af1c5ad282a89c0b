"""Compliance (合规检查) of an act: its findings, markers and explanations (thin over
quancheng.compliance.services; the same rules and ledger events as the act page)."""

from typing import Literal

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema, Status

from quancheng.cases.models import Act
from quancheng.compliance.checklist import next_steps, split_steps
from quancheng.compliance.models import ActCompliance, Explanation, Finding, Marker
from quancheng.compliance.services import (
    add_explanation,
    add_marker,
    answer_finding,
    decide_finding,
    review_explanation,
)
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.models import Segment

from . import responses
from .schemas import MAX_TEXT, Id, Input, LocalDateTime, PersonRef, QueryDateTime

router = Router(tags=["合规检查"])


# --- findings (检查发现) ---------------------------------------------------------------------


class FindingOut(Schema):
    id: int
    act_id: int
    rule_id: str = Field(examples=["A11-gap"])
    article: str = Field(examples=["第十一条第二款"])
    severity: str
    message: str
    evidence: dict
    missing_record: bool
    status: str
    status_label: str
    answer: str
    answered_by: PersonRef | None
    answered_at: LocalDateTime | None
    decided_by: PersonRef | None
    decided_at: LocalDateTime | None
    decision_note: str
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_status_label(finding) -> str:
        return finding.get_status_display()


class FindingsOut(Schema):
    act_id: int
    completeness: str | None = Field(
        description="complete / findings_open / mandatory_missing；尚未检查时为 null"
    )
    findings: list[FindingOut]


class AnswerIn(Input):
    answer: str = Field(max_length=MAX_TEXT, description="答复（执法人员或记录管理专人）")


class FindingDecisionIn(Input):
    accept: bool = Field(description="true 认可答复，false 退回")
    note: str = Field("", max_length=MAX_TEXT, description="审核意见（退回时必填）")


def _act(request, act_id: int) -> Act:
    return get_visible_or_404(Act.objects.select_related("agency"), request.user, pk=act_id)


def _finding(request, finding_id: int) -> Finding:
    return get_visible_or_404(
        Finding.objects.select_related("act__agency"), request.user, pk=finding_id
    )


def _findings_of(act: Act):
    return Finding.objects.filter(act=act).select_related("answered_by", "decided_by")


@router.get(
    "/acts/{act_id}/findings",
    response={200: FindingsOut, **responses.READ},
    summary="执法行为的检查发现与记录完整性",
)
def list_findings(request, act_id: int):
    act = _act(request, act_id)
    stored = ActCompliance.objects.filter(act=act).first()
    return {
        "act_id": act.pk,
        "completeness": stored.status if stored else None,
        "findings": list(_findings_of(act).order_by("status", "rule_id", "key")),
    }


# --- next steps (待办事项) ---------------------------------------------------------------------


class StepAction(Schema):
    url: str = Field(description="办理该事项的页面地址（相对地址）", examples=["/acts/1/upload/"])
    label: str = Field(examples=["上传音像记录"])


class StepOut(Schema):
    code: str = Field(
        description="稳定的事项代码：record.missing_av、record.missing_document、"
        "record.missing_data、document.incomplete、document.unsigned、document.not_finalised、"
        "finding.open、finding.returned、finding.answered、registration.due、"
        "registration.late_pending、registration.overdue",
        examples=["record.missing_av"],
    )
    text: str = Field(description="事项说明", examples=["未见任何音像记录"])
    article: str = Field(description="依据条款", examples=["第十一条第一款"])
    severity: Literal["error", "warning", "todo"] = Field(
        description="error 违规、warning 提示、todo 待办（尚未违规）"
    )
    rule_id: str = Field(description="检查规则编号（无则为空）", examples=["A11-mandatory"])
    rule_title: str = Field(description="检查规则名称")
    finding_id: int | None = Field(description="对应的检查发现（已检查时）")
    draft_id: int | None = Field(description="对应的文书草稿")
    action: StepAction | None = Field(description="当前用户可执行的办理操作；无权办理时为 null")
    actor: str = Field(description="由谁办理", examples=["记录管理专人"])
    mine: bool = Field(
        description="是否为当前用户本人需办理的事项（依能力表）；false 为待他人处理，"
        "如执法人员看到的记录登记（由记录管理专人办理）"
    )


class NextStepsOut(Schema):
    act_id: int
    complete: bool = Field(description="没有待办事项：本次执法记录已齐全")
    mine_complete: bool = Field(
        description="当前用户本人需办理的事项已全部完成（其余事项待他人处理）"
    )
    steps: list[StepOut] = Field(description="全部待办事项：本人的在前，待他人处理的在后")


@router.get(
    "/acts/{act_id}/next-steps",
    response={200: NextStepsOut, **responses.READ},
    summary="执法行为的待办事项（尚缺的记录、签名、检查发现与登记）",
    description="按渝卫发〔2019〕70号，本次执法尚需办理的事项，与执法行为页面顶部的清单相同："
    "依记录现状即时检查，不写入任何数据。每项附依据条款，以及当前用户有权执行的办理操作；"
    "`mine` 区分本人需办理的事项与待他人处理的事项（如记录登记由记录管理专人办理）。",
)
def get_next_steps(request, act_id: int):
    act = _act(request, act_id)
    mine, others = split_steps(next_steps(act, request.user))
    steps = [*mine, *others]
    return {
        "act_id": act.pk,
        "complete": not steps,
        "mine_complete": not mine,
        "steps": [
            {
                **step.as_dict(),
                "action": (
                    {"url": step.action_url, "label": step.action_label}
                    if step.action_url
                    else None
                ),
            }
            for step in steps
        ],
    }


@router.post(
    "/findings/{finding_id}/answer",
    response={200: FindingOut, **responses.CHANGE},
    summary="答复检查发现（本执法行为的执法人员或记录管理专人）",
)
def post_answer(request, finding_id: int, payload: AnswerIn):
    finding = answer_finding(request.user, _finding(request, finding_id), payload.answer)
    return _findings_of(finding.act).get(pk=finding.pk)


@router.post(
    "/findings/{finding_id}/decision",
    response={200: FindingOut, **responses.CHANGE},
    summary="审核检查发现的答复（执法行为所属机构负责人）",
)
def post_decision(request, finding_id: int, payload: FindingDecisionIn):
    finding = decide_finding(
        request.user, _finding(request, finding_id), payload.accept, payload.note
    )
    return _findings_of(finding.act).get(pk=finding.pk)


# --- markers (标记) ---------------------------------------------------------------------------


class MarkerOut(Schema):
    id: int
    segment_id: int
    kind: str
    kind_label: str
    offset_seconds: float
    note: str
    created_by: PersonRef
    created_at: LocalDateTime
    withdrawn_at: LocalDateTime | None
    withdraw_reason: str

    @staticmethod
    def resolve_kind_label(marker) -> str:
        return marker.get_kind_display()


class MarkerIn(Input):
    segment_id: Id = Field(description="本执法行为的音像记录")
    kind: Literal[*Marker.Kind.values]  # type: ignore[valid-type]
    offset_seconds: float = Field(ge=0, le=10**7, description="在音像记录中的时间点（秒）")
    note: str = Field("", max_length=500)


@router.get(
    "/acts/{act_id}/markers",
    response={200: list[MarkerOut], **responses.READ},
    summary="执法行为音像记录上的标记（含已撤销的）",
)
def list_markers(request, act_id: int):
    act = _act(request, act_id)
    return list(
        Marker.objects.filter(segment__act=act)
        .select_related("created_by")
        .order_by("segment_id", "offset_seconds", "pk")
    )


@router.post(
    "/acts/{act_id}/markers",
    response={201: MarkerOut, **responses.CREATE},
    summary="在执法行为的音像记录上添加标记",
)
def post_marker(request, act_id: int, payload: MarkerIn):
    act = _act(request, act_id)
    segment = (
        Segment.objects.visible_to(request.user)
        .select_related("agency")
        .filter(pk=payload.segment_id, act=act)
        .first()
    )
    if segment is None:
        raise ValidationError(
            {"segment_id": [ValidationError("该执法行为没有这段音像记录", code="not_found")]}
        )
    marker = add_marker(request.user, segment, payload.kind, payload.offset_seconds, payload.note)
    return Status(201, Marker.objects.select_related("created_by").get(pk=marker.pk))


# --- explanations (说明) ----------------------------------------------------------------------


class ExplanationOut(Schema):
    id: int
    act_id: int
    kind: str
    kind_label: str
    reason: str
    text: str
    gap_started_at: LocalDateTime | None
    gap_ended_at: LocalDateTime | None
    # The model's requested_by/requested_at and decided_by/decided_at/decision_note
    # (orgs.models.Approval), under the names terminals already read (docs/api.md).
    created_by: PersonRef
    created_at: LocalDateTime
    review: str
    review_label: str
    reviewed_by: PersonRef | None
    reviewed_at: LocalDateTime | None
    review_note: str

    @staticmethod
    def resolve_created_by(explanation):
        return explanation.requested_by

    @staticmethod
    def resolve_created_at(explanation):
        return explanation.requested_at

    @staticmethod
    def resolve_reviewed_by(explanation):
        return explanation.decided_by

    @staticmethod
    def resolve_reviewed_at(explanation):
        return explanation.decided_at

    @staticmethod
    def resolve_review_note(explanation) -> str:
        return explanation.decision_note

    @staticmethod
    def resolve_kind_label(explanation) -> str:
        return explanation.get_kind_display()

    @staticmethod
    def resolve_review_label(explanation) -> str:
        return explanation.get_review_display()


class ExplanationIn(Input):
    kind: Literal[*Explanation.Kind.values]  # type: ignore[valid-type]
    text: str = Field(max_length=MAX_TEXT, description="说明内容")
    reason: Literal[*Explanation.Reason.values] = Field(  # type: ignore[valid-type]
        "", description="停止音像记录的原因（第十三条工作记录必填）"
    )
    gap_started_at: QueryDateTime | None = Field(None, description="所说明的中断开始时间")
    gap_ended_at: QueryDateTime | None = Field(None, description="所说明的中断结束时间")


class ReviewIn(Input):
    accept: bool = Field(description="true 审核同意，false 退回")
    note: str = Field("", max_length=MAX_TEXT, description="审核意见（退回时必填）")


def _explanations():
    return Explanation.objects.select_related("requested_by", "decided_by")


@router.get(
    "/acts/{act_id}/explanations",
    response={200: list[ExplanationOut], **responses.READ},
    summary="执法行为的中断说明与停止音像记录工作记录",
)
def list_explanations(request, act_id: int):
    act = _act(request, act_id)
    return list(_explanations().filter(act=act).order_by("requested_at", "pk"))


@router.post(
    "/acts/{act_id}/explanations",
    response={201: ExplanationOut, **responses.CREATE},
    summary="制作中断书面说明或停止音像记录工作记录（执法活动结束后）",
)
def post_explanation(request, act_id: int, payload: ExplanationIn):
    act = _act(request, act_id)
    explanation = add_explanation(
        request.user,
        act,
        payload.kind,
        payload.text,
        reason=payload.reason,
        gap_started_at=payload.gap_started_at,
        gap_ended_at=payload.gap_ended_at,
    )
    return Status(201, _explanations().get(pk=explanation.pk))


@router.post(
    "/explanations/{explanation_id}/review",
    response={200: ExplanationOut, **responses.CHANGE},
    summary="审核停止音像记录工作记录（执法行为所属机构负责人）",
)
def post_review(request, explanation_id: int, payload: ReviewIn):
    explanation = get_visible_or_404(
        Explanation.objects.select_related("act__agency"), request.user, pk=explanation_id
    )
    explanation = review_explanation(request.user, explanation, payload.accept, payload.note)
    return _explanations().get(pk=explanation.pk)
