"""The pages: check access, validate with a form, call a service, redirect or render.

Every object is fetched through get_visible_or_404, so a guessed URL of another district's object
answers 404 exactly like one that does not exist. Read-only roles get 403 on the forms.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.cases.models import Act, Case
from quancheng.cases.services import (
    change_case_stage,
    create_act,
    create_case,
    default_agency,
    update_act,
    update_case,
)
from quancheng.compliance.models import Finding
from quancheng.compliance.queries import filter_completeness
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import User
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.subjects.models import Subject
from quancheng.subjects.services import create_subject, update_subject
from quancheng.supervision.dashboard import dashboard_for
from quancheng.ui.history import history
from quancheng.web.views_items import act_record_items

from .act_player import player_data
from .forms import (
    ActFilterForm,
    ActForm,
    CaseFilterForm,
    CaseForm,
    LoginForm,
    StageForm,
    SubjectFilterForm,
    SubjectForm,
    enforcement_agencies_for,
    filter_by_subject,
)
from .subject_view import subject_view

login_view = login_not_required(
    auth_views.LoginView.as_view(template_name="web/login.html", authentication_form=LoginForm)
)


@require_POST
def logout_view(request):
    return auth_views.LogoutView.as_view()(request)


def _add_service_errors(form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form, each message at its field where it has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _with_officers(acts):
    """Acts with their officers, in a stable order (first registered first)."""
    return acts.prefetch_related(Prefetch("officers", queryset=User.objects.order_by("pk")))


def _page(request, queryset):
    return Paginator(queryset, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))


def _render_form(request, template, context):
    # A submitted form shown again has errors: 400, so that nothing looks like a success.
    status = 400 if context["form"].is_bound else 200
    return render(request, template, context, status=status)


def _officers_and_data(form) -> tuple[list, dict]:
    data = dict(form.cleaned_data)
    return list(data.pop("officers")), data


@require_GET
def home(request):
    user = request.user
    acts = Act.objects.visible_to(user)
    cases = Case.objects.visible_to(user)
    by_stage = {
        row["stage"]: row["n"] for row in cases.order_by().values("stage").annotate(n=Count("id"))
    }
    stages = [(stage, by_stage.get(stage.value, 0)) for stage in Case.Stage]
    return render(
        request,
        "web/home.html",
        {
            "subject_count": Subject.objects.visible_to(user).count(),
            "case_count": sum(by_stage.values()),
            "stages": stages,
            "recent_acts": _with_officers(acts.select_related("subject", "compliance"))[:5],
            **dashboard_for(user),
        },
    )


# 执法对象 — enforcement subjects


@require_GET
def subject_list(request):
    form = SubjectFilterForm(request.GET)
    form.is_valid()  # invalid filters are ignored, the valid ones apply
    subjects = Subject.objects.visible_to(request.user).select_related("agency")
    if q := form.cleaned_data.get("q"):
        subjects = subjects.search(q)
    if kind := form.cleaned_data.get("kind"):
        subjects = subjects.filter(kind=kind)
    return render(
        request, "web/subject_list.html", {"form": form, "page": _page(request, subjects)}
    )


@require_GET
def subject_detail(request, pk):
    """Everything about one subject, with its timeline (A20; web/subject_view.py)."""
    subject = get_visible_or_404(Subject.objects.select_related("agency"), request.user, pk=pk)
    view = subject_view(request.user, subject)
    return render(
        request,
        "web/subject_detail.html",
        {
            "subject": subject,
            "view": view,
            "acts": view.acts.rows,
            "cases": view.cases.rows,
            "history": history(subject),
        },
    )


@require_http_methods(["GET", "POST"])
def subject_create(request):
    caps.require(request.user, caps.SUBJECT_CHANGE)
    agencies = enforcement_agencies_for(request.user)
    form = SubjectForm(request.POST if request.method == "POST" else None, agencies=agencies)
    if form.is_valid():
        data = dict(form.cleaned_data)
        agency = data.pop("agency", None) or request.user.agency
        try:
            subject = create_subject(request.user, agency, **data)
        except ValidationError as e:
            _add_service_errors(form, e)
        else:
            messages.success(request, f"已登记执法对象“{subject.name}”。")
            return redirect(subject)
    return _render_form(request, "web/subject_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def subject_edit(request, pk):
    subject = get_visible_or_404(Subject, request.user, pk=pk)
    caps.require(request.user, caps.SUBJECT_CHANGE, subject)
    if request.method == "POST":
        form = SubjectForm(request.POST)
    else:
        initial = {name: getattr(subject, name) for name in SubjectForm.base_fields}
        form = SubjectForm(initial=initial)
    if form.is_valid():
        try:
            subject = update_subject(request.user, subject, **form.cleaned_data)
        except ValidationError as e:
            _add_service_errors(form, e)
        else:
            messages.success(request, f"已保存执法对象“{subject.name}”。")
            return redirect(subject)
    return _render_form(request, "web/subject_form.html", {"form": form, "subject": subject})


# 执法行为 — enforcement acts


@require_GET
def act_list(request):
    form = ActFilterForm(request.user, request.GET)
    form.is_valid()
    filters = form.cleaned_data
    acts = Act.objects.visible_to(request.user).select_related("subject", "agency")
    if filters.get("kind"):
        acts = acts.filter(kind=filters["kind"])
    acts = filter_by_subject(acts, filters)
    if filters.get("officer"):
        acts = acts.filter(officers=filters["officer"])
    # __date compares in the current time zone (Asia/Shanghai), as the user reads the dates.
    if filters.get("date_from"):
        acts = acts.filter(started_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        acts = acts.filter(started_at__date__lte=filters["date_to"])
    acts = filter_completeness(acts, filters.get("completeness"))
    if filters.get("finding"):  # acts with an active finding of the rule (the dashboard's links)
        active = Finding.objects.active().filter(rule_id=filters["finding"])
        acts = acts.filter(pk__in=active.values("act_id"))
    return render(
        request, "web/act_list.html", {"form": form, "page": _page(request, _with_officers(acts))}
    )


@require_GET
def act_detail(request, pk):
    if request.user.is_administrator:
        # 三员分立: the act's page is its records (timeline, player, items); administrators never
        # read record content (docs/security.md).
        raise PermissionDenied("管理员不能查看执法行为及其音像记录（三员分立）")
    act = get_visible_or_404(
        Act.objects.select_related("subject", "case", "agency"), request.user, pk=pk
    )
    record_items = act_record_items(request.user, act)
    return render(
        request,
        "web/act_detail.html",
        {
            "act": act,
            "officers": act.officers.select_related("agency").order_by("pk"),
            "record_items": record_items,
            "player": player_data(act, record_items),
            "history": history(act),
        },
    )


@require_http_methods(["GET", "POST"])
def act_create(request):
    caps.require(request.user, caps.ACT_CREATE)
    if request.method == "POST":
        form = ActForm(request.user, request.POST)
    else:
        form = ActForm(request.user, initial=_initial_links(request))
    if form.is_valid():
        officers, data = _officers_and_data(form)
        try:
            act = create_act(
                request.user, default_agency(request.user, data["subject"]), officers, **data
            )
        except ValidationError as e:
            _add_service_errors(form, e)
        else:
            messages.success(request, f"已登记执法行为“{act}”。")
            return redirect(act)
    return _render_form(request, "web/act_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def act_edit(request, pk):
    act = get_visible_or_404(Act, request.user, pk=pk)
    caps.require(request.user, caps.ACT_EDIT, act)
    if request.method == "POST":
        form = ActForm(request.user, request.POST)
    else:
        initial = {name: getattr(act, name) for name in ActForm.base_fields if name != "officers"}
        initial["officers"] = [o.pk for o in act.officers.all()]
        form = ActForm(request.user, initial=initial)
    if form.is_valid():
        officers, data = _officers_and_data(form)
        try:
            act = update_act(request.user, act, officers, **data)
        except ValidationError as e:
            _add_service_errors(form, e)
        else:
            messages.success(request, f"已保存执法行为“{act}”。")
            return redirect(act)
    return _render_form(request, "web/act_form.html", {"form": form, "act": act})


def _initial_links(request) -> dict:
    """?subject= and ?case= preselect what a new act or case belongs to (links from a detail)."""
    initial: dict[str, object] = {}
    case_id = request.GET.get("case", "")
    if case_id.isdigit():
        case = Case.objects.visible_to(request.user).filter(pk=case_id).first()
        if case is not None:
            initial.update(case=case.pk, subject=case.subject_id)
    subject_id = request.GET.get("subject", "")
    if subject_id.isdigit():
        subject = Subject.objects.visible_to(request.user).filter(pk=subject_id).first()
        if subject is not None:
            initial.update(subject=subject.pk, place=subject.address)
    return initial


# 案件 — penalty cases


@require_GET
def case_list(request):
    form = CaseFilterForm(request.user, request.GET)
    form.is_valid()
    filters = form.cleaned_data
    cases = Case.objects.visible_to(request.user).select_related("subject", "agency")
    if q := filters.get("q"):
        cases = cases.filter(Q(number__icontains=q) | Q(cause__icontains=q))
    if filters.get("stage"):
        cases = cases.filter(stage=filters["stage"])
    cases = filter_by_subject(cases, filters)
    cases = filter_completeness(cases, filters.get("completeness"))
    return render(request, "web/case_list.html", {"form": form, "page": _page(request, cases)})


def _stage_track(case) -> list[tuple[str, str]]:
    """Each stage with "done", "current" or "todo", for the progress line on the case page."""
    current = Case.Stage.values.index(case.stage)
    states = {True: "done", False: "todo"}
    return [
        (stage.label, "current" if i == current else states[i < current])
        for i, stage in enumerate(Case.Stage)
    ]


def _render_case_detail(request, case, stage_form, status=200):
    return render(
        request,
        "web/case_detail.html",
        {
            "case": case,
            "officers": case.officers.select_related("agency").order_by("pk"),
            "acts": _with_officers(
                Act.objects.visible_to(request.user)
                .filter(case=case)
                .select_related("subject", "compliance")
            ),
            "stage_form": stage_form,
            "stage_track": _stage_track(case),
            "next_stages": case.allowed_next_stages(),
            "history": history(case),
        },
        status=status,
    )


@require_GET
def case_detail(request, pk):
    case = get_visible_or_404(Case.objects.select_related("subject", "agency"), request.user, pk=pk)
    return _render_case_detail(request, case, StageForm(case))


@require_POST
def case_stage(request, pk):
    case = get_visible_or_404(Case.objects.select_related("subject", "agency"), request.user, pk=pk)
    caps.require(request.user, caps.CASE_EDIT, case)
    form = StageForm(case, request.POST)
    if form.is_valid():
        try:
            case = change_case_stage(
                request.user, case, form.cleaned_data["stage"], form.cleaned_data["note"]
            )
        except ValidationError as e:
            _add_service_errors(form, e)
        else:
            messages.success(request, f"案件阶段已变更为“{case.get_stage_display()}”。")
            return redirect(case)
    return _render_case_detail(request, case, form, status=400)


@require_http_methods(["GET", "POST"])
def case_create(request):
    caps.require(request.user, caps.CASE_CREATE)
    if request.method == "POST":
        form = CaseForm(request.user, request.POST)
    else:
        initial = _initial_links(request)
        initial.pop("place", None)
        form = CaseForm(request.user, initial={"filed_on": timezone.localdate(), **initial})
    if form.is_valid():
        officers, data = _officers_and_data(form)
        try:
            case = create_case(
                request.user, default_agency(request.user, data["subject"]), officers, **data
            )
        except ValidationError as e:
            _add_service_errors(form, e)
        else:
            messages.success(request, f"已立案登记“{case.number}”。")
            return redirect(case)
    return _render_form(request, "web/case_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def case_edit(request, pk):
    case = get_visible_or_404(Case, request.user, pk=pk)
    caps.require(request.user, caps.CASE_EDIT, case)
    if request.method == "POST":
        form = CaseForm(request.user, request.POST)
    else:
        initial = {name: getattr(case, name) for name in CaseForm.base_fields if name != "officers"}
        initial["officers"] = [o.pk for o in case.officers.all()]
        form = CaseForm(request.user, initial=initial)
    if form.is_valid():
        officers, data = _officers_and_data(form)
        try:
            case = update_case(request.user, case, officers, **data)
        except ValidationError as e:
            _add_service_errors(form, e)
        else:
            messages.success(request, f"已保存案件“{case.number}”。")
            return redirect(case)
    return _render_form(request, "web/case_form.html", {"form": form, "case": case})
