"""Pages of retention (保管期限), long-term holds (长期保存), offline copies (离线备份) and
disposal (待销毁): thin adapters over retention.py, holds.py and disposal.py."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.cases.models import Act, Case
from quancheng.lib import confirm
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.refs import ItemKind, resolve_many
from quancheng.versioning import services as versions

from . import config as retention_config_module
from . import disposal, holds, longterm, retention
from .models import DisposalProposal, Dossier, Hold, OfflineCopyJob, RetentionClass


def _page(request, queryset):
    return Paginator(queryset, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))


def _with_items(rows, kind_attr="item_kind", id_attr="item_id"):
    """Attach the record item each row names (one query per kind)."""
    rows = list(rows)
    found = resolve_many((getattr(r, kind_attr), getattr(r, id_attr)) for r in rows)
    for r in rows:
        r.item = found.get((getattr(r, kind_attr), getattr(r, id_attr)))
    return rows


# --- disposal ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def disposal_list(request):
    """待销毁: the due items, a proposal form for the custodian, and the proposals."""
    caps.require(request.user, caps.ARCHIVE_QUEUES_VIEW)
    if request.method == "POST":
        refs = []
        for value in request.POST.getlist("item"):
            kind, _, pk = value.partition(":")
            if kind in ItemKind.values and pk.isdigit():
                refs.append((kind, int(pk)))
        try:
            proposal = disposal.propose_disposal(request.user, refs, request.POST.get("reason", ""))
        except disposal.DisposalRefused as e:
            messages.error(request, str(e))
            return redirect("retention:disposal_list")
        messages.success(request, "销毁申请已提交，等待机构负责人审批")
        return redirect("retention:disposal_detail", proposal.pk)
    due = _with_items(disposal.due_items(request.user)[:500])
    # What A23 keeps is listed with its reasons, and cannot be selected.
    kept = disposal.blockers_of({(r.item_kind, r.item_id): r.item for r in due if r.item})
    for row in due:
        row.blockers = kept.get((row.item_kind, row.item_id), [])
    proposals = DisposalProposal.objects.visible_to(request.user).select_related(
        "requested_by", "decided_by"
    )
    return render(
        request,
        "archive/disposal_list.html",
        {
            "due": due,
            "can_propose": caps.can(request.user, caps.DISPOSAL_PROPOSE),
            "page": _page(request, proposals),
        },
    )


@require_GET
def disposal_detail(request, pk):
    caps.require(request.user, caps.ARCHIVE_QUEUES_VIEW)
    proposal = get_visible_or_404(DisposalProposal, request.user, pk=pk)
    can_decide = (
        proposal.status == DisposalProposal.Status.PROPOSED
        and disposal.pending_for_head(request.user).filter(pk=proposal.pk).exists()
    )
    return render(
        request,
        "archive/disposal_detail.html",
        {
            "proposal": proposal,
            "items": _with_items(proposal.items.all()),
            "can_decide": can_decide,
        },
    )


@require_POST
def disposal_decide(request, pk):
    caps.require(request.user, caps.ARCHIVE_QUEUES_VIEW)
    proposal = get_visible_or_404(DisposalProposal, request.user, pk=pk)
    approve = request.POST.get("decision") == "approve"
    # Approving destroys files for good: the head sees what first and submits again. Someone
    # who may not decide, or a proposal already decided, is refused by the service as before.
    may = disposal.pending_for_head(request.user).filter(pk=proposal.pk).exists()
    blockers = disposal.approval_blockers(proposal) if approve and may else []
    if (
        approve
        and may
        and (blockers or not confirm.confirmed(request, "disposal.approve", proposal))
    ):
        # Checked in advance: a blocked proposal is shown with its reasons and no confirm button.
        return confirm.ask(
            request,
            "disposal.approve",
            proposal,
            title=f"批准销毁申请 {proposal.pk}",
            consequences=disposal.disposal_consequences(proposal),
            details=[
                ("销毁理由", proposal.reason),
                ("申请人", str(proposal.requested_by)),
                ("审批意见", request.POST.get("note", "") or "—"),
            ],
            submit="确认批准并销毁",
            back_url=reverse("retention:disposal_detail", args=[proposal.pk]),
            fields={"decision": "approve", "note": request.POST.get("note", "")},
            blockers=blockers,
        )
    try:
        proposal = disposal.decide_disposal(
            request.user, proposal, approve=approve, note=request.POST.get("note", "")
        )
    except disposal.DisposalRefused as e:
        messages.error(request, str(e))
    else:
        if proposal.status == DisposalProposal.Status.FAILED:
            messages.error(request, "部分条目销毁前校验不符，已中止并告警")
        else:
            messages.success(request, "已批准并销毁" if approve else "已不予批准")
    return redirect("retention:disposal_detail", proposal.pk)


# --- holds ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def longterm_waiver(request, act_pk):
    """不适用长期保存决定: the head records, with reasons, that an act's marked A23
    circumstances (or refused holds) do not call for long-term keeping."""
    act = get_visible_or_404(Act, request.user, pk=act_pk)
    markers, refused = longterm.circumstances_of(act)
    names = longterm.labels()
    error = None
    if request.method == "POST":
        try:
            longterm.waive_longterm(request.user, act, reason=request.POST.get("reason", ""))
        except longterm.WaiverRefused as e:
            error = str(e)
        except PermissionDenied as e:
            error = str(e)
        else:
            messages.success(request, "已记录不适用长期保存决定")
            return redirect(act)
    return render(
        request,
        "archive/longterm_waiver.html",
        {
            "act": act,
            "circumstances": [names[m.kind] for m in markers]
            + [f"{names[h.reason]}（长期保存申请未获批准）" for h in refused],
            "error": error,
            "values": request.POST,
        },
        status=400 if error else 200,
    )


@require_GET
def hold_list(request):
    """长期保存: every hold in scope, newest first."""
    caps.require(request.user, caps.HOLD_VIEW)
    qs = Hold.objects.visible_to(request.user).select_related("case", "act", "requested_by")
    status = request.GET.get("status", "")
    if status in Hold.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "archive/hold_list.html",
        {"page": _page(request, qs), "status": status, "statuses": Hold.Status.choices},
    )


@require_http_methods(["GET", "POST"])
def hold_new(request):
    """Request a hold on the case or act named by ``?case=`` or ``?act=``."""
    caps.require(request.user, caps.HOLD_REQUEST)
    source = request.POST if request.method == "POST" else request.GET
    case = act = None
    if source.get("case"):
        case = get_visible_or_404(Case, request.user, pk=source.get("case"))
    elif source.get("act"):
        act = get_visible_or_404(Act, request.user, pk=source.get("act"))
    else:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            hold = holds.request_hold(
                request.user,
                case=case,
                act=act,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
        except holds.HoldRefused as e:
            error = str(e)
        except PermissionDenied as e:
            raise Http404 from e
        else:
            messages.success(request, "长期保存申请已提交，等待机构负责人审批")
            return redirect("retention:hold_detail", hold.pk)
    return render(
        request,
        "archive/hold_form.html",
        {
            "case": case,
            "act": act,
            "reasons": Hold.Reason.choices,
            "error": error,
            "values": request.POST,
        },
        status=400 if error else 200,
    )


@require_GET
def hold_detail(request, pk):
    caps.require(request.user, caps.HOLD_VIEW)
    hold = get_visible_or_404(
        Hold.objects.select_related("case", "act", "requested_by", "decided_by"),
        request.user,
        pk=pk,
    )
    pending = holds.pending_for_head(request.user).filter(pk=hold.pk).exists()
    return render(
        request,
        "archive/hold_detail.html",
        {
            "hold": hold,
            "items": holds.items_of_hold(hold),
            "jobs": hold.offline_copies.all(),
            "can_decide": pending and hold.status == Hold.Status.REQUESTED,
            "can_decide_lift": pending and hold.status == Hold.Status.LIFT_REQUESTED,
            "can_request_lift": hold.status == Hold.Status.ACTIVE
            and caps.can(request.user, caps.HOLD_LIFT_REQUEST),
        },
    )


def _hold_step(request, pk, step, done: str):
    caps.require(request.user, caps.HOLD_VIEW)
    hold = get_visible_or_404(Hold, request.user, pk=pk)
    try:
        step(hold)
    except holds.HoldRefused as e:
        messages.error(request, str(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, done)
    return redirect("retention:hold_detail", hold.pk)


@require_POST
def hold_decide(request, pk):
    approve = request.POST.get("decision") == "approve"
    note = request.POST.get("note", "")
    return _hold_step(
        request,
        pk,
        lambda hold: holds.decide_hold(request.user, hold, approve=approve, note=note),
        "已批准长期保存" if approve else "已不予批准",
    )


@require_POST
def hold_lift(request, pk):
    reason = request.POST.get("reason", "")
    return _hold_step(
        request,
        pk,
        lambda hold: holds.request_lift(request.user, hold, reason=reason),
        "解除申请已提交，等待机构负责人审批",
    )


@require_POST
def hold_lift_decide(request, pk):
    approve = request.POST.get("decision") == "approve"
    note = request.POST.get("note", "")
    return _hold_step(
        request,
        pk,
        lambda hold: holds.decide_lift(request.user, hold, approve=approve, note=note),
        "已解除长期保存" if approve else "已不予解除",
    )


# --- offline copies ---------------------------------------------------------------------------


@require_GET
def offline_list(request):
    """离线备份: the copies to offline media that holds have queued."""
    caps.require(request.user, caps.ARCHIVE_QUEUES_VIEW)
    show = request.GET.get("show", "queued")
    qs = OfflineCopyJob.objects.visible_to(request.user).select_related("hold", "done_by")
    if show != "all":
        qs = qs.filter(status=OfflineCopyJob.Status.QUEUED)
    page = _page(request, qs)
    page.object_list = _with_items(page.object_list)
    return render(
        request,
        "archive/offline_list.html",
        {"page": page, "show": show, "can_mark": caps.can(request.user, caps.HOLD_OFFLINE_COPY)},
    )


@require_POST
def offline_done(request, pk):
    caps.require(request.user, caps.ARCHIVE_QUEUES_VIEW)
    job = get_visible_or_404(OfflineCopyJob, request.user, pk=pk)
    try:
        holds.mark_offline_copy_done(
            request.user, job, medium_label=request.POST.get("medium_label", "")
        )
    except (holds.HoldRefused, PermissionDenied) as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已登记离线备份")
    return redirect("retention:offline_list")


# --- the retention configuration: one page (保管期限配置) ------------------------------------


class RetentionConfigForm(forms.Form):
    """The whole configuration: a class per dossier kind and the non-evidence AV minimum; a field
    left out keeps its value in force. The legal floor is the service's check (archive/config.py),
    so its message is the one shown."""

    min_months = forms.IntegerField(
        label="非证据音像记录最短保存（月）",
        help_text="自录制之日起计算，不得少于6个月（第二十二条）",
        required=False,
        error_messages={"invalid": "请输入整数月数"},
    )
    note = forms.CharField(
        label="修改说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, settings_now, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings_now = settings_now
        self.fields["min_months"].initial = settings_now.min_months
        for kind, label in Dossier.Kind.choices:
            self.fields[f"class_{kind}"] = forms.ChoiceField(
                label=f"{label}：保管期限",
                choices=RetentionClass.choices,
                initial=settings_now.classes.get(kind),
                required=False,
            )
        self.order_fields([*(f"class_{k}" for k in Dossier.Kind.values), "min_months", "note"])

    def classes(self) -> dict[str, str]:
        return {
            kind: self.cleaned_data[f"class_{kind}"] or self.settings_now.classes[kind]
            for kind in Dossier.Kind.values
        }

    def months(self) -> int:
        value = self.cleaned_data["min_months"]
        return self.settings_now.min_months if value is None else value


def _wants_preview(query) -> bool:
    """A preview asked for (the old rules page's links carry only the changed fields)."""
    return any(k == "preview" or k == "min_months" or k.startswith("class_") for k in query)


def _add_errors(form, error: ValidationError) -> None:
    for messages_of_field in error.message_dict.values():
        for message in messages_of_field:
            form.add_error(None, message)


@require_http_methods(["GET", "POST"])
def retention_config(request):
    """保管期限配置: the dossier classes and the non-evidence AV minimum, one versioned
    configuration. Everyone signed in reads it; the archive staff and the city administrator
    preview a change (GET ``preview=1``, nothing saved); the city administrator applies it
    (POST, a new version, refused below the legal floor)."""
    now = retention_config_module.current_config()
    may_edit = caps.can(request.user, caps.RETENTION_CONFIGURE)
    may_preview = may_edit or caps.can(request.user, caps.ARCHIVE_QUEUES_VIEW)
    preview = None
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("只有市级管理员可以修改保管期限配置")
        form = RetentionConfigForm(now, request.POST)
        if form.is_valid():
            try:
                saved = retention_config_module.apply_config(
                    request.user,
                    form.classes(),
                    form.cleaned_data["note"],
                    min_months=form.months(),
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                changed = saved.after_commit_result or 0
                messages.success(
                    request,
                    f"已保存保管期限配置第{saved.version}版，"
                    f"{changed} 条记录的保管期限已重新计算。",
                )
                return redirect("retention:config")
    elif _wants_preview(request.GET) and may_preview:
        form = RetentionConfigForm(now, request.GET)
        if form.is_valid():
            try:
                data = retention_config_module.proposed_data(form.classes(), form.months())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                count, rows = retention.preview_change(
                    min_months=data["non_evidence_min_months"], classes=data["dossier_classes"]
                )
                preview = {"count": count, "rows": rows}
    else:
        form = RetentionConfigForm(now)
    return render(
        request,
        "archive/retention_config.html",
        {
            "form": form,
            "config": now,
            "in_force": versions.in_force(retention_config_module.KIND),
            "rows": [
                (label, RetentionClass(now.classes[kind]).label)
                for kind, label in Dossier.Kind.choices
            ],
            "may_edit": may_edit,
            "may_preview": may_preview,
            "preview": preview,
            "versions": versions.history(retention_config_module.KIND)[:20],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_GET
def retention_config_moved(request):
    """The former 保管期限规则 (/retention/rules/) and 保管期限配置 (/archive/config/) pages: one
    page now; the query string (a preview's parameters) goes along."""
    target = reverse("retention:config")
    query = request.GET.urlencode()
    return redirect(f"{target}?{query}" if query else target)
