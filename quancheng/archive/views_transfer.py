"""Pages of the 四性 reports and of the transfer to the archives (archive/transfer.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_atomic
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.http import serve_blob
from quancheng.ui.forms import Form

from . import transfer as transfers
from .models import Dossier, FourChecksReport, Transfer


class TransferForm(Form):
    recipient = forms.CharField(label="接收单位", max_length=200)
    note = forms.CharField(label="移交说明", required=False, widget=forms.Textarea, max_length=2000)


class DecisionForm(Form):
    approve = forms.TypedChoiceField(
        label="审批结果",
        choices=[("1", "批准移交"), ("0", "不予批准")],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label="审批意见", required=False, widget=forms.Textarea, max_length=2000)


def _messages_of(error: ValidationError) -> list[str]:
    return list(error.messages)


@require_GET
def fourchecks_report(request, pk):
    """A 四性 report's PDF (metadata and check results only, no record content)."""
    report = get_visible_or_404(
        FourChecksReport.objects.select_related("dossier", "pdf_blob"),
        request.user,
        pk=pk,
    )
    record_atomic(
        request.user,
        Action.DOSSIER_REPORT_DOWNLOADED,
        report.dossier,
        {"report": report.pk, "sha256": report.pdf_blob_id},
    )
    return serve_blob(
        request,
        report.pdf_blob,
        content_type="application/pdf",
        filename=f"四性检测报告{report.dossier.number}-{report.pk}.pdf",
        as_attachment=True,
    )


@require_http_methods(["GET", "POST"])
def transfer_request(request, pk):
    dossier = get_visible_or_404(Dossier.objects.select_related("agency"), request.user, pk=pk)
    form = TransferForm(request.POST or None)
    if request.method == "POST":
        caps.require(request.user, caps.TRANSFER_REQUEST, dossier.agency)
        if form.is_valid():
            try:
                transfer = transfers.request_transfer(request.user, dossier, **form.cleaned_data)
            except ValidationError as error:
                for message in _messages_of(error):
                    form.add_error(None, message)
            else:
                messages.success(request, "已提交移交申请，待机构负责人审批。")
                return redirect(transfer)
    return render(
        request,
        "archive/transfer_form.html",
        {
            "dossier": dossier,
            "form": form,
            "may_request": caps.can(request.user, caps.TRANSFER_REQUEST, dossier.agency),
        },
        status=400 if form.is_bound else 200,
    )


@require_GET
def transfer_detail(request, pk):
    transfer = get_visible_or_404(
        Transfer.objects.select_related("dossier", "requested_by", "decided_by", "report"),
        request.user,
        pk=pk,
    )
    may_decide = (
        transfer.status == Transfer.Status.REQUESTED
        and caps.can(request.user, caps.TRANSFER_DECIDE, transfer.agency)
        and request.user.pk != transfer.requested_by_id
    )
    return render(
        request,
        "archive/transfer_detail.html",
        {
            "transfer": transfer,
            "form": DecisionForm(),
            "may_decide": may_decide,
            "may_download": caps.can(request.user, caps.TRANSFER_REQUEST, transfer.agency),
        },
    )


@require_POST
def transfer_decide(request, pk):
    transfer = get_visible_or_404(Transfer.objects.all(), request.user, pk=pk)
    caps.require(request.user, caps.TRANSFER_DECIDE, transfer.agency)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(transfer)
    try:
        transfers.decide_transfer(request.user, transfer, **form.cleaned_data)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error) or "无权进行此操作")
    else:
        transfer.refresh_from_db()
        messages.success(request, f"审批完成：{transfer.get_status_display()}。")
    return redirect(transfer)


@require_GET
def transfer_package(request, pk):
    transfer = get_visible_or_404(
        Transfer.objects.select_related("dossier", "package_blob"), request.user, pk=pk
    )
    try:
        blob = transfers.package_for_download(request.user, transfer)
    except ValidationError as error:
        messages.error(request, _messages_of(error)[0])
        return redirect(transfer)
    return serve_blob(
        request,
        blob,
        content_type="application/zip",
        filename=f"移交包{transfer.dossier.number}.zip",
        as_attachment=True,
    )
