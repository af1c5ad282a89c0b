"""Device use cases (A19): status, assignments, maintenance, docking, and undocked devices."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from django_tasks import TaskResultStatus

from quancheng.alerts.models import Alert
from quancheng.ledger.models import Event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.devices import (
    add_device_maintenance,
    change_device_status,
    end_device_assignment,
    note_devices_docked,
    raise_undocked_alerts,
    undocked_devices,
)
from quancheng.orgs.models import Device
from quancheng.orgs.services import assign_device, create_device, set_device_clock_offset
from quancheng.orgs.tasks import check_undocked_devices

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)  # type: ignore[misc]  # args: year..second, never tzinfo


def _can_manage(user, agency) -> bool:
    return caps.can(user, caps.DEVICES_MANAGE, agency)


@pytest.fixture
def camera(custodian, agency):
    return create_device(custodian, agency=agency, kind="body_camera", serial_number="DSJ-001")


def _last_event(device):
    event = Event.objects.for_object(device).last()
    return event.action, json.loads(event.body)


def test_only_custodian_head_and_city_admin_manage_devices(
    agency, other_agency, officer, custodian, head, commission, auditor, city_admin
):
    assert _can_manage(custodian, agency)
    assert _can_manage(head, agency)
    assert _can_manage(city_admin, agency)
    assert _can_manage(city_admin, other_agency)
    assert not _can_manage(custodian, other_agency)
    for reader in (officer, commission, auditor):
        assert not _can_manage(reader, agency)


def test_status_change_is_recorded_with_its_reason(custodian, camera):
    change_device_status(custodian, camera, Device.Status.UNDER_REPAIR, "镜头进水")
    camera.refresh_from_db()
    assert camera.status == "under_repair"
    assert _last_event(camera) == (
        "device.status_changed",
        {"from": "in_service", "to": "under_repair", "note": "镜头进水"},
    )
    with pytest.raises(ValidationError):
        change_device_status(custodian, camera, Device.Status.UNDER_REPAIR, "再次")


def test_status_change_outside_the_scope_is_refused(outsider, camera):
    # The table's refusal policy: outside the scope, the device does not exist (404).
    with pytest.raises(Http404):
        change_device_status(outsider, camera, Device.Status.RETIRED, "")
    camera.refresh_from_db()
    assert camera.status == "in_service"


def test_a_device_not_in_service_cannot_be_issued(custodian, camera, officer):
    change_device_status(custodian, camera, Device.Status.RETIRED, "报废")
    camera.refresh_from_db()
    with pytest.raises(ValidationError):
        assign_device(custodian, camera, officer, dt.date(2026, 1, 1))
    assert not camera.assignments.exists()


def test_a_device_is_only_issued_within_its_district(custodian, camera, outsider):
    with pytest.raises(ValidationError):
        assign_device(custodian, camera, outsider, dt.date(2026, 1, 1))


def test_ending_an_assignment(custodian, camera, officer, colleague):
    assignment = assign_device(custodian, camera, officer, dt.date(2026, 1, 1))
    end_device_assignment(custodian, assignment, dt.date(2026, 3, 31))
    assignment.refresh_from_db()
    assert assignment.ends_on == dt.date(2026, 3, 31)
    action, body = _last_event(camera)
    assert action == "device.assignment_ended"
    assert body["officer"] == "zhangwei" and body["ends_on"] == "2026-03-31"
    assert camera.officer_on(dt.date(2026, 4, 1)) is None
    # The device can now go to the colleague; ending an ended assignment is refused.
    assign_device(custodian, camera, colleague, dt.date(2026, 4, 1))
    with pytest.raises(ValidationError):
        end_device_assignment(custodian, assignment, dt.date(2026, 5, 1))


def test_an_assignment_cannot_end_before_it_starts(custodian, camera, officer):
    assignment = assign_device(custodian, camera, officer, dt.date(2026, 1, 10))
    with pytest.raises(ValidationError):
        end_device_assignment(custodian, assignment, dt.date(2026, 1, 9))
    assignment.refresh_from_db()
    assert assignment.ends_on is None


def test_clock_offset_keeps_the_measurement_note(custodian, camera):
    set_device_clock_offset(custodian, camera, -42, "与授时中心比对，设备慢42秒")
    assert _last_event(camera) == (
        "device.clock_offset_set",
        {"before": 0, "after": -42, "note": "与授时中心比对，设备慢42秒"},
    )


def test_maintenance_is_recorded(custodian, camera):
    record = add_device_maintenance(
        custodian,
        camera,
        performed_on=dt.date(2026, 2, 3),
        kind="battery",
        description="更换电池",
        performed_by="厂家技术员 陈工",
    )
    assert record.recorded_by == custodian
    action, body = _last_event(camera)
    assert action == "device.maintenance_added"
    assert body["performed_by"] == "厂家技术员 陈工" and body["kind"] == "battery"


def test_maintenance_without_content_is_refused_and_writes_nothing(custodian, camera):
    before = Event.objects.count()
    with pytest.raises(ValidationError) as e:
        add_device_maintenance(
            custodian,
            camera,
            performed_on=dt.date(2026, 2, 3),
            kind="nonsense",
            description=" ",
            performed_by="",
        )
    assert set(e.value.message_dict) == {"kind", "description", "performed_by"}
    assert Event.objects.count() == before
    assert not camera.maintenance.exists()


def test_docking_only_moves_forward(custodian, camera):
    note_devices_docked(custodian, [camera], source="ingest", at=at(2026, 3, 2, 9, 0))
    camera.refresh_from_db()
    assert camera.last_docked_at == at(2026, 3, 2, 9, 0)
    assert _last_event(camera)[0] == "device.docked"
    count = Event.objects.count()
    # An older report changes nothing and writes nothing.
    assert note_devices_docked(custodian, [camera], source="ingest", at=at(2026, 3, 1)) == []
    camera.refresh_from_db()
    assert camera.last_docked_at == at(2026, 3, 2, 9, 0)
    assert Event.objects.count() == count


@pytest.fixture
def fleet(custodian, agency, other_agency, city_admin):
    """Registered on 2026-03-01: cameras docked at various times, plus devices not counted."""
    with time_machine.travel(at(2026, 3, 1, 8, 0), tick=False):
        make = lambda serial, kind="body_camera", agency=agency: create_device(  # noqa: E731
            city_admin, agency=agency, kind=kind, serial_number=serial
        )
        devices = {
            "recent": make("YZ-1"),
            "stale": make("YZ-2"),
            "never": make("YZ-3"),
            "terminal": make("YZ-T1", kind="terminal"),
            "workstation": make("YZ-W1", kind="workstation"),
            "repair": make("YZ-4"),
            "other": make("JB-1", agency=other_agency),
        }
    note_devices_docked(custodian, [devices["recent"]], source="ingest", at=at(2026, 3, 9, 17))
    note_devices_docked(custodian, [devices["stale"]], source="ingest", at=at(2026, 3, 2, 10))
    change_device_status(custodian, devices["repair"], Device.Status.UNDER_REPAIR, "维修")
    return devices


def test_undocked_devices_are_those_silent_for_n_days(fleet, settings, custodian):
    settings.QC_DEVICE_UNDOCKED_DAYS = 7
    now = at(2026, 3, 10, 9, 0)
    serials = {d.serial_number for d in undocked_devices(now=now)}
    # Docked 8 days ago; never docked since registration 9 days ago; a terminal likewise.
    # Not: docked yesterday, a workstation, a device under repair.
    assert serials == {"YZ-2", "YZ-3", "YZ-T1", "JB-1"}
    visible = Device.objects.visible_to(custodian)
    assert {d.serial_number for d in undocked_devices(visible, now=now)} == {
        "YZ-2",
        "YZ-3",
        "YZ-T1",
    }
    # A week after registration nothing is overdue yet.
    assert not undocked_devices(now=at(2026, 3, 7, 9, 0)).exists()
    settings.QC_DEVICE_UNDOCKED_DAYS = 30
    assert not undocked_devices(now=now).exists()


def test_the_daily_check_raises_one_alert_per_undocked_device(fleet, settings):
    settings.QC_DEVICE_UNDOCKED_DAYS = 7
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        assert raise_undocked_alerts() == 4
        # The next day's check does not raise them twice (open alerts are deduplicated).
        assert raise_undocked_alerts() == 4
    alerts = Alert.objects.filter(kind="device.undocked")
    assert alerts.count() == 4
    stale = alerts.get(object_id=str(fleet["stale"].pk))
    assert stale.roles == ["custodian"]
    assert stale.severity == "warning"
    assert stale.agency == fleet["stale"].agency
    assert "YZ-2" in stale.title and "2026-03-02 10:00" in stale.title
    assert stale.detail["days"] == 7
    never = alerts.get(object_id=str(fleet["never"].pk))
    assert "从未对接" in never.title
    assert Event.objects.filter(action="alert.raised").count() == 4


def test_the_check_runs_as_a_queued_task(fleet, settings, monkeypatch):
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    settings.QC_DEVICE_UNDOCKED_DAYS = 7
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        result = check_undocked_devices.enqueue()
        call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 4
    assert Alert.objects.filter(kind="device.undocked").count() == 4
