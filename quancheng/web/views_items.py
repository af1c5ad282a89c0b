"""Detail pages of record items and the files behind them: play, show inline, download.

Every access to a record's content is a ledger event committed before the bytes are sent
(issue 3 ¶8): a detail page → ``<model>.viewed``; the first playback of a segment in a session →
``segment.played`` (later range requests of that session are not logged again); an inline PDF or
image the first time in a session → ``document.displayed``; a download of an original →
``<model>.downloaded`` (each download request, with the range it asked for). Thumbnails are not
logged: they are shown on pages whose view is already logged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from quancheng.access.enforce import access_body, require
from quancheng.access.policy import mark_allowed
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_atomic
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.forms_time import SegmentTimeForm
from quancheng.records.http import serve_blob, served_range
from quancheng.records.items import set_evidence
from quancheng.records.models import DataRecord, Document, Segment
from quancheng.records.sm3 import file_digests
from quancheng.records.timing import devices_for, enter_segment_time, needs_time
from quancheng.ui.history import history

if TYPE_CHECKING:
    from quancheng.orgs.models import User


PLAYED_SESSION_KEY = "qc_played_segments"
DISPLAYED_SESSION_KEY = "qc_displayed_documents"
# Images a browser shows inline safely (no SVG: it can carry script).
INLINE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
KINDS = {"segment": Segment, "document": Document, "datarecord": DataRecord}


def _history(obj):
    return history(obj)


def _log(request, action: Action, obj, body: dict) -> None:
    """The access event, in a transaction of its own, committed before any content is sent."""
    record_atomic(request.user, action, obj, {**body, **access_body(request)})


def _first_in_session(request, key: str, pk: int) -> bool:
    seen = request.session.get(key, [])
    if pk in seen:
        return False
    request.session[key] = [*seen, pk]
    return True


def _segments():
    return Segment.objects.select_related(
        "agency", "act", "case", "subject", "device", "officer", "blob", "thumbnail", "proxy"
    )


def _documents():
    return Document.objects.select_related("agency", "act", "case", "subject", "blob")


# --- segments (音像记录) ----------------------------------------------------------------------


def segment_detail(request, pk):
    segment = get_visible_or_404(_segments(), request.user, pk=pk)
    require(request, segment, "view")
    _log(request, Action.SEGMENT_VIEWED, segment, {**file_digests(segment.blob_id)})
    may_time = needs_time(segment) and caps.can(request.user, caps.SEGMENT_ENTER_TIME, segment)
    return render(
        request,
        "records/segment_detail.html",
        {
            "segment": segment,
            "can_change": caps.can(request.user, caps.EVIDENCE_SET, segment),
            "history": _history(segment),
            "time_form": _time_form(request.user, segment) if may_time else None,
        },
    )


def _time_form(user: User, segment, data=None) -> SegmentTimeForm:
    initial = {"device": segment.device_id}
    if segment.started_at:
        initial["started_at"] = timezone.localtime(segment.started_at).strftime("%Y-%m-%dT%H:%M:%S")
    return SegmentTimeForm(data, devices=devices_for(user, segment), initial=initial)


def playback_blob(segment: Segment):
    """What the player gets: the browser proxy if one was made, else the original."""
    if segment.proxy_id:
        return segment.proxy, "video/mp4" if segment.media_kind == "video" else "audio/mp4"
    return segment.blob, segment.content_type or "application/octet-stream"


@require_http_methods(["GET", "HEAD"])
def segment_media(request, pk):
    segment = get_visible_or_404(_segments(), request.user, pk=pk)
    require(request, segment, "play")
    blob, content_type = playback_blob(segment)
    response = serve_blob(request, blob, content_type=content_type)
    if (
        request.method == "GET"
        and response.status_code in (200, 206)
        and _first_in_session(request, PLAYED_SESSION_KEY, segment.pk)
    ):
        _log(
            request,
            Action.SEGMENT_PLAYED,
            segment,
            {**file_digests(blob.sha256), "proxy": blob.sha256 != segment.blob_id},
        )
    return response


@require_http_methods(["GET", "HEAD"])
def segment_thumbnail(request, pk):
    segment = get_visible_or_404(_segments(), request.user, pk=pk)
    require(request, segment, "view")
    if segment.thumbnail_id is None:
        raise Http404("没有缩略图")
    return serve_blob(request, segment.thumbnail, content_type="image/jpeg")


@require_http_methods(["GET", "HEAD"])
def segment_download(request, pk):
    segment = get_visible_or_404(_segments(), request.user, pk=pk)
    return _download(request, segment, Action.SEGMENT_DOWNLOADED)


def _download(request, item, action):
    require(request, item, "download")
    response = serve_blob(
        request,
        item.blob,
        content_type=item.content_type or "application/octet-stream",
        filename=item.original_filename or f"{item.blob_id}",
        as_attachment=True,
    )
    if request.method == "GET" and response.status_code in (200, 206):
        _log(request, action, item, {**file_digests(item.blob_id), "range": served_range(response)})
    return response


# --- documents (执法文书) ---------------------------------------------------------------------


def inline_type(document: Document) -> str | None:
    """The content type to show a document inline with, or None when it must be downloaded."""
    if document.file_kind == Document.FileKind.PDF:
        return "application/pdf"
    if document.content_type in INLINE_IMAGE_TYPES:
        return document.content_type
    return None


def document_detail(request, pk):
    document = get_visible_or_404(_documents(), request.user, pk=pk)
    require(request, document, "view")
    _log(request, Action.DOCUMENT_VIEWED, document, {**file_digests(document.blob_id)})
    return render(
        request,
        "records/document_detail.html",
        {
            "document": document,
            "inline_type": inline_type(document),
            "can_change": caps.can(request.user, caps.EVIDENCE_SET, document),
            "history": _history(document),
        },
    )


@require_http_methods(["GET", "HEAD"])
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"], "object-src": ["'self'"]})  # type: ignore[arg-type]  # django-csp's hint: a view of request alone
def document_file(request, pk):
    """The document inline (PDF in the page's frame, or an image)."""
    document = get_visible_or_404(_documents(), request.user, pk=pk)
    require(request, document, "view")
    content_type = inline_type(document)
    if content_type is None:
        raise Http404("该文件不能在线阅览，请下载")
    response = serve_blob(
        request, document.blob, content_type=content_type, filename=document.original_filename
    )
    if (
        request.method == "GET"
        and response.status_code in (200, 206)
        and _first_in_session(request, DISPLAYED_SESSION_KEY, document.pk)
    ):
        _log(request, Action.DOCUMENT_DISPLAYED, document, {**file_digests(document.blob_id)})
    return response


@require_http_methods(["GET", "HEAD"])
def document_download(request, pk):
    document = get_visible_or_404(_documents(), request.user, pk=pk)
    return _download(request, document, Action.DOCUMENT_DOWNLOADED)


# --- data records (电子数据) ------------------------------------------------------------------


def datarecord_detail(request, pk):
    record = get_visible_or_404(
        DataRecord.objects.select_related("agency", "act", "case", "subject", "kind", "device"),
        request.user,
        pk=pk,
    )
    require(request, record, "view")
    _log(
        request,
        Action.DATARECORD_VIEWED,
        record,
        {"sha256": record.sha256, "sm3": record.sm3 or None},
    )
    return render(
        request,
        "records/datarecord_detail.html",
        {
            "record": record,
            "data_json": json.dumps(record.data, ensure_ascii=False, indent=2, sort_keys=True),
            "can_change": caps.can(request.user, caps.EVIDENCE_SET, record),
            "history": _history(record),
        },
    )


# --- changes ----------------------------------------------------------------------------------


@require_POST
def item_evidence(request, kind, pk):
    """Set or clear the evidence flag (用作证据); writers of the item's district only."""
    model = KINDS.get(kind)
    if model is None:
        raise Http404("对象不存在")
    item = get_visible_or_404(model, request.user, pk=pk)
    caps.require(request.user, caps.EVIDENCE_SET, item)
    value = request.POST.get("is_evidence")
    if value not in ("0", "1"):
        messages.error(request, "请求无效：缺少证据标记")
        return redirect(item)
    set_evidence(request.user, item, value == "1")
    messages.success(request, "已标记为证据。" if value == "1" else "已取消证据标记。")
    return redirect(item)


@require_POST
def segment_time(request, pk):
    """Enter the start time and device of a segment whose file carries no time (手工录入)."""
    segment = get_visible_or_404(_segments(), request.user, pk=pk)
    caps.require(request.user, caps.SEGMENT_ENTER_TIME, segment)
    form = _time_form(request.user, segment, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, f"未录入：{errors[0]}")
        return redirect(segment)
    try:
        enter_segment_time(request.user, segment, **form.cleaned_data)
    except ValidationError as e:
        messages.error(request, f"未录入：{e.messages[0]}")
        return redirect(segment)
    messages.success(request, "已录入拍摄时间（时间为手工录入）。")
    return redirect(segment)


# --- the act page's list ----------------------------------------------------------------------


def act_record_items(user: User, act) -> dict:
    """The act's items for its detail page (web/act_detail.html includes records/_act_items)."""
    items = {
        "segments": list(
            Segment.objects.visible_to(user).filter(act=act).select_related("officer", "device")
        ),
        "documents": list(Document.objects.visible_to(user).filter(act=act)),
        "data_records": list(
            DataRecord.objects.visible_to(user).filter(act=act).select_related("kind")
        ),
    }
    # One decision over all three kinds: the policy's facts are queried once, not per kind.
    mark_allowed(user, [i for rows in items.values() for i in rows])
    # Items the user may not open: one request for the whole act (A24).
    refused = any(not i.access_allowed for rows in items.values() for i in rows)
    return {**items, "refused": refused}
