"""The access report page (访问记录报告) and its CSV download: head, legal auditor, city admin."""

from __future__ import annotations

import csv

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from quancheng.lib.spreadsheet import safe_row
from quancheng.orgs import capabilities as caps
from quancheng.records.refs import ItemKind

from .report import FLAG_LABELS, KIND_LABELS, Filters, access_rows, unused_accounts

SHOWN = 500


class ReportFilterForm(forms.Form):
    user = forms.CharField(label="用户（用户名或姓名）", required=False, max_length=150)
    item_kind = forms.ChoiceField(
        label="记录类型", required=False, choices=[("", "全部"), *ItemKind.choices]
    )
    item_id = forms.IntegerField(label="记录编号", required=False, min_value=1)
    case_id = forms.IntegerField(label="案件编号（ID）", required=False, min_value=1)
    since = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput({"type": "date"})
    )
    flagged_only = forms.BooleanField(label="只看异常", required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def filters(self) -> Filters:
        data = self.cleaned_data if self.is_valid() else {}
        return Filters(
            user=data.get("user") or "",
            item_kind=data.get("item_kind") or "",
            item_id=data.get("item_id"),
            case_id=data.get("case_id"),
            since=data.get("since"),
            until=data.get("until"),
            flagged_only=bool(data.get("flagged_only")),
        )


def _reader(request):
    caps.require(request.user, caps.ACCESS_REPORT)


def access_report(request):
    _reader(request)
    form = ReportFilterForm(request.GET or None)
    rows = access_rows(request.user, form.filters())
    return render(
        request,
        "access/report.html",
        {
            "form": form,
            "rows": rows[:SHOWN],
            "total": len(rows),
            "shown": SHOWN,
            "flagged": sum(1 for r in rows if r.flags),
            "unused": unused_accounts(request.user),
            "kind_labels": KIND_LABELS,
            "query": request.GET.urlencode(),
        },
    )


def access_report_csv(request):
    _reader(request)
    form = ReportFilterForm(request.GET or None)
    rows = access_rows(request.user, form.filters())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-report.csv"'
    response.write("\ufeff")  # a BOM, so that spreadsheet programs read the Chinese as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        ["序号", "时间", "用户", "姓名", "操作", "记录类型", "记录编号", "调阅申请", "异常标记"]
    )
    for r in rows:
        writer.writerow(
            safe_row(
                [
                    r.event.seq,
                    timezone.localtime(r.event.time).strftime("%Y-%m-%d %H:%M:%S"),
                    r.event.actor_label,
                    r.event.actor.full_name if r.event.actor else "",
                    r.action_label,
                    KIND_LABELS[r.kind],
                    r.item_id,
                    r.via_request or "",
                    "；".join(FLAG_LABELS[f] for f in r.flags),
                ]
            )
        )
    return response
