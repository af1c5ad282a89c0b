"""Device management (设备管理, A19): status, assignments, maintenance, docking, undocked devices.

The records custodian (记录管理专人) manages the devices of the agency (A19); the head and the
city administrator may too. Every change is a ledger event on the device, written in the same
transaction. Creating a device, issuing it and recording its clock offset are in services.py.

Docking (对接): a terminal's upload with a device token and a workstation's
``POST /api/v1/devices/{id}/docked`` call :func:`note_devices_docked`, and the dock ingest its
body in the run's transaction; it moves ``Device.last_docked_at`` forward. Devices of the
docking kinds still in service that have not docked for ``QC_DEVICE_UNDOCKED_DAYS`` days are
listed for the custodian and announced by the daily task
``quancheng.orgs.tasks.check_undocked_devices`` (:data:`device_undocked`, to which the alerts app
answers with a ``device.undocked`` alert). See docs/devices.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction

from . import capabilities as caps
from .models import Device, DeviceAssignment, DeviceMaintenance

if TYPE_CHECKING:
    from quancheng.orgs.models import User

# Sent by the daily check for each undocked device, with ``device`` (its agency selected) and
# ``days`` (QC_DEVICE_UNDOCKED_DAYS); the alerts app raises ``device.undocked``
# (docs/architecture.md, "Hooks between layers").
device_undocked = Signal()


def require_device_manager(user: User, agency) -> None:
    """A19: the custodian manages devices (the head and the city administrator too); officers
    may not issue devices to themselves."""
    caps.require(user, caps.DEVICES_MANAGE, agency)


def current_assignment(device: Device, day: dt.date | None = None) -> DeviceAssignment | None:
    day = day or timezone.localdate()
    return (
        device.assignments.filter(starts_on__lte=day)
        .filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day))
        .select_related("officer")
        .order_by("-starts_on")
        .first()
    )


def current_assignments_prefetch(day: dt.date | None = None) -> models.Prefetch:
    """Each device's assignment in force on ``day`` as ``device.current`` (a list of 0 or 1)."""
    day = day or timezone.localdate()
    return models.Prefetch(
        "assignments",
        queryset=DeviceAssignment.objects.filter(starts_on__lte=day)
        .filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day))
        .select_related("officer")
        .order_by("-starts_on"),
        to_attr="current",
    )


@transaction.atomic(durable=True)
def change_device_status(actor: User, device: Device, status: str, note: str = "") -> Device:
    """In service, under repair, retired (在用、维修中、已报废), with the reason."""
    caps.require(actor, caps.DEVICES_MANAGE, device)
    if status not in Device.Status.values:
        raise ValidationError({"status": "状态无效"})
    device = Device.objects.select_for_update().get(pk=device.pk)
    if status == device.status:
        raise ValidationError({"status": "设备已是该状态"})
    before = device.status
    device.status = status
    device.save(update_fields=["status"])
    record_event(
        actor,
        Action.DEVICE_STATUS_CHANGED,
        device,
        {"from": before, "to": status, "note": note.strip()},
    )
    return device


@transaction.atomic(durable=True)
def end_device_assignment(actor: User, assignment: DeviceAssignment, ends_on: dt.date):
    """The officer handed the device back (归还): the open assignment ends on ``ends_on``."""
    caps.require(actor, caps.DEVICES_MANAGE, assignment.device)
    assignment = DeviceAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.ends_on is not None:
        raise ValidationError({"ends_on": "该领用记录已结束"})
    if ends_on < assignment.starts_on:
        raise ValidationError({"ends_on": "截止日期不能早于起始日期"})
    later = assignment.device.assignments.filter(starts_on__gt=assignment.starts_on)
    if later.filter(starts_on__lte=ends_on).exists():
        raise ValidationError({"ends_on": "截止日期与之后的领用记录重叠"})
    assignment.ends_on = ends_on
    assignment.save(update_fields=["ends_on"])
    record_event(
        actor,
        Action.DEVICE_ASSIGNMENT_ENDED,
        assignment.device,
        {
            "assignment": assignment.pk,
            "officer": assignment.officer.get_username(),
            "starts_on": assignment.starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )
    return assignment


@transaction.atomic(durable=True)
def add_device_maintenance(
    actor: User,
    device: Device,
    *,
    performed_on: dt.date,
    kind: str,
    description: str,
    performed_by: str,
) -> DeviceMaintenance:
    """Record a maintenance of a device (a ledger event)."""
    caps.require(actor, caps.DEVICES_MANAGE, device)
    description, performed_by = description.strip(), performed_by.strip()
    errors = {}
    if kind not in DeviceMaintenance.Kind.values:
        errors["kind"] = "维护类型无效"
    if not description:
        errors["description"] = "请填写维护内容"
    if not performed_by:
        errors["performed_by"] = "请填写维护人"
    if performed_on > timezone.localdate():
        errors["performed_on"] = "维护日期不能晚于今天"
    if errors:
        raise ValidationError(errors)
    record = DeviceMaintenance.objects.create(
        device=device,
        performed_on=performed_on,
        kind=kind,
        description=description,
        performed_by=performed_by,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record_event(
        actor,
        Action.DEVICE_MAINTENANCE_ADDED,
        device,
        {
            "maintenance": record.pk,
            "performed_on": performed_on.isoformat(),
            "kind": kind,
            "description": description,
            "performed_by": performed_by,
        },
    )
    return record


# --- docking (对接) ----------------------------------------------------------------------------


@transaction.atomic(durable=True)
def note_devices_docked(
    actor: User,
    devices: Iterable[Device | None],  # None: an item with no device, skipped
    *,
    source: str,
    at: dt.datetime | None = None,
    via: Device | None = None,
) -> list[Device]:
    """Record that the devices docked at ``at`` (now by default); _note_devices_docked says how."""
    return _note_devices_docked(actor, devices, source=source, at=at, via=via)


def _note_devices_docked(
    actor: User,
    devices: Iterable[Device | None],
    *,
    source: str,
    at: dt.datetime | None = None,
    via: Device | None = None,
) -> list[Device]:
    """Record that the devices docked at ``at`` (now by default): one ledger event each, in the
    caller's transaction (dock ingest records its run and the dockings together).

    ``last_docked_at`` only moves forward, so a late report of an older docking changes nothing
    (and writes nothing).
    """
    require_own_transaction("orgs.devices._note_devices_docked")
    at = at or timezone.now()
    changed = []
    for device in {d.pk: d for d in devices if d is not None}.values():
        before = (
            Device.objects.filter(pk=device.pk).values_list("last_docked_at", flat=True).first()
        )
        if before is not None and before >= at:
            continue
        Device.objects.filter(pk=device.pk).update(last_docked_at=at)
        device.last_docked_at = at
        record_event(
            actor,
            Action.DEVICE_DOCKED,
            device,
            {
                "at": at.isoformat(),
                "before": before.isoformat() if before else None,
                "source": source,
                "via": via.serial_number if via is not None else None,
            },
            agency=device.agency,
        )
        changed.append(device)
    return changed


def undocked_days() -> int:
    return settings.QC_DEVICE_UNDOCKED_DAYS


def undocked_devices(queryset=None, now: dt.datetime | None = None, days: int | None = None):
    """In-service devices of the docking kinds not docked for ``days`` days (never docked: since
    they were registered), the longest silent first."""
    now = now or timezone.now()
    days = undocked_days() if days is None else days
    cutoff = now - dt.timedelta(days=days)
    queryset = Device.objects.all() if queryset is None else queryset
    return (
        queryset.filter(status=Device.Status.IN_SERVICE, kind__in=Device.DOCKING_KINDS)
        .annotate(docked_or_registered=Coalesce("last_docked_at", "created_at"))
        .filter(docked_or_registered__lt=cutoff)
        .order_by("docked_or_registered", "pk")
    )


def raise_undocked_alerts(now: dt.datetime | None = None) -> int:
    """The daily check: announce each undocked device (:data:`device_undocked`: one
    ``device.undocked`` alert each, open alerts not raised twice); how many devices are undocked."""
    now = now or timezone.now()
    days = undocked_days()
    count = 0
    for device in undocked_devices(now=now, days=days).select_related("agency"):
        device_undocked.send(Device, device=device, days=days)
        count += 1
    return count
