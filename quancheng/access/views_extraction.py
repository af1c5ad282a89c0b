"""Evidence extraction pages (证据提取): request (pick items of an act or case), detail with the
production's progress, the head's decision, the package's download."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from quancheng.cases.models import Act, Case
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.http import serve_blob, served_range
from quancheng.records.refs import ItemKind, items_of_act, items_of_case, kind_of, resolve_many

from .extraction import (
    decide_extraction,
    package_filename,
    record_download,
    record_note_read,
    request_extraction,
    retry_production,
    visible_extractions,
)
from .models import Extraction


def messages_of(error: ValidationError) -> str:
    return "；".join(error.messages)


def source_of(request):
    """The act or case named by ``?act=`` / ``?case=`` (GET or POST), in the user's scope."""
    data = request.POST if request.method == "POST" else request.GET
    if data.get("act"):
        return get_visible_or_404(Act, request.user, pk=data["act"]), None
    if data.get("case"):
        return None, get_visible_or_404(Case, request.user, pk=data["case"])
    raise Http404("请从执法行为或案件页面发起")


def item_choices(act, case, selected=()) -> list[dict]:
    items = items_of_act(act) if act is not None else items_of_case(case)
    chosen = set(selected)
    choices = []
    for item in items:
        value = f"{kind_of(item)}:{item.pk}"
        kind = item._meta.verbose_name
        choices.append({"value": value, "item": item, "kind": kind, "checked": value in chosen})
    return choices


def extraction_list(request):
    extractions = visible_extractions(request.user)
    pending = [
        e
        for e in extractions.filter(status=Extraction.Status.PENDING)
        if caps.can(request.user, caps.REQUESTS_DECIDE, e) and e.requested_by_id != request.user.pk
    ]
    page = Paginator(extractions, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "access/extraction_list.html",
        {"pending": pending, "page_obj": page, "extractions": page.object_list},
    )


@require_http_methods(["GET", "POST"])
def extraction_new(request):
    act, case = source_of(request)
    selected = request.POST.getlist("items")
    purpose = request.POST.get("purpose", "")
    if request.method == "POST":
        try:
            extraction = request_extraction(
                request.user, purpose=purpose, act=act, case=case, items=selected
            )
        except (ValidationError, PermissionDenied) as e:
            text = messages_of(e) if isinstance(e, ValidationError) else str(e)
            messages.error(request, text)
        else:
            messages.success(request, "已提交证据提取申请，等待机构负责人审批。")
            return redirect(extraction)
    return render(
        request,
        "access/extraction_form.html",
        {
            "act": act,
            "case": case,
            "choices": item_choices(act, case, selected),
            "purpose": purpose,
        },
        status=400 if request.method == "POST" else 200,
    )


def _items(extraction: Extraction) -> list[dict]:
    refs = [(r["kind"], r["id"]) for r in extraction.items]
    found = resolve_many(refs)
    return [{"ref": ref, "item": found.get(ref), "kind": ItemKind(ref[0]).label} for ref in refs]


def extraction_detail(request, pk):
    extraction = get_visible_or_404(visible_extractions(request.user), request.user, pk=pk)
    user = request.user
    return render(
        request,
        "access/extraction_detail.html",
        {
            "extraction": extraction,
            "items": _items(extraction),
            "may_decide": extraction.status == Extraction.Status.PENDING
            and caps.can(user, caps.REQUESTS_DECIDE, extraction)
            and extraction.requested_by_id != user.pk,
            "may_retry": extraction.status == Extraction.Status.FAILED
            and caps.can(user, caps.REQUESTS_DECIDE, extraction),
            "may_download": caps.can(user, caps.EXTRACTION_DOWNLOAD, extraction),
            "in_production": extraction.status == Extraction.Status.APPROVED,
        },
    )


@require_POST
def extraction_decide(request, pk):
    extraction = get_visible_or_404(Extraction, request.user, pk=pk)
    decision = request.POST.get("decision")
    if decision not in ("approve", "refuse"):
        messages.error(request, "请选择批准或不予批准")
        return redirect(extraction)
    approve = decision == "approve"
    try:
        decide_extraction(
            request.user, extraction, approve=approve, note=request.POST.get("note", "")
        )
    except ValidationError as e:
        messages.error(request, messages_of(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request, "已批准，平台正在制作提取包。" if approve else "已不予批准该证据提取申请。"
        )
    return redirect(extraction)


@require_POST
def extraction_retry(request, pk):
    extraction = get_visible_or_404(Extraction, request.user, pk=pk)
    try:
        retry_production(request.user, extraction)
    except ValidationError as e:
        messages.error(request, messages_of(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已重新开始制作提取包。")
    return redirect(extraction)


@require_http_methods(["GET", "HEAD"])
def extraction_download(request, pk):
    extraction = get_visible_or_404(
        Extraction.objects.select_related("package"), request.user, pk=pk
    )
    caps.require(request.user, caps.EXTRACTION_DOWNLOAD, extraction)
    response = serve_blob(
        request,
        extraction.package,
        content_type="application/zip",
        filename=package_filename(extraction),
        as_attachment=True,
    )
    if request.method == "GET" and response.status_code in (200, 206):
        record_download(request.user, extraction, served_range(response), via="web")
    return response


@require_http_methods(["GET", "HEAD"])
def extraction_note(request, pk):
    """The signed extraction note (提取说明) as a PDF, for the requester and the head."""
    extraction = get_visible_or_404(Extraction.objects.select_related("note"), request.user, pk=pk)
    caps.require(request.user, caps.EXTRACTION_DOWNLOAD, extraction)
    if extraction.note_id is None:
        raise PermissionDenied("该提取没有提取说明")
    response = serve_blob(
        request,
        extraction.note,
        content_type="application/pdf",
        filename=f"提取说明-{extraction.pk}.pdf",
    )
    if request.method == "GET" and response.status_code in (200, 206):
        record_note_read(request.user, extraction, served_range(response))
    return response
