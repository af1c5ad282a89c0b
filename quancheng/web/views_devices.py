"""Device pages (设备管理, A6, A19): list, undocked devices, detail with history and the forms.

Every device is fetched through get_visible_or_404 (another district's device is 404). The forms
are for the custodian, the head and the city administrator of the device's scope
(devices.require_device_manager); everyone else in scope reads, and a POST from them is 403.
"""

import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.access.policy import mark_allowed
from quancheng.ledger.actions import Action, label_of
from quancheng.ledger.models import Event
from quancheng.orgs import capabilities as caps
from quancheng.orgs import devices as device_services
from quancheng.orgs.models import Device, DeviceAssignment
from quancheng.orgs.scoping import agencies_visible_to, get_visible_or_404
from quancheng.orgs.services import assign_device, create_device, set_device_clock_offset
from quancheng.records.models import Segment
from quancheng.ui.history import Entry

from .forms_devices import (
    AssignForm,
    ClockOffsetForm,
    DeviceFilterForm,
    DeviceForm,
    EndAssignmentForm,
    MaintenanceForm,
    StatusForm,
)

if TYPE_CHECKING:
    from quancheng.orgs.models import User


# Segments listed per page on a device's page, latest first.
SEGMENTS_PER_PAGE = 50
# Ledger events shown on a device's page, the latest (a camera docks every working day).
HISTORY_SHOWN = 100

SOURCES = {"ingest": "采集站导入", "upload": "终端上传", "workstation": "采集站报告"}


def _devices():
    return Device.objects.select_related("agency")


def _add_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- lists ------------------------------------------------------------------------------------


@require_GET
def device_list(request):
    form = DeviceFilterForm(request.user, request.GET)
    form.is_valid()  # invalid filters are ignored, the valid ones apply
    filters = form.cleaned_data
    devices = _devices().visible_to(request.user)
    if q := filters.get("q"):
        devices = devices.filter(Q(serial_number__icontains=q) | Q(name__icontains=q))
    if filters.get("kind"):
        devices = devices.filter(kind=filters["kind"])
    if filters.get("status"):
        devices = devices.filter(status=filters["status"])
    if filters.get("agency"):
        devices = devices.filter(agency=filters["agency"])
    if filters.get("undocked"):  # the dashboard's figure 长期未对接设备
        devices = devices.filter(pk__in=device_services.undocked_devices().values("pk"))
    devices = devices.prefetch_related(device_services.current_assignments_prefetch())
    page = Paginator(devices.order_by("agency__code", "serial_number"), settings.QC_PAGE_SIZE)
    return render(
        request,
        "web/device_list.html",
        {
            "form": form,
            "page": page.get_page(request.GET.get("page")),
            "can_register": _register_agencies(request.user).exists(),
            "undocked_count": device_services.undocked_devices(
                Device.objects.visible_to(request.user)
            ).count(),
            "undocked_days": device_services.undocked_days(),
        },
    )


@require_GET
def device_undocked(request):
    """Devices not docked for QC_DEVICE_UNDOCKED_DAYS days (未按期对接), for the custodian."""
    devices = device_services.undocked_devices(
        _devices().visible_to(request.user)
    ).prefetch_related(device_services.current_assignments_prefetch())
    page = Paginator(devices, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for device in page.object_list:
        device.silent_days = (now - device.docked_or_registered).days
    return render(
        request,
        "web/device_undocked.html",
        {"page": page, "undocked_days": device_services.undocked_days()},
    )


# --- registering -------------------------------------------------------------------------------


def _register_agencies(user: "User"):
    """The agencies in which the user may register devices."""
    agencies = agencies_visible_to(user).order_by("level", "code")
    # The role once (the table without an object), then every agency of the scope.
    if not caps.can(user, caps.DEVICES_MANAGE):
        return agencies.none()
    return agencies


@require_http_methods(["GET", "POST"])
def device_create(request):
    agencies = _register_agencies(request.user)
    if not agencies.exists():
        raise PermissionDenied("只有记录管理专人、机构负责人或市级管理员可以登记设备")
    form = DeviceForm(agencies, request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = dict(form.cleaned_data)
        device_services.require_device_manager(request.user, data["agency"])
        try:
            device = create_device(request.user, **data)
        except ValidationError as e:
            _add_errors(form, e)
        else:
            messages.success(request, f"已登记设备“{device}”。")
            return redirect("device_detail", device.pk)
    status = 400 if form.is_bound else 200
    return render(request, "web/device_form.html", {"form": form}, status=status)


# --- the device page ---------------------------------------------------------------------------


def _history(device) -> list[Entry]:
    """The device's ledger events in words: the latest HISTORY_SHOWN (dockings add up)."""
    events = reversed(
        Event.objects.for_object(device).select_related("actor").order_by("-seq")[:HISTORY_SHOWN]
    )
    return [
        Entry(
            seq=event.seq,
            time=event.time,
            actor=str(event.actor) if event.actor else "系统",
            action=label_of(event.action),
            code=event.action,
            details=_details(event),
            hash=event.hash,
        )
        for event in events
    ]


def _details(event) -> list[str]:
    body = json.loads(event.body)
    status = dict(Device.Status.choices)
    if event.action == Action.DEVICE_ASSIGNED:
        return [f"领用人：{body['officer']}，{body['starts_on']} 至 {body['ends_on'] or '长期'}"]
    if event.action == Action.DEVICE_ASSIGNMENT_ENDED:
        return [f"领用人：{body['officer']}，归还日期 {body['ends_on']}"]
    if event.action == Action.DEVICE_CLOCK_OFFSET_SET:
        lines = [f"{body['before']} 秒 → {body['after']} 秒"]
        return lines + ([f"测量说明：{body['note']}"] if body.get("note") else [])
    if event.action == Action.DEVICE_STATUS_CHANGED:
        line = f"{status.get(body['from'], body['from'])} → {status.get(body['to'], body['to'])}"
        return [line + (f"（{body['note']}）" if body.get("note") else "")]
    if event.action == Action.DEVICE_MAINTENANCE_ADDED:
        return [f"{body['performed_on']} {body['performed_by']}：{body['description']}"]
    if event.action == Action.DEVICE_DOCKED:
        return [f"来源：{SOURCES.get(body.get('source'), body.get('source'))}"]
    return []


def _marked(user: "User", paginator, request):
    """The page of segments, each marked whether its thumbnail may be shown (A24)."""
    page = paginator.get_page(request.GET.get("page"))
    mark_allowed(user, page.object_list)
    return page


def _render_detail(request, device, status=200, **bound):
    user = request.user
    can_manage = caps.can(user, caps.DEVICES_MANAGE, device.agency)
    segments = (
        Segment.objects.visible_to(user)
        .filter(device=device)
        .select_related("officer", "act__subject")
        .order_by(F("started_at").desc(nulls_last=True), "-pk")
    )
    forms = {}
    if can_manage:
        forms = {
            "assign_form": AssignForm(device),
            "end_form": EndAssignmentForm(initial={"ends_on": timezone.localdate()}),
            "clock_form": ClockOffsetForm(initial={"seconds": device.clock_offset_seconds}),
            "status_form": StatusForm(initial={"status": device.status}),
            "maintenance_form": MaintenanceForm(),
        }
        forms.update(bound)
    today = timezone.localdate()
    assignments = list(device.assignments.select_related("officer__agency"))
    for a in assignments:
        a.in_force = a.starts_on <= today and (a.ends_on is None or a.ends_on >= today)
    return render(
        request,
        "web/device_detail.html",
        {
            "device": device,
            "can_manage": can_manage,
            "assignments": assignments,
            "current": next((a for a in assignments if a.in_force), None),
            "maintenance": device.maintenance.select_related("recorded_by"),
            "segments": _marked(user, Paginator(segments, SEGMENTS_PER_PAGE), request),
            "history": _history(device),
            **forms,
        },
        status=status,
    )


@require_GET
def device_detail(request, pk):
    device = get_visible_or_404(_devices(), request.user, pk=pk)
    return _render_detail(request, device)


def _change(request, pk):
    """The device for a change, after the scope (404) and role (403) checks."""
    device = get_visible_or_404(_devices(), request.user, pk=pk)
    device_services.require_device_manager(request.user, device.agency)
    return device


def _apply(request, device, form, form_name, action, success):
    """Run a change from a valid form; errors go back onto the form (400)."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as e:
            _add_errors(form, e)
        else:
            messages.success(request, success)
            return redirect("device_detail", device.pk)
    messages.error(request, "提交的内容有误，请查看表单中的提示。")
    return _render_detail(request, device, status=400, **{form_name: form})


@require_POST
def device_assign(request, pk):
    device = _change(request, pk)
    form = AssignForm(device, request.POST)
    return _apply(
        request,
        device,
        form,
        "assign_form",
        lambda d: assign_device(request.user, device, d["officer"], d["starts_on"], d["ends_on"]),
        "已登记设备领用。",
    )


@require_POST
def device_assignment_end(request, pk, assignment_pk):
    device = _change(request, pk)
    # The device was fetched within the user's scope; its assignments are therefore in scope too.
    assignment = (
        DeviceAssignment.objects.filter(device=device, pk=assignment_pk)
        .select_related("device__agency", "officer")
        .first()
    )
    if assignment is None:
        raise Http404("对象不存在")
    form = EndAssignmentForm(request.POST)
    return _apply(
        request,
        device,
        form,
        "end_form",
        lambda d: device_services.end_device_assignment(request.user, assignment, d["ends_on"]),
        f"已登记 {assignment.officer} 归还设备。",
    )


@require_POST
def device_clock(request, pk):
    device = _change(request, pk)
    form = ClockOffsetForm(request.POST)
    return _apply(
        request,
        device,
        form,
        "clock_form",
        lambda d: set_device_clock_offset(request.user, device, d["seconds"], d["note"]),
        "已保存时钟偏差。此后导入的文件按新的偏差校正时间。",
    )


@require_POST
def device_status(request, pk):
    device = _change(request, pk)
    form = StatusForm(request.POST)
    return _apply(
        request,
        device,
        form,
        "status_form",
        lambda d: device_services.change_device_status(
            request.user, device, d["status"], d["note"]
        ),
        "已变更设备状态。",
    )


@require_POST
def device_maintenance_add(request, pk):
    device = _change(request, pk)
    form = MaintenanceForm(request.POST)
    return _apply(
        request,
        device,
        form,
        "maintenance_form",
        lambda d: device_services.add_device_maintenance(request.user, device, **d),
        "已登记维护记录。",
    )
