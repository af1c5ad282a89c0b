"""Dossier pages (案卷): the queue 待归档, the list, a dossier, assembling, freezing, supplements,
the table of contents PDF and the retention configuration. Each view checks access, calls a
service in archive/dossiers.py or archive/config.py and redirects or renders."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.cases.models import Act, Case
from quancheng.ledger.actions import Action
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_atomic
from quancheng.lib import confirm
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.http import serve_blob
from quancheng.ui.forms import Form, with_all
from quancheng.ui.history import history

from . import dossiers
from .models import (
    Dossier,
    DossierEntry,
    LongtermWaiver,
    RetentionClass,
    SupplementRequest,
)

if TYPE_CHECKING:
    from quancheng.orgs.models import User


class DossierFilterForm(Form):
    status = forms.ChoiceField(
        label="状态", required=False, choices=with_all(Dossier.Status.choices)
    )
    retention_class = forms.ChoiceField(
        label="保管期限", required=False, choices=with_all(RetentionClass.choices)
    )
    year = forms.IntegerField(label="归档年度", required=False, min_value=1990, max_value=2999)


class AssembleForm(Form):
    kind = forms.ChoiceField(label="案卷类别", choices=Dossier.Kind.choices)
    title = forms.CharField(label="案卷题名", max_length=300)


class SupplementForm(Form):
    items = forms.MultipleChoiceField(
        label="补充的材料", widget=forms.CheckboxSelectMultiple, required=False
    )
    reason = forms.CharField(
        label="补充原因", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, candidates, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [
            (f"{i.item_kind}:{i.item_id}", f"{DossierEntry.Section(i.section).label}：{i.title}")
            for i in candidates
        ]

    def refs(self) -> list[tuple[str, int]]:
        return [(v.split(":")[0], int(v.split(":")[1])) for v in self.cleaned_data["items"]]


class SupplementDecisionForm(Form):
    decision = forms.ChoiceField(
        label="审批决定", choices=[("approve", "批准"), ("refuse", "不予批准")]
    )
    note = forms.CharField(
        label="审批意见",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for errors in error.message_dict.values() for m in errors]
    return list(error.messages)


def _dossiers(user: User):
    return Dossier.objects.visible_to(user).select_related("agency", "case", "act", "custodian")


def _page(request, queryset):
    return Paginator(queryset, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))


def _details(action: str, body: dict) -> list[str]:
    """What a dossier event says, in words (ui/history.py knows the other apps' events)."""
    count = f"{len(body.get('entries') or [])}项材料"
    if action == "dossier.assembled":
        klass = RetentionClass(body["retention_class"]).label
        return [f"案卷号：{body['number']}，保管期限：{klass}，{count}"]
    if action == "dossier.refreshed":
        return [f"新增{len(body['added'])}项，移出{len(body['removed'])}项，共{count}"]
    if action == "dossier.frozen":
        until = body.get("retain_until") or "永久"
        return [f"归档日期：{body['archived_on']}，保管期满：{until}，{count}"]
    if action == "dossier.supplemented":
        return [f"第{body['sequence']}次，{count}：{body['reason']}"]
    if action == "dossier.supplement_requested":
        return [f"{count}：{body['reason']}"]
    if action in ("dossier.supplement_approved", "dossier.supplement_refused"):
        return [f"审批意见：{body['note']}"] if body.get("note") else []
    if action == "dossier.toc_downloaded":
        return [f"SHA-256：{body['sha256'][:16]}…"]
    return []


def _history(dossier: Dossier):
    entries = history(dossier)
    bodies = dict(Event.objects.for_object(dossier).values_list("seq", "body"))
    for entry in entries:
        if entry.code.startswith("dossier."):
            entry.details = _details(entry.code, json.loads(bodies[entry.seq]))
    return entries


@require_GET
def dossier_queue(request):
    """待归档: closed cases and finished inspections without a frozen dossier."""
    return render(
        request,
        "archive/dossier_queue.html",
        {
            "cases": dossiers.waiting_cases(request.user),
            "page": _page(request, dossiers.waiting_acts(request.user)),
            "is_custodian": caps.can(request.user, caps.DOSSIER_ARCHIVE),
        },
    )


@require_GET
def dossier_list(request):
    form = DossierFilterForm(request.GET)
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})
    qs = _dossiers(request.user)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("retention_class"):
        qs = qs.filter(retention_class=filters["retention_class"])
    if filters.get("year"):
        qs = qs.filter(archived_on__year=filters["year"])
    return render(request, "archive/dossier_list.html", {"form": form, "page": _page(request, qs)})


@require_GET
def dossier_detail(request, pk):
    dossier = get_visible_or_404(_dossiers(request.user), request.user, pk=pk)
    record_atomic(request.user, Action.DOSSIER_VIEWED, dossier, {"number": dossier.number})
    entries = list(dossier.entries.select_related("supplement"))
    urls = dossiers.entry_urls(entries)
    for entry in entries:
        entry.url = urls.get(entry.pk)
    may_change = caps.can(request.user, caps.DOSSIER_ARCHIVE, dossier.agency)
    requests = list(
        dossier.supplement_requests.select_related("requested_by", "decided_by", "supplement")
    )
    may_decide = caps.can(request.user, caps.REQUESTS_DECIDE, dossier.agency)
    for r in requests:
        r.decidable = may_decide and r.status == "pending" and r.requested_by_id != request.user.pk
    return render(
        request,
        "archive/dossier_detail.html",
        {
            "dossier": dossier,
            "entries": entries,
            "supplements": dossier.supplements.select_related("created_by"),
            "waivers": _waivers(dossier),
            "may_change": may_change,
            "new_items": dossiers.candidates(dossier) if may_change else [],
            "requests": requests,
            "pending_request": next((r for r in requests if r.status == "pending"), None),
            "decision_form": SupplementDecisionForm(),
            "history": _history(dossier),
            "reports": dossier.check_reports.select_related("checked_by"),
            "transfers": dossier.transfers.all(),
            "may_transfer": caps.can(request.user, caps.TRANSFER_REQUEST, dossier.agency),
        },
    )


def _waivers(dossier):
    """The head's A23 not-applicable decisions on the dossier's act or its case's acts."""
    acts = (
        models.Q(act__case_id=dossier.case_id) if dossier.case_id else models.Q(act=dossier.act_id)
    )
    return LongtermWaiver.objects.filter(acts).select_related("act", "decided_by")


def _assemble(request, *, case=None, act=None):
    target = case or act
    if request.method == "POST":
        form = AssembleForm(request.POST)
        if form.is_valid():
            try:
                dossier = dossiers.assemble_dossier(
                    request.user,
                    case=case,
                    act=act,
                    kind=form.cleaned_data["kind"],
                    title=form.cleaned_data["title"],
                )
            except ValidationError as error:
                for message in _messages_of(error):
                    form.add_error(None, message)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, f"已组卷，案卷号 {dossier.number}。请核对卷内材料后封卷归档。"
                )
                return redirect(dossier)
    else:
        form = AssembleForm(
            initial={
                "kind": dossiers.suggested_kind(case=case, act=act),
                "title": dossiers.suggested_title(case=case, act=act),
            }
        )
    return render(
        request,
        "archive/dossier_assemble.html",
        {
            "form": form,
            "case": case,
            "act": act,
            "target": target,
            "items": dossiers.collect(case=case, act=act),
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def dossier_assemble_case(request, pk):
    case = get_visible_or_404(Case.objects.select_related("agency", "subject"), request.user, pk=pk)
    return _assemble(request, case=case)


@require_http_methods(["GET", "POST"])
def dossier_assemble_act(request, pk):
    act = get_visible_or_404(Act.objects.select_related("agency", "subject"), request.user, pk=pk)
    return _assemble(request, act=act)


def _done(request, dossier, call, success: str):
    try:
        call()
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error) or "无权进行此操作")
    else:
        messages.success(request, success)
    return redirect(dossier)


@require_POST
def dossier_refresh(request, pk):
    dossier = get_visible_or_404(_dossiers(request.user), request.user, pk=pk)
    call = lambda: dossiers.refresh_dossier(request.user, dossier)  # noqa: E731
    return _done(request, dossier, call, "已重新整理卷内材料。")


@require_POST
def dossier_freeze(request, pk):
    dossier = get_visible_or_404(_dossiers(request.user), request.user, pk=pk)
    # Someone who may not seal, or a dossier already sealed, is refused by the service as before.
    may = caps.can(request.user, caps.DOSSIER_ARCHIVE, dossier.agency)
    assembling = dossier.status == Dossier.Status.ASSEMBLING
    if may and assembling and not confirm.confirmed(request, "dossier.freeze", dossier):
        return _confirm_freeze(request, dossier)
    call = lambda: dossiers.freeze_dossier(request.user, dossier)  # noqa: E731
    return _done(request, dossier, call, "案卷已封卷归档，此后只能办理补充归档。")


def _confirm_freeze(request, dossier):
    """封卷 asks once more: what becomes read-only, from when its retention runs."""
    entries = dossier.entries.count()
    consequences = dossiers.freeze_consequences(dossier)
    return confirm.ask(
        request,
        "dossier.freeze",
        dossier,
        title=f"封卷归档 {dossier.number or dossier.title}",
        consequences=consequences,
        details=[("案卷题名", dossier.title), ("卷内材料", f"{entries}件")],
        submit="确认封卷归档",
        back_url=dossier.get_absolute_url(),
    )


@require_http_methods(["GET", "POST"])
def dossier_supplement(request, pk):
    """The custodian asks for a supplement (补充归档申请); the head decides on the dossier page."""
    dossier = get_visible_or_404(_dossiers(request.user), request.user, pk=pk)
    caps.require(request.user, caps.DOSSIER_ARCHIVE, dossier.agency)
    candidates = dossiers.candidates(dossier)
    form = SupplementForm(candidates, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dossiers.request_supplement(
                request.user, dossier, form.cleaned_data["reason"], form.refs()
            )
        except ValidationError as error:
            for message in _messages_of(error):
                form.add_error(None, message)
        else:
            messages.success(request, "已提交补充归档申请，经机构负责人批准后补入案卷。")
            return redirect(dossier)
    return render(
        request,
        "archive/dossier_supplement.html",
        {
            "form": form,
            "dossier": dossier,
            "candidates": candidates,
            "pending": dossier.supplement_requests.pending().first(),
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
def supplement_decide(request, pk):
    """The head approves or refuses a supplement request (from the approvals inbox)."""
    supplement_request = get_visible_or_404(
        SupplementRequest.objects.select_related("dossier"), request.user, pk=pk
    )
    dossier = supplement_request.dossier
    form = SupplementDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择批准或不予批准")
        return redirect(dossier)
    approve = form.cleaned_data["decision"] == "approve"

    def call():
        dossiers.decide_supplement(
            request.user, supplement_request, approve=approve, note=form.cleaned_data["note"]
        )

    success = "已批准补充归档申请，材料已补入案卷。" if approve else "已不予批准补充归档申请。"
    return _done(request, dossier, call, success)


@require_GET
def dossier_toc(request, pk):
    dossier = get_visible_or_404(_dossiers(request.user), request.user, pk=pk)
    blob = dossiers.toc_for_download(request.user, dossier)
    return serve_blob(
        request,
        blob,
        content_type="application/pdf",
        filename=f"卷内目录{dossier.number}.pdf",
        as_attachment=True,
    )
