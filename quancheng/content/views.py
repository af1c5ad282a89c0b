"""Pages of content analysis: confirming a scan's reading, confirming a device's clock offset
from the picture's clock."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from quancheng.access.enforce import access_body, require
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_atomic
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.models import Document, Segment
from quancheng.records.sm3 import file_digests

from .forms import PictureOffsetForm, ScanConfirmForm
from .models import ScanReading
from .osd import confirm_picture_offset
from .scans import confirm_scan, register_problem


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S") if moment else ""


@require_http_methods(["GET", "POST"])
def scan_confirm(request, pk):
    """The reading of a scanned document beside the scan: confirm or correct it (GET shows it,
    logged as a view of the document's content; POST confirms)."""
    document = get_visible_or_404(
        Document.objects.select_related("agency", "act", "blob"), request.user, pk=pk
    )
    require(request, document, "view")
    reading = ScanReading.objects.filter(document=document).first()
    may_confirm = caps.can(request.user, caps.SCAN_CONFIRM, document)
    status = 200
    if request.method == "POST":
        caps.require(request.user, caps.SCAN_CONFIRM, document)
        form = ScanConfirmForm(request.POST)
        if form.is_valid():
            try:
                confirm_scan(request.user, document, **form.cleaned_data)
            except ValidationError as e:
                for message in e.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, "已确认文号和起止时间，合规检查将按确认的时间核对。")
                return redirect(document)
        status = 400
    else:
        record_atomic(
            request.user,
            Action.DOCUMENT_SCAN_VIEWED,
            document,
            {**file_digests(document.blob_id), **access_body(request)},
        )
        initial = {}
        if reading is not None:
            initial = {
                "number": document.number or reading.proposed_number,
                "started_at": _local(document.written_started_at or reading.proposed_started_at),
                "ended_at": _local(document.written_ended_at or reading.proposed_ended_at),
            }
        form = ScanConfirmForm(initial=initial)
    return render(
        request,
        "content/scan_confirm.html",
        {
            "document": document,
            "reading": reading,
            "form": form,
            "may_confirm": may_confirm,
            # The register's word on the number read, before anyone confirms it.
            "number_problem": (
                register_problem(document, reading.proposed_number)
                if reading is not None and reading.status == ScanReading.Status.PROPOSED
                else ""
            ),
        },
        status=status,
    )


@require_POST
def picture_offset_confirm(request, pk):
    """The custodian confirms the picture's clock: the device's offset is set from it."""
    segment = get_visible_or_404(
        Segment.objects.select_related("agency", "device"), request.user, pk=pk
    )
    caps.require(request.user, caps.PICTURE_OFFSET_CONFIRM, segment)
    form = PictureOffsetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "未更新：请填写确认依据")
        return redirect(segment)
    try:
        reading = confirm_picture_offset(request.user, segment, form.cleaned_data["note"])
    except ValidationError as e:
        messages.error(request, f"未更新：{e.messages[0]}")
        return redirect(segment)
    messages.success(
        request,
        f"已将设备时钟偏差更新为 {reading.confirmed_offset_seconds} 秒（此后导入的文件按此校正）。",
    )
    return redirect(segment)
