"""Registration pages: the act panel's actions and the list of acts due or overdue (A21)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_POST

from quancheng.cases.models import Act
from quancheng.lib import confirm
from quancheng.orgs.models import User
from quancheng.orgs.scoping import get_visible_or_404

from .deadlines import loaded_schedules, overdue_cutoff, working_day_deadline
from .models import LateRegistrationRequest
from .services import (
    decide_late_request,
    delay_bounds,
    register_records,
    request_late_registration,
)


def _message(error: ValidationError) -> str:
    return "；".join(error.messages)


def _run(request, action, success: str) -> None:
    """Call a service; a refusal becomes a Chinese error message on the act page."""
    try:
        action()
    except ValidationError as e:
        messages.error(request, _message(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, success)


@require_POST
def act_register(request, act_pk):
    act = get_visible_or_404(Act, request.user, pk=act_pk)
    note = request.POST.get("note", "")
    confirmed = confirm.confirmed(request, CONFIRM_OPEN_FINDINGS, act)
    try:
        register_records(request.user, act, note, confirm_open_findings=confirmed)
    except ValidationError as e:
        if _open_findings_of(e):
            return _confirm_open_findings(request, act, note, _open_findings_of(e))
        messages.error(request, _message(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已登记本执法行为的记录。")
    return redirect(act.get_absolute_url() + "#next-steps")


CONFIRM_OPEN_FINDINGS = "registration.open_findings"


def _open_findings_of(error: ValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return []
    return [m for e in error.error_dict.get("open_findings", []) for m in e.messages]


def _confirm_open_findings(request, act, note: str, findings: list[str]):
    """Registering with open errors: the custodian sees them and confirms (they go into the
    registration's ledger event)."""
    return confirm.ask(
        request,
        CONFIRM_OPEN_FINDINGS,
        act,
        title=f"登记有未处理违规的执法记录：{act}",
        consequences=[
            f"按现状登记本执法行为的记录；以下{len(findings)}项违规检查发现将随登记一并记入"
            "登记事件（不可篡改的操作日志），并继续计入记录完整性：",
            *findings,
            "登记后仍应补齐所缺记录或答复检查发现；登记不能撤销",
        ],
        details=[("执法行为", str(act)), ("备注", note or "—")],
        submit="确认登记",
        back_url=act.get_absolute_url() + "#next-steps",
        fields={"note": note},
    )


@require_POST
def late_request_create(request, act_pk):
    act = get_visible_or_404(Act, request.user, pk=act_pk)
    explanation = request.POST.get("explanation", "")
    _run(
        request,
        lambda: request_late_registration(request.user, act, explanation),
        "已提交延期登记申请，等待机构负责人审批。",
    )
    return redirect(act)


def _date(text: str):
    try:
        return parse_date(text) if text else None
    except ValueError:  # a well-formed but impossible date (2026-02-30)
        return None


@require_POST
def late_request_decide(request, pk):
    late = get_visible_or_404(
        LateRegistrationRequest.objects.select_related("act"), request.user, pk=pk
    )
    decision = request.POST.get("decision")
    if decision not in ("approve", "refuse"):
        messages.error(request, "请选择批准或不予批准")
        return redirect(late.act)
    approve = decision == "approve"
    until = request.POST.get("approved_until", "").strip()
    approved_until = _date(until)
    if until and approved_until is None:
        messages.error(request, "批准延期至的日期格式不正确，请按“年-月-日”填写")
        return redirect(late.act)
    _run(
        request,
        lambda: decide_late_request(
            request.user, late, approve, request.POST.get("note", ""), approved_until
        ),
        "已批准延期登记申请。" if approve else "已不予批准延期登记申请。",
    )
    return redirect("registration_list" if request.POST.get("next") == "list" else late.act)


def _with_deadlines(acts, schedules):
    rows = []
    for act in acts:
        act.deadline = working_day_deadline(act, schedules)
        act.pending = [r for r in act.late_requests.all() if r.status == "pending"]
        act.approved = [r for r in act.late_requests.all() if r.status == "approved"]
        rows.append(act)
    return rows


@require_GET
def registration_list(request):
    """Unregistered acts past or near their deadline, and late requests waiting for the head."""
    now = timezone.now()
    schedules = loaded_schedules()
    cutoff = overdue_cutoff(now, schedules)
    unregistered = (
        Act.objects.visible_to(request.user)
        .filter(registration__isnull=True)
        .select_related("subject", "agency")
        .prefetch_related(
            Prefetch("officers", queryset=User.objects.order_by("pk")), "late_requests"
        )
    )
    overdue = Paginator(
        unregistered.filter(ended_at__lt=cutoff).order_by("ended_at", "pk"),
        settings.QC_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    due_soon = unregistered.filter(ended_at__gte=cutoff, ended_at__lte=now).order_by(
        "ended_at", "pk"
    )
    pending = list(
        LateRegistrationRequest.objects.visible_to(request.user)
        .pending()
        .select_related("act__subject", "act__agency", "requested_by")
        .order_by("requested_at", "pk")
    )
    for late in pending:
        late.deadline = working_day_deadline(late.act, schedules)
        late.delay_min, late.delay_max = delay_bounds(late.deadline.last_day)
    return render(
        request,
        "registration/registration_list.html",
        {
            "page": overdue,
            "overdue": _with_deadlines(overdue.object_list, schedules),
            "due_soon": _with_deadlines(due_soon, schedules),
            "pending": pending,
        },
    )
