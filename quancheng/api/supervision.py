"""Supervision (监督): the district commission's evaluation (考评, A25) made final through the
API, with the same confirmation as the page (quancheng.supervision.evaluations)."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Router, Schema

from quancheng.orgs.scoping import get_visible_or_404
from quancheng.supervision import evaluations, spotchecks
from quancheng.supervision.models_spot import Evaluation

from . import responses
from .errors import error_response
from .schemas import AgencyRef, Id, Input, LocalDateTime

router = Router(tags=["监督考评"])


class EvaluationOut(Schema):
    id: int
    agency: AgencyRef
    period_label: str = Field(examples=["2026年上半年"])
    period_start: dt.date
    period_end: dt.date
    status: Literal[*Evaluation.Status.values] = Field(  # type: ignore[valid-type]  # choices at run time
        description="draft 评分中、final 已定稿"
    )
    total: Decimal = Field(description="总分")
    points: dict = Field(description="各考评项目得分：{项目代码: 得分}")
    remarks: str = Field(description="考评意见")
    finalised_at: LocalDateTime | None = Field(description="定稿时间；未定稿为 null")


class FinaliseEvaluationIn(Input):
    confirm: bool = Field(
        False,
        description="确认考评定稿（不可撤销：得分、抽查依据和考评意见此后只读）；"
        "未确认时返回 confirmation_required 及定稿的后果",
    )


@router.post(
    "/evaluations/{evaluation_id}/finalise",
    response={200: EvaluationOut, **responses.CHANGE},
    summary="考评定稿（区县卫生健康行政部门；不可撤销，须 confirm: true）",
    description="与考评页面的“考评定稿”相同：按本期抽查结果重新核算，全部项目已评分方可定稿，"
    "记入操作日志（`evaluation.finalised`）。未带 `confirm: true` 时不做任何改动，返回 400 "
    "`confirmation_required`，`fields.confirm` 列出定稿的后果；无考评权限 403；已定稿 409 "
    "`already_final`；尚有项目未评分 400。",
)
def post_evaluation_finalise(request, evaluation_id: Id, payload: FinaliseEvaluationIn):
    spotchecks.require_view_supervision(request.user)
    evaluation = get_visible_or_404(
        Evaluation.objects.select_related("agency"), request.user, pk=evaluation_id
    )
    evaluations.require_evaluator(request.user, evaluation.agency)
    if evaluation.is_final:
        return error_response(409, "already_final", "考评已定稿，不能再次定稿")
    if not payload.confirm:
        # 考评定稿 cannot be undone: the caller sees what it does and sends "confirm": true.
        consequences = evaluations.finalise_consequences(evaluation)
        return error_response(
            400,
            "confirmation_required",
            "考评定稿不可撤销，请确认后重试（confirm: true）：" + "；".join(consequences),
            {"confirm": consequences},
        )
    return evaluations.finalise_evaluation(request.user, evaluation)
