"""District evaluations (检查和考评, A25).

第二十五条: each district commission regularly checks and evaluates its enforcement agency's
execution of the whole-process recording rules, the operation and maintenance of its devices
and facilities, and its archiving. Here an evaluation is a score sheet (sheets.py) for one
agency and one period: the commission gives points per item; items whose ``source`` is
``spotcheck`` take the period's spot-check scores of the agency's dossiers (weight × mean
score / 100) automatically, and fall back to the commission's points when the period has no
scored sample. The total and its trend over periods are what the pages show.

1. create (a draft, the current sheet snapshotted) → 2. score (as often as needed) →
3. finalise (spot-check items recomputed one last time, then nothing changes).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.archive.models import Dossier
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Agency
from quancheng.orgs.scoping import agencies_visible_to

from .models_spot import Evaluation, ScoreSheet, SpotCheckSample
from .sheets import EVALUATION_CATEGORIES, current_sheet

if TYPE_CHECKING:
    from quancheng.orgs.models import User


ONE_DECIMAL = Decimal("0.1")


def evaluable_agencies(user: User):
    """District enforcement agencies the user may evaluate or whose evaluations they see."""
    return agencies_visible_to(user).filter(
        kind=Agency.Kind.ENFORCEMENT, level=Agency.Level.DISTRICT
    )


def require_evaluator(user: User, agency: Agency | None = None) -> None:
    """The district commission (区县卫生健康行政部门) of the agency's district."""
    caps.require(user, caps.EVALUATE)
    if agency is not None and not evaluable_agencies(user).filter(pk=agency.pk).exists():
        raise PermissionDenied("该机构不在您的考评范围内")


def spotcheck_basis(agency: Agency, period_start: dt.date, period_end: dt.date) -> dict:
    """The scored spot-check samples of the agency's dossiers archived in the period."""
    scores = list(
        SpotCheckSample.objects.filter(
            score__isnull=False,
            dossier__agency=agency,
            dossier__status=Dossier.Status.FROZEN,
            dossier__archived_on__gte=period_start,
            dossier__archived_on__lte=period_end,
        ).values_list("score", flat=True)
    )
    if not scores:
        return {"samples": 0, "mean": None}
    # Summed as decimals (not the database's AVG, a float on SQLite): the same figure everywhere.
    total = sum((Decimal(s) for s in scores if s is not None), Decimal(0))
    mean = (total / len(scores)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    return {"samples": len(scores), "mean": str(mean)}


def fed_points(item: dict[str, Any], basis: dict) -> Decimal | None:
    """An item fed by spot checks: its weight times the mean spot-check score, out of 100."""
    if item.get("source") != "spotcheck" or not basis.get("samples"):
        return None
    weight = Decimal(str(item["weight"]))
    return (weight * Decimal(basis["mean"]) / 100).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _parse_points(item: dict[str, Any], raw) -> Decimal | None:
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as e:
        raise ValidationError(f"“{item['label']}”的得分应为数字") from e
    if not value.is_finite() or not 0 <= value <= Decimal(str(item["weight"])):
        raise ValidationError(f"“{item['label']}”的得分应在0至{item['weight']}分之间")
    return value.quantize(ONE_DECIMAL)


def sheet_points(evaluation: Evaluation, entered: dict[str, Any], basis: dict) -> dict[str, str]:
    """Points per item: fed items from the basis, the others as entered (validated)."""
    points: dict[str, str] = {}
    problems = []
    for item in evaluation.sheet:
        value = fed_points(item, basis)
        if value is None:
            try:
                value = _parse_points(item, entered.get(item["code"]))
            except ValidationError as e:
                problems.extend(e.messages)
                continue
        if value is not None:
            points[item["code"]] = str(value)
    if problems:
        raise ValidationError(problems)
    return points


def total_of(points: dict[str, str]) -> Decimal:
    return sum((Decimal(v) for v in points.values()), Decimal(0)).quantize(ONE_DECIMAL)


def category_totals(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Points and maximum per A25 category, in the article's order."""
    rows = []
    for code, label in EVALUATION_CATEGORIES.items():
        items = [i for i in evaluation.sheet if i.get("category") == code]
        if not items:
            continue
        given = [
            Decimal(evaluation.points[i["code"]]) for i in items if i["code"] in evaluation.points
        ]
        rows.append(
            {
                "code": code,
                "label": label,
                "points": sum(given, Decimal(0)).quantize(ONE_DECIMAL),
                "maximum": sum(Decimal(str(i["weight"])) for i in items),
            }
        )
    return rows


def create_evaluation(
    actor: User, agency: Agency, *, period_label: str, period_start, period_end
) -> Evaluation:
    """Open the evaluation (区县考评) of ``agency`` for one period; a ledger event."""
    require_evaluator(actor, agency)
    errors: dict[str, list[str]] = {}
    period_label = (period_label or "").strip()
    if not period_label:
        errors["period_label"] = ["请填写考评期间，例如“2026年第三季度”"]
    if period_start is None or period_end is None:
        errors["period_start"] = ["请填写考评期间的起止日期"]
    elif period_start > period_end:
        errors["period_end"] = ["期间止不能早于期间起"]
    elif Evaluation.objects.filter(
        agency=agency, period_start=period_start, period_end=period_end
    ).exists():
        errors["period_start"] = ["该机构此期间的考评已存在"]
    if errors:
        raise ValidationError(errors)
    sheet = current_sheet(ScoreSheet.Kind.EVALUATION)
    with transaction.atomic(durable=True):
        evaluation = Evaluation(
            agency=agency,
            period_label=period_label[:50],
            period_start=period_start,
            period_end=period_end,
            sheet=sheet.items,
            sheet_version=sheet.version,
            created_by=actor,
        )
        evaluation.spotcheck_basis = spotcheck_basis(agency, period_start, period_end)
        evaluation.points = sheet_points(evaluation, {}, evaluation.spotcheck_basis)
        evaluation.total = total_of(evaluation.points)
        evaluation.save()
        record_event(
            actor,
            Action.EVALUATION_CREATED,
            evaluation,
            {
                "period": [period_start.isoformat(), period_end.isoformat()],
                "label": evaluation.period_label,
                "sheet_version": sheet.version,
                "spotcheck_basis": evaluation.spotcheck_basis,
            },
        )
    return evaluation


def _locked_draft(evaluation: Evaluation) -> Evaluation:
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.is_final:
        raise ValidationError("考评已定稿，不能修改")
    return evaluation


def score_evaluation(
    actor: User, evaluation: Evaluation, entered: dict[str, Any], remarks: str = ""
):
    """Save the commission's points (spot-check items recomputed); a ledger event."""
    require_evaluator(actor, evaluation.agency)
    with transaction.atomic(durable=True):
        evaluation = _locked_draft(evaluation)
        basis = spotcheck_basis(evaluation.agency, evaluation.period_start, evaluation.period_end)
        evaluation.points = sheet_points(evaluation, entered, basis)
        evaluation.spotcheck_basis = basis
        evaluation.total = total_of(evaluation.points)
        evaluation.remarks = (remarks or "").strip()[:4000]
        evaluation.save(update_fields=["points", "spotcheck_basis", "total", "remarks"])
        record_event(
            actor,
            Action.EVALUATION_SCORED,
            evaluation,
            {"points": evaluation.points, "total": str(evaluation.total), "basis": basis},
        )
    return evaluation


def finalise_consequences(evaluation: Evaluation) -> list[str]:
    """What 考评定稿 does, in Chinese: for the confirmation page and the API's refusal without
    ``confirm``."""
    return [
        f"以当前评分定稿，总分{evaluation.total}分（定稿时按本期抽查结果重新核算，"
        "尚有项目未评分则不能定稿）",
        "定稿后各项得分、抽查依据和考评意见只读，不能再修改",
        "考评结果计入该机构的考评趋势，被考评机构和上级可以查看",
        "定稿记入不可篡改的操作日志",
    ]


def finalise_evaluation(actor: User, evaluation: Evaluation) -> Evaluation:
    """Freeze the evaluation once every item has its points."""
    require_evaluator(actor, evaluation.agency)
    with transaction.atomic(durable=True):
        evaluation = _locked_draft(evaluation)
        basis = spotcheck_basis(evaluation.agency, evaluation.period_start, evaluation.period_end)
        entered = {
            i["code"]: evaluation.points.get(i["code"])
            for i in evaluation.sheet
            if i.get("source") != "spotcheck" or not basis["samples"]
        }
        points = sheet_points(evaluation, entered, basis)
        missing = [i["label"] for i in evaluation.sheet if i["code"] not in points]
        if missing:
            raise ValidationError([f"“{label}”尚未评分" for label in missing])
        evaluation.points = points
        evaluation.spotcheck_basis = basis
        evaluation.total = total_of(points)
        evaluation.status = Evaluation.Status.FINAL
        evaluation.finalised_at = timezone.now()
        evaluation.save(
            update_fields=["points", "spotcheck_basis", "total", "status", "finalised_at"]
        )
        record_event(
            actor,
            Action.EVALUATION_FINALISED,
            evaluation,
            {"points": points, "total": str(evaluation.total), "basis": basis},
        )
    return evaluation


def trend(agency: Agency) -> list[dict[str, Any]]:
    """The agency's finalised evaluations by period: the series the trend chart draws."""
    rows = []
    for evaluation in Evaluation.objects.filter(
        agency=agency, status=Evaluation.Status.FINAL
    ).order_by("period_start", "period_end"):
        maximum = sum(Decimal(str(i["weight"])) for i in evaluation.sheet)
        rows.append(
            {
                "evaluation": evaluation,
                "label": evaluation.period_label,
                "total": evaluation.total,
                "maximum": maximum,
                "categories": category_totals(evaluation),
            }
        )
    return rows
