"""The provisions register pages (对外提供登记): list with filters, registration form, export as
XLSX or CSV (streamed)."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.models import Segment

from .extraction import visible_extractions
from .models import Extraction, Provision
from .provisions import (
    ProvisionFilter,
    csv_chunks,
    decide_provision,
    log_export,
    register_of,
    register_provided,
    request_provision,
    xlsx_file,
)
from .redaction import may_request as may_request_redaction
from .views_extraction import item_choices, messages_of, source_of

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *Provision.Status.choices]
    )
    recipient_kind = forms.ChoiceField(
        label="单位类别",
        required=False,
        choices=[("", "全部"), *Provision.RecipientKind.choices],
    )
    recipient = forms.CharField(label="接收单位", required=False, max_length=200)
    date_from = forms.DateField(
        label="提供日期自", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="至", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> ProvisionFilter:
        if not self.is_valid():
            return ProvisionFilter()
        return ProvisionFilter(**self.cleaned_data)


def _filters(request) -> tuple[FilterForm, ProvisionFilter]:
    form = FilterForm(request.GET or None)
    return form, form.filters()


@require_GET
def provision_list(request):
    form, filters = _filters(request)
    page = Paginator(register_of(request.user, filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "access/provision_list.html",
        {
            "form": form,
            "page_obj": page,
            "provisions": page.object_list,
            "query": query.urlencode(),
        },
    )


@require_GET
def provision_detail(request, pk):
    provision = get_visible_or_404(register_of(request.user), request.user, pk=pk)
    requested = provision.status == Provision.Status.REQUESTED
    open_for_copies = provision.status in (Provision.Status.REQUESTED, Provision.Status.APPROVED)
    segment_ids = [i["id"] for i in provision.items if i["kind"] == "segment"]
    return render(
        request,
        "access/provision_detail.html",
        {
            "provision": provision,
            "can_decide": requested
            and caps.can(request.user, caps.REQUESTS_DECIDE, provision)
            and request.user.pk != provision.requested_by_id,
            "can_register": provision.status == Provision.Status.APPROVED
            and caps.can(request.user, caps.PROVISION_REGISTER, provision),
            "today": timezone.localdate().isoformat(),
            "redactions": provision.redacted_copies.select_related("requested_by"),
            "can_redact": open_for_copies and may_request_redaction(request.user, provision),
            "segment_choices": Segment.objects.filter(pk__in=segment_ids, readable=True),
        },
    )


@require_POST
def provision_decide(request, pk):
    provision = get_visible_or_404(register_of(request.user), request.user, pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        decide_provision(
            request.user, provision, approve=approve, note=request.POST.get("note", "")
        )
    except ValidationError as e:
        messages.error(request, messages_of(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已批准对外提供。" if approve else "已不予批准。")
    return redirect(provision)


@require_POST
def provision_provided(request, pk):
    provision = get_visible_or_404(register_of(request.user), request.user, pk=pk)
    try:
        register_provided(
            request.user, provision, provided_on=_date(request.POST.get("provided_on", ""))
        )
    except ValidationError as e:
        messages.error(request, messages_of(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已登记对外提供。")
    return redirect(provision)


@require_GET
def provision_export(request):
    _form, filters = _filters(request)
    provisions = register_of(request.user, filters)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise Http404("不支持的导出格式")
    log_export(request.user, fmt, filters, provisions.count())
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        response = StreamingHttpResponse(csv_chunks(provisions), content_type="text/csv")
        response["Content-Disposition"] = content_disposition_header(
            True, f"对外提供登记-{stamp}.csv"
        )
        return response
    return FileResponse(
        xlsx_file(provisions),
        as_attachment=True,
        filename=f"对外提供登记-{stamp}.xlsx",
        content_type=XLSX_TYPE,
    )


def _source(request):
    """The act or case (or the extraction) the provision is about."""
    data = request.POST if request.method == "POST" else request.GET
    if data.get("extraction"):
        extraction = get_visible_or_404(
            visible_extractions(request.user), request.user, pk=data["extraction"]
        )
        return extraction.act, extraction.case, extraction
    act, case = source_of(request)
    return act, case, None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def provision_new(request):
    act, case, extraction = _source(request)
    data = request.POST
    selected = data.getlist("items") or (
        [f"{i['kind']}:{i['id']}" for i in extraction.items] if extraction else []
    )
    if request.method == "POST":
        try:
            provision = request_provision(
                request.user,
                recipient=data.get("recipient", ""),
                recipient_kind=data.get("recipient_kind", ""),
                legal_basis=data.get("legal_basis", ""),
                act=act,
                case=case,
                items=selected,
                extraction=extraction,
            )
        except ValidationError as e:
            messages.error(request, messages_of(e))
        except PermissionDenied as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "已提交对外提供申请，等待机构负责人审批。")
            return redirect(provision)
    return render(
        request,
        "access/provision_form.html",
        {
            "act": act,
            "case": case,
            "extraction": extraction,
            "choices": item_choices(act, case, selected),
            "kinds": Provision.RecipientKind.choices,
            "data": data,
            "produced": extraction is None or extraction.status == Extraction.Status.PRODUCED,
        },
        status=400 if request.method == "POST" else 200,
    )
