"""Devices (设备) for terminals and docking workstations: lists, assignments, docking reports.

A docking workstation (采集工作站) reports each camera it has docked with
``POST /devices/{id}/docked``; the dock ingest and uploads with a device token record docking on
their own (docs/devices.md).
"""

import datetime as dt
from typing import Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from quancheng.orgs import capabilities as caps
from quancheng.orgs.devices import current_assignments_prefetch, note_devices_docked
from quancheng.orgs.models import Device
from quancheng.orgs.scoping import get_visible_or_404

from . import responses
from .errors import error_response
from .schemas import Input, InputDateTime, LocalDateTime, Paging
from .scope import page

router = Router(tags=["设备"])

DeviceKind = Literal[*Device.Kind.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
DeviceStatus = Literal[*Device.Status.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
# A workstation's clock may run a little ahead of the server's; more than this is refused.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


class AssignmentOut(Schema):
    id: int
    officer_id: int
    officer_username: str
    officer_name: str
    starts_on: dt.date
    ends_on: dt.date | None


class DeviceOut(Schema):
    id: int
    agency_id: int
    kind: DeviceKind
    serial_number: str
    name: str
    status: DeviceStatus
    clock_offset_seconds: int = Field(description="设备时钟减去北京时间（秒）")
    last_docked_at: LocalDateTime | None
    current_officer_id: int | None = Field(None, description="今日的领用人")


class DeviceDetailOut(DeviceOut):
    assignments: list[AssignmentOut]


class DevicePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DeviceOut]


class DeviceFilters(Paging):
    kind: DeviceKind | None = None
    status: DeviceStatus | None = None
    serial_number: str | None = Field(None, max_length=64, description="设备编号（精确匹配）")


class DockedIn(Input):
    docked_at: InputDateTime | None = Field(None, description="对接时间（默认为收到报告的时间）")


def _device(device: Device, assignments=None) -> dict:
    current = getattr(device, "current", None)
    out = {
        "id": device.pk,
        "agency_id": device.agency_id,
        "kind": device.kind,
        "serial_number": device.serial_number,
        "name": device.name,
        "status": device.status,
        "clock_offset_seconds": device.clock_offset_seconds,
        "last_docked_at": device.last_docked_at,
        "current_officer_id": current[0].officer_id if current else None,
    }
    if assignments is not None:
        out["assignments"] = [
            {
                "id": a.pk,
                "officer_id": a.officer_id,
                "officer_username": a.officer.get_username(),
                "officer_name": a.officer.full_name,
                "starts_on": a.starts_on,
                "ends_on": a.ends_on,
            }
            for a in assignments
        ]
    return out


def _visible(request):
    return Device.objects.visible_to(request.user).prefetch_related(current_assignments_prefetch())


@router.get("/devices", response={200: DevicePage, **responses.LIST}, summary="设备列表")
def list_devices(request, filters: Query[DeviceFilters]):
    devices = _visible(request).order_by("agency__code", "serial_number")
    if filters.kind:
        devices = devices.filter(kind=filters.kind)
    if filters.status:
        devices = devices.filter(status=filters.status)
    if filters.serial_number:
        devices = devices.filter(serial_number=filters.serial_number)
    result = page(devices, filters)
    result["items"] = [_device(d) for d in result["items"]]
    return result


@router.get(
    "/devices/{device_id}",
    response={200: DeviceDetailOut, **responses.READ},
    summary="设备详情（含领用记录）",
)
def get_device(request, device_id: int):
    device = get_visible_or_404(_visible(request), request.user, pk=device_id)
    return _device(device, device.assignments.select_related("officer"))


@router.post(
    "/devices/{device_id}/docked",
    response={200: DeviceOut, **responses.CHANGE},
    summary="报告设备已对接（采集工作站）",
    description="把设备的最近对接时间向后推（早于已记录的时间不改变任何东西），记入账本。",
)
def post_docked(request, device_id: int, payload: DockedIn | None = None):
    """Moves the device's last docking time forward (an earlier time than the recorded one
    changes nothing); a ledger event ``device.docked``."""
    device = get_visible_or_404(
        _visible(request).select_related("agency"), request.user, pk=device_id
    )
    caps.require(request.user, caps.DEVICES_REPORT_DOCKED, device)
    at = (payload.docked_at if payload else None) or timezone.now()
    if at > timezone.now() + FUTURE_TOLERANCE:
        return error_response(
            400, "docked_in_future", "对接时间晚于当前时间", {"docked_at": ["对接时间晚于当前时间"]}
        )
    note_devices_docked(
        request.user, [device], source="workstation", at=at, via=getattr(request, "device", None)
    )
    device.refresh_from_db(fields=["last_docked_at"])
    return _device(device)
