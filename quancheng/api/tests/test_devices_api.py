"""GET /devices, GET /devices/{id}, POST /devices/{id}/docked (docking workstations)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from quancheng.ledger.models import Event
from quancheng.orgs.models import Device
from quancheng.orgs.services import assign_device, create_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def camera(custodian, agency, officer):
    device = create_device(custodian, agency=agency, kind="body_camera", serial_number="DSJ-001")
    assign_device(custodian, device, officer, timezone.localdate() - dt.timedelta(days=3))
    return device


@pytest.fixture
def jb_camera(outsider, other_agency):
    return create_device(outsider, agency=other_agency, kind="body_camera", serial_number="JB-001")


@pytest.fixture
def workstation(custodian, agency):
    return create_device(custodian, agency=agency, kind="workstation", serial_number="CJZ-01")


def test_the_list_is_scoped_and_filtered(api_as, officer, camera, jb_camera, workstation):
    api = api_as(officer)
    body = api.get("/devices").json()
    assert body["count"] == 2
    assert {d["serial_number"] for d in body["items"]} == {"DSJ-001", "CJZ-01"}
    cam = next(d for d in body["items"] if d["serial_number"] == "DSJ-001")
    assert cam["current_officer_id"] == officer.pk
    assert cam["status"] == "in_service" and cam["last_docked_at"] is None
    assert api.get("/devices", {"kind": "workstation"}).json()["count"] == 1
    assert api.get("/devices", {"serial_number": "JB-001"}).json()["count"] == 0
    assert api.get("/devices", {"kind": "toaster"}).status_code == 422


def test_the_detail_carries_the_assignments(api_as, officer, camera):
    body = api_as(officer).get(f"/devices/{camera.pk}").json()
    assert body["serial_number"] == "DSJ-001"
    assert body["assignments"] == [
        {
            "id": camera.assignments.get().pk,
            "officer_id": officer.pk,
            "officer_username": "zhangwei",
            "officer_name": "张伟",
            "starts_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
            "ends_on": None,
        }
    ]


def test_another_district_gets_404(api_as, outsider, camera):
    api = api_as(outsider)
    for response in (
        api.get(f"/devices/{camera.pk}"),
        api.post(f"/devices/{camera.pk}/docked", {}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Device.objects.get(pk=camera.pk).last_docked_at is None


def test_a_workstation_reports_a_docking(api_as, custodian, camera, workstation):
    api = api_as(custodian, device=workstation)
    moment = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=3)
    response = api.post(f"/devices/{camera.pk}/docked", {"docked_at": moment.isoformat()})
    assert response.status_code == 200
    assert dt.datetime.fromisoformat(response.json()["last_docked_at"]) == moment
    event = Event.objects.for_object(camera).get(action="device.docked")
    body = json.loads(event.body)
    assert body["source"] == "workstation" and body["via"] == "CJZ-01"
    assert event.actor == custodian
    # Without a time the report means now.
    response = api.post(f"/devices/{camera.pk}/docked")
    assert response.status_code == 200
    assert dt.datetime.fromisoformat(response.json()["last_docked_at"]) > moment


def test_a_docking_in_the_future_or_without_offset_is_refused(api_as, custodian, camera):
    api = api_as(custodian)
    future = timezone.now() + dt.timedelta(hours=1)
    response = api.post(f"/devices/{camera.pk}/docked", {"docked_at": future.isoformat()})
    assert response.status_code == 400
    assert response.json()["code"] == "docked_in_future"
    response = api.post(f"/devices/{camera.pk}/docked", {"docked_at": "2026-03-01T09:00:00"})
    assert response.status_code == 400
    assert response.json()["code"] == "naive_datetime"
    assert not Event.objects.filter(action="device.docked").exists()


def test_read_only_roles_cannot_report_dockings(api_as, commission, camera):
    response = api_as(commission).post(f"/devices/{camera.pk}/docked", {})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Device.objects.get(pk=camera.pk).last_docked_at is None


def test_no_token_is_401(client, camera):
    response = client.get("/api/v1/devices")
    assert response.status_code == 401


def test_a_report_needs_a_json_body_even_if_empty(api_as, custodian, camera):
    api = api_as(custodian)
    response = api.client.post(f"/api/v1/devices/{camera.pk}/docked", headers=api._headers())
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert Device.objects.get(pk=camera.pk).last_docked_at is None
