"""The custodian's queue (待关联) and unlinking: thin views over records.association and items.

Segments are fetched through get_visible_or_404, so another district's segment answers 404.
Officers see, link and unlink only their own segments; read-only roles see the queue but get 403
on every action.
"""

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from quancheng.cases.models import Act
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404

from .association import associate_waiting, is_officer, queue_candidates
from .items import link_item, unlink_item
from .models import Segment

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MANUAL_LINK_REASON = "人工关联（待关联队列）"


class LinkForm(forms.Form):
    act = forms.IntegerField(min_value=1, error_messages={"required": "请选择执法行为"})


class UnlinkForm(forms.Form):
    reason = forms.CharField(
        label="解除关联的原因",
        max_length=500,
        error_messages={"required": "请填写解除关联的原因"},
    )


def _segments_for(user: "User"):
    """The segments the user may see here: in scope, and for an officer only their own."""
    segments = Segment.objects.visible_to(user).select_related("agency", "device", "officer")
    if is_officer(user):
        segments = segments.filter(officer=user)
    return segments


def _first_message(error: ValidationError) -> str:
    return next(iter(error.messages), "操作失败")


@require_GET
def queue(request):
    waiting = _segments_for(request.user).unlinked().order_by("started_at", "pk")
    page = Paginator(waiting, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(segment, queue_candidates(segment, request.user)) for segment in page]
    return render(
        request,
        "records/queue.html",
        {
            "page": page,
            "rows": rows,
            "may_link": caps.can(request.user, caps.RECORDS_UPLOAD),
            "may_reassociate": (
                caps.can(request.user, caps.RECORDS_UPLOAD) and not is_officer(request.user)
            ),
        },
    )


@require_POST
def queue_link(request, pk):
    segment = get_visible_or_404(_segments_for(request.user), request.user, pk=pk)
    caps.require(request.user, caps.ITEM_LINK, segment)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择要关联的执法行为")
        return redirect("records_queue")
    acts = Act.objects.all()
    if is_officer(request.user):
        acts = acts.filter(officers=request.user).distinct()
    act = get_visible_or_404(acts, request.user, pk=form.cleaned_data["act"])
    if segment.act_id is not None:
        messages.error(request, f"{segment} 已关联到执法行为，请先在该执法行为中解除关联")
        return redirect("records_queue")
    try:
        link_item(request.user, segment, act, reason=MANUAL_LINK_REASON)
    except ValidationError as error:
        messages.error(request, _first_message(error))
        return redirect("records_queue")
    messages.success(request, f"已将 {segment} 关联到 {act}")
    return redirect("records_queue")


@require_POST
def queue_associate(request):
    """Run automatic association again for the waiting segments (after acts were registered)."""
    caps.require(request.user, caps.RECORDS_UPLOAD)
    if is_officer(request.user):
        raise PermissionDenied("执法人员只能逐条关联自己的音像记录")
    result = associate_waiting(request.user)
    messages.success(
        request,
        f"已自动关联 {len(result.linked)} 个音像记录，仍有 {len(result.waiting)} 个待关联",
    )
    return redirect("records_queue")


def _act_segments_page(request, act, form=None, failed=None, status=200):
    # Everyone who sees the act sees its segments; officers unlink only their own.
    segments = (
        Segment.objects.visible_to(request.user)
        .filter(act=act)
        .select_related("device", "officer")
        .order_by("started_at", "pk")
    )
    rows = [
        (s, form if failed == s.pk else UnlinkForm(), caps.can(request.user, caps.ITEM_LINK, s))
        for s in segments
    ]
    return render(
        request, "records/queue_act_segments.html", {"act": act, "rows": rows}, status=status
    )


@require_GET
def act_segments(request, act_pk):
    act = get_visible_or_404(Act.objects.select_related("subject", "case"), request.user, pk=act_pk)
    return _act_segments_page(request, act)


@require_POST
def segment_unlink(request, pk):
    segment = get_visible_or_404(_segments_for(request.user), request.user, pk=pk)
    caps.require(request.user, caps.ITEM_LINK, segment)
    if segment.act_id is None:
        messages.error(request, f"{segment} 未关联执法行为")
        return redirect("records_queue")
    act = get_visible_or_404(
        Act.objects.select_related("subject", "case"), request.user, pk=segment.act_id
    )
    form = UnlinkForm(request.POST)
    if not form.is_valid():
        return _act_segments_page(request, act, form=form, failed=segment.pk, status=400)
    try:
        unlink_item(request.user, segment, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        form.add_error("reason", _first_message(error))
        return _act_segments_page(request, act, form=form, failed=segment.pk, status=400)
    messages.success(request, f"已解除 {segment} 与该执法行为的关联，记录已回到待关联队列")
    return redirect("records_act_segments", act_pk=act.pk)
