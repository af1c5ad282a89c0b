"""The upload page of an act (上传记录): files go up through tus, then become record items.

The page's script (static records/upload.js) sends each file to /api/v1/uploads/ with the
browser session and CSRF header, then POSTs the finished upload's id here (:func:`attach`),
which answers JSON for the script to show.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_GET, require_POST

from quancheng.cases.models import Act
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404

from .attach import DOCUMENT, attach_upload, records_of_act
from .forms_upload import DOC_TYPES, AttachForm
from .services import UploadError


def _act_for_upload(request, act_id) -> Act:
    """The act, if visible (else 404) and the user may add records to it (else 403)."""
    act = get_visible_or_404(
        Act.objects.select_related("agency", "subject", "case"), request.user, pk=act_id
    )
    caps.require(request.user, caps.RECORDS_UPLOAD, act)
    return act


def item_url(item) -> str:
    try:
        return item.get_absolute_url()
    except NoReverseMatch:  # detail pages not installed
        return ""


@require_GET
def upload_page(request, act_id):
    act = _act_for_upload(request, act_id)
    return render(
        request,
        "records/upload.html",
        {
            "act": act,
            "records": records_of_act(act),
            "chunk_size": settings.QC_UPLOAD_CHUNK_SIZE,
            "doc_types": DOC_TYPES,
        },
    )


def _error(status: int, code: str, message: str, fields=None) -> JsonResponse:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def item_summary(item) -> dict:
    kind = "document" if item._meta.model_name == "document" else "segment"
    summary = {
        "id": item.pk,
        "kind": kind,
        "kind_display": item._meta.verbose_name,
        "filename": item.original_filename,
        "content_type": item.content_type,
        "sha256": item.blob_id,
        "size": item.blob.size,
        "act_id": item.act_id,
        "url": item_url(item),
    }
    if kind == "document":
        summary.update(doc_type=item.doc_type, number=item.number)
    return summary


@require_POST
def attach(request, act_id):
    try:
        act = _act_for_upload(request, act_id)
    except Http404:
        return _error(404, "act_not_found", "执法行为不存在或不在您的管辖范围内")
    except PermissionDenied as e:
        return _error(403, "forbidden", str(e) or "无权为该执法行为上传记录")
    form = AttachForm(request.POST)
    if not form.is_valid():
        fields = {name: [str(m) for m in errors] for name, errors in form.errors.items()}
        first = next(iter(fields.values()))[0]
        return _error(400, "invalid_input", first, fields)
    data = form.cleaned_data
    document = data["kind"] == DOCUMENT
    try:
        attached = attach_upload(
            request.user,
            act,
            data["upload_id"],
            data["kind"],
            doc_type=data["doc_type"] if document else "",
            number=data["number"] if document else "",
            written_started_at=data["written_started_at"] if document else None,
            written_ended_at=data["written_ended_at"] if document else None,
            is_evidence=data["is_evidence"],
        )
    except UploadError as e:
        return _error(e.status, e.code, e.message)
    except PermissionDenied as e:
        return _error(403, "forbidden", str(e) or "无权为该执法行为上传记录")
    except ValidationError as e:
        fields = e.message_dict if hasattr(e, "error_dict") else {"__all__": e.messages}
        return _error(400, "invalid_input", e.messages[0], fields)
    item = attached.item
    if attached.existed:
        code, message = "linked", f"已存在，已关联：{item}"
    elif attached.deduplicated:
        code, message = "created", f"文件内容已存在，未重复存储；已登记为{item._meta.verbose_name}"
    else:
        code, message = "created", f"已登记为{item._meta.verbose_name}"
    if request.POST.get("return") == "checklist":
        # The script goes back to the act's checklist next: the page says what was added.
        messages.success(request, f"{item.original_filename or item}：{message}")
    return JsonResponse(
        {"code": code, "message": message, "item": item_summary(item)},
        status=200 if attached.existed else 201,
        json_dumps_params={"ensure_ascii": False},
    )
