"""Pages of redacted copies (脱敏副本) of a provision: request, review with the player, approve or
refuse, play and download (access/redaction.py)."""

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.ledger.actions import Action
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.http import serve_blob, served_range
from quancheng.records.models import Segment

from .models import RedactedCopy
from .provisions import register_of
from .redaction import (
    OPEN_STATUSES,
    decide_redaction,
    has_played,
    is_reviewer,
    may_download,
    may_play,
    record_access,
    request_redaction,
)
from .views_extraction import messages_of

if TYPE_CHECKING:
    from quancheng.orgs.models import User


PLAYED_SESSION_KEY = "redactions_played"


def _copies(user: "User"):
    return RedactedCopy.objects.visible_to(user).select_related(
        "provision", "provision__agency", "segment", "agency", "blob", "requested_by", "decided_by"
    )


@require_POST
def redaction_new(request, pk):
    provision = get_visible_or_404(register_of(request.user), request.user, pk=pk)
    segment_id = request.POST.get("segment", "")
    segment = get_object_or_404(
        Segment.objects.filter(agency=provision.agency),
        pk=int(segment_id) if segment_id.isdigit() else 0,
    )
    try:
        copy = request_redaction(
            request.user,
            provision,
            segment,
            mute=request.POST.get("mute", ""),
            threshold=request.POST.get("threshold") or None,
        )
    except ValidationError as e:
        messages.error(request, messages_of(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已申请脱敏副本，平台正在后台制作。")
        return redirect(copy)
    return redirect(provision)


@require_GET
def redaction_detail(request, pk):
    copy = get_visible_or_404(_copies(request.user), request.user, pk=pk)
    in_review = copy.status == RedactedCopy.Status.REVIEW
    can_review = (
        in_review and is_reviewer(request.user, copy) and request.user.pk != copy.requested_by_id
    )
    return render(
        request,
        "access/redaction_detail.html",
        {
            "copy": copy,
            "may_play": may_play(request.user, copy),
            "may_download": may_download(request.user, copy),
            "can_review": can_review,
            "played": can_review and has_played(request.user, copy),
            "working": copy.status in OPEN_STATUSES[:2],
        },
    )


def _serve(request, pk, *, download: bool):
    copy = get_visible_or_404(_copies(request.user), request.user, pk=pk)
    allowed = may_download if download else may_play
    if not allowed(request.user, copy):
        raise PermissionDenied(
            "只有申请人、记录管理专人和机构负责人可以查看脱敏副本；下载须经审核批准"
        )
    response = serve_blob(
        request,
        copy.blob,
        content_type="video/mp4",
        filename=f"脱敏副本-{copy.pk}.mp4",
        as_attachment=download,
    )
    if request.method != "GET" or response.status_code not in (200, 206):
        return response
    if download:
        record_access(request.user, copy, Action.REDACTION_DOWNLOADED, served_range(response), {})
    elif copy.pk not in request.session.get(PLAYED_SESSION_KEY, []):
        # One playback event per copy and session: a player's range requests are one viewing.
        request.session[PLAYED_SESSION_KEY] = [
            *request.session.get(PLAYED_SESSION_KEY, []),
            copy.pk,
        ]
        record_access(request.user, copy, Action.REDACTION_PLAYED, served_range(response), {})
    return response


@require_http_methods(["GET", "HEAD"])
def redaction_media(request, pk):
    return _serve(request, pk, download=False)


@require_http_methods(["GET", "HEAD"])
def redaction_download(request, pk):
    return _serve(request, pk, download=True)


@require_POST
def redaction_decide(request, pk):
    copy = get_visible_or_404(_copies(request.user), request.user, pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        decide_redaction(request.user, copy, approve=approve, note=request.POST.get("note", ""))
    except ValidationError as e:
        messages.error(request, messages_of(e))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已批准该脱敏副本。" if approve else "已不予批准该脱敏副本。")
    return redirect(copy)
