"""Pages for spot checks (案卷抽查, A26) and district evaluations (考评, A25).

Thin adapters over spotchecks.py, evaluations.py and sheets.py: check the role (403 with a
Chinese reason), fetch the object in the user's scope (404 outside it), validate, call the
service, redirect or render.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.archive.models import Dossier
from quancheng.lib import confirm
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.http import stream_blob
from quancheng.versioning import services as versions

from . import evaluations, sheets, spotchecks
from .forms_spot import DrawForm, EvaluationForm, SheetForm
from .models_spot import Evaluation, ScoreSheet, SpotCheck, SpotCheckReport, SpotCheckSample

if TYPE_CHECKING:
    from quancheng.orgs.models import User


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _spot_check(request, pk) -> SpotCheck:
    spotchecks.require_view_supervision(request.user)
    return get_visible_or_404(SpotCheck, request.user, pk=pk)


def _sample(request, pk, sample_pk) -> SpotCheckSample:
    spot_check = _spot_check(request, pk)
    sample = get_object_or_404(
        SpotCheckSample.objects.select_related("dossier", "dossier__agency"),
        spot_check=spot_check,
        pk=sample_pk,
    )
    sample.spot_check = spot_check
    return sample


# Spot checks ------------------------------------------------------------------------------


@require_GET
def spotcheck_list(request):
    spotchecks.require_view_supervision(request.user)
    checks = SpotCheck.objects.visible_to(request.user).select_related("drawn_by")
    page = Paginator(checks, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/spot_list.html",
        {"page": page, "can_audit": caps.can(request.user, caps.SPOTCHECK_AUDIT)},
    )


@require_http_methods(["GET", "POST"])
def spotcheck_new(request):
    spotchecks.require_audit(request.user)
    # "Redraw" links prefill the form with a recorded draw's filters and seed.
    form = DrawForm(request.user, request.POST or None, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            spot_check = spotchecks.draw_spot_check(
                request.user,
                title=data["title"],
                district=data["district"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                kind=data["kind"],
                sample_size=data["sample_size"],
                seed=data["seed"],
            )
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, f"已抽取{spot_check.samples.count()}份案卷")
            return redirect(spot_check)
    return render(request, "supervision/spot_new.html", {"form": form})


@require_GET
def spotcheck_detail(request, pk):
    spot_check = _spot_check(request, pk)
    samples = spot_check.samples.select_related("dossier", "dossier__agency", "scored_by")
    return render(
        request,
        "supervision/spot_detail.html",
        {
            "spot_check": spot_check,
            "samples": samples.prefetch_related("findings"),
            "reports": spot_check.reports.select_related("issued_by"),
            "verification": spotchecks.verify_draw(spot_check),
            "can_audit": caps.can(request.user, caps.SPOTCHECK_AUDIT),
            "unscored": sum(1 for s in samples if s.score is None),
        },
    )


def _score_rows(sample: SpotCheckSample, posted=None) -> list[dict]:
    """Checklist rows with the current (or posted, or suggested) result and note."""
    suggested = spotchecks.suggested_results(sample.spot_check, sample.dossier)
    rows = []
    for item in sample.spot_check.checklist:
        code = item["code"]
        saved = sample.results.get(code, {})
        if posted is not None:
            result, note = posted.get(f"result-{code}", ""), posted.get(f"note-{code}", "")
        else:
            result, note = saved.get("result") or suggested.get(code, ""), saved.get("note", "")
        rows.append(
            {"item": item, "result": result, "note": note, "suggested": suggested.get(code, "")}
        )
    return rows


@require_http_methods(["GET", "POST"])
def spotcheck_score(request, pk, sample_pk):
    sample = _sample(request, pk, sample_pk)
    spotchecks.require_audit(request.user, sample.spot_check.district)
    errors = []
    if request.method == "POST":
        results = {
            item["code"]: {
                "result": request.POST.get(f"result-{item['code']}", ""),
                "note": request.POST.get(f"note-{item['code']}", ""),
            }
            for item in sample.spot_check.checklist
        }
        try:
            spotchecks.score_sample(request.user, sample, results)
        except ValidationError as e:
            errors = e.messages
        else:
            messages.success(request, f"已保存第{sample.position}份案卷的评分")
            return redirect(sample.spot_check)
    return render(
        request,
        "supervision/spot_score.html",
        {
            "spot_check": sample.spot_check,
            "sample": sample,
            "rows": _score_rows(sample, request.POST if request.method == "POST" else None),
            "choices": spotchecks.RESULTS,
            "errors": errors,
            "findings": sample.findings.select_related("created_by"),
        },
    )


@require_POST
def spotcheck_finding(request, pk, sample_pk):
    sample = _sample(request, pk, sample_pk)
    try:
        spotchecks.record_finding(
            request.user, sample, request.POST.get("text", ""), request.POST.get("item_code", "")
        )
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, "已记录问题")
    return redirect("spot:spotcheck_score", pk=pk, sample_pk=sample_pk)


@require_POST
def spotcheck_report_issue(request, pk):
    spot_check = _spot_check(request, pk)
    try:
        reports = spotchecks.issue_reports(request.user, spot_check)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, f"已生成{len(reports)}份通报")
    return redirect(spot_check)


@require_GET
def spotcheck_report_download(request, report_pk):

    spotchecks.require_view_supervision(request.user)
    report = get_visible_or_404(SpotCheckReport, request.user, pk=report_pk)
    spotchecks.record_report_download(request.user, report)
    response = StreamingHttpResponse(stream_blob(report.sha256), content_type="application/pdf")
    response["Content-Length"] = str(report.size)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{report.district}案卷抽查通报-{report.spot_check_id}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# Evaluations ------------------------------------------------------------------------------


def _evaluation(request, pk) -> Evaluation:
    spotchecks.require_view_supervision(request.user)
    return get_visible_or_404(Evaluation.objects.select_related("agency"), request.user, pk=pk)


def _can_evaluate(user: User, agency) -> bool:
    try:
        evaluations.require_evaluator(user, agency)
    except PermissionDenied:
        return False
    return True


@require_GET
def evaluation_list(request):
    spotchecks.require_view_supervision(request.user)
    items = Evaluation.objects.visible_to(request.user).select_related("agency")
    page = Paginator(items, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/evaluation_list.html",
        {
            "page": page,
            "can_evaluate": _can_evaluate(request.user, None),
            "agencies": evaluations.evaluable_agencies(request.user).order_by("code"),
        },
    )


@require_http_methods(["GET", "POST"])
def evaluation_new(request):
    evaluations.require_evaluator(request.user)
    form = EvaluationForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evaluation = evaluations.create_evaluation(
                request.user,
                data["agency"],
                period_label=data["period_label"],
                period_start=data["period_start"],
                period_end=data["period_end"],
            )
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, "已创建考评，请逐项评分")
            return redirect(evaluation)
    return render(request, "supervision/evaluation_new.html", {"form": form})


def _evaluation_rows(evaluation: Evaluation, posted=None) -> list[dict]:
    basis = evaluation.spotcheck_basis
    rows = []
    for item in evaluation.sheet:
        fed = evaluations.fed_points(item, basis) if not evaluation.is_final else None
        value = evaluation.points.get(item["code"], "")
        if posted is not None and fed is None:
            value = posted.get(f"points-{item['code']}", "")
        rows.append(
            {
                "item": item,
                "category": sheets.EVALUATION_CATEGORIES.get(item.get("category"), ""),
                "value": value,
                "fed": fed is not None
                or (evaluation.is_final and item.get("source") == "spotcheck" and basis["samples"]),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def evaluation_detail(request, pk):
    evaluation = _evaluation(request, pk)
    errors = []
    if request.method == "POST":
        evaluations.require_evaluator(request.user, evaluation.agency)
        entered = {i["code"]: request.POST.get(f"points-{i['code']}", "") for i in evaluation.sheet}
        try:
            evaluations.score_evaluation(
                request.user, evaluation, entered, request.POST.get("remarks", "")
            )
        except ValidationError as e:
            errors = e.messages
        else:
            messages.success(request, "已保存评分")
            return redirect(evaluation)
    elif not evaluation.is_final:
        # A draft shows the spot-check figures as they are now (saved again on the next save).
        evaluation.spotcheck_basis = evaluations.spotcheck_basis(
            evaluation.agency, evaluation.period_start, evaluation.period_end
        )
    maximum = sum(Decimal(str(i["weight"])) for i in evaluation.sheet)
    return render(
        request,
        "supervision/evaluation_detail.html",
        {
            "evaluation": evaluation,
            "rows": _evaluation_rows(evaluation, request.POST if errors else None),
            "categories": evaluations.category_totals(evaluation),
            "maximum": maximum,
            "errors": errors,
            "can_evaluate": _can_evaluate(request.user, evaluation.agency),
        },
    )


@require_POST
def evaluation_finalise(request, pk):
    evaluation = _evaluation(request, pk)
    # 考评定稿 cannot be undone: the evaluator sees the result first and submits again. Someone
    # who may not evaluate, or an evaluation already final, is refused by the service as before.
    draft = evaluation.status == Evaluation.Status.DRAFT
    may = draft and _can_evaluate(request.user, evaluation.agency)
    if may and not confirm.confirmed(request, "evaluation.finalise", evaluation):
        return confirm.ask(
            request,
            "evaluation.finalise",
            evaluation,
            title=f"考评定稿：{evaluation.agency} {evaluation.period_label}",
            consequences=evaluations.finalise_consequences(evaluation),
            details=[
                ("被考评机构", str(evaluation.agency)),
                ("考评期间", evaluation.period_label),
                ("考评意见", evaluation.remarks or "—"),
            ],
            submit="确认考评定稿",
            back_url=evaluation.get_absolute_url(),
        )
    try:
        evaluations.finalise_evaluation(request.user, evaluation)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, "考评已定稿")
    return redirect(evaluation)


@require_GET
def evaluation_trend(request):
    spotchecks.require_view_supervision(request.user)
    agencies = evaluations.evaluable_agencies(request.user).order_by("code")
    agency = None
    wanted = request.GET.get("agency", "")
    if wanted:
        agency = agencies.filter(pk=wanted).first() if wanted.isdigit() else None
        if agency is None:
            raise Http404("对象不存在")
    elif agencies.count() == 1:
        agency = agencies.get()
    rows = evaluations.trend(agency) if agency else []
    return render(
        request,
        "supervision/evaluation_trend.html",
        {"agencies": agencies, "agency": agency, "rows": rows, "chart": trend_chart(rows)},
    )


# The trend as a server-drawn SVG line (no script: the CSP allows only 'self').
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 720, 260, 40


def trend_chart(rows: list[dict]) -> dict | None:
    """Geometry of the trend line: each period's total as a share of its sheet's maximum."""
    if not rows:
        return None
    inner_w = CHART_WIDTH - 2 * CHART_PAD
    inner_h = CHART_HEIGHT - 2 * CHART_PAD
    step = inner_w / max(len(rows) - 1, 1)
    points = []
    for n, row in enumerate(rows):
        share = float(row["total"] / row["maximum"]) if row["maximum"] else 0.0
        x = CHART_PAD + (n * step if len(rows) > 1 else inner_w / 2)
        y = CHART_PAD + inner_h * (1 - share)
        points.append(
            {"x": round(x, 1), "y": round(y, 1), "row": row, "percent": round(share * 100, 1)}
        )
    grid = [
        {"y": round(CHART_PAD + inner_h * (1 - p / 100), 1), "label": p}
        for p in (0, 25, 50, 75, 100)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_PAD,
        "right": CHART_WIDTH - CHART_PAD,
        "bottom": CHART_HEIGHT - CHART_PAD,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "grid": grid,
    }


# Score sheets -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sheet_edit(request, kind):
    spotchecks.require_view_supervision(request.user)
    if kind not in ScoreSheet.Kind.values:
        raise Http404("对象不存在")
    current = sheets.current_sheet(kind)
    form = SheetForm(
        request.POST or None,
        initial={"items": json.dumps(current.items, ensure_ascii=False, indent=2)},
    )
    if request.method == "POST":
        sheets.require_edit_sheets(request.user)
        if form.is_valid():
            try:
                sheet = sheets.save_sheet(
                    request.user, kind, form.cleaned_data["items"], form.cleaned_data["note"]
                )
            except ValidationError as e:
                _form_errors(form, e)
            else:
                messages.success(request, f"已保存第{sheet.version}版")
                return redirect("spot:sheet_edit", kind=kind)
    return render(
        request,
        "supervision/spot_sheet.html",
        {
            "form": form,
            "kind": ScoreSheet.Kind(kind),
            "current": current,
            # Each item with its category's Chinese name (the code stays in the JSON).
            "items": [
                {**item, "category_label": sheets.EVALUATION_CATEGORIES.get(item.get("category"))}
                for item in current.items
            ],
            "versions": versions.history(sheets.KINDS[kind]),
            "can_edit": caps.can(request.user, caps.SHEETS_EDIT),
            "dossier_kinds": Dossier.Kind.choices,
        },
    )
