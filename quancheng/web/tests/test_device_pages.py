"""The device pages: list, undocked list, detail, and the custodian's forms (A6, A19)."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.ledger.models import Event
from quancheng.orgs.devices import note_devices_docked
from quancheng.orgs.models import Device, DeviceAssignment
from quancheng.orgs.services import assign_device, create_device
from quancheng.records.tests.ingest_scene import make_segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def camera(custodian, agency, officer):
    device = create_device(
        custodian, agency=agency, kind="body_camera", serial_number="DSJ-001", name="1号记录仪"
    )
    assign_device(custodian, device, officer, timezone.localdate() - dt.timedelta(days=10))
    return device


@pytest.fixture
def jb_camera(outsider, other_agency):
    return create_device(outsider, agency=other_agency, kind="body_camera", serial_number="JB-001")


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def _events(device, action):
    return [json.loads(e.body) for e in Event.objects.for_object(device).filter(action=action)]


# --- list -------------------------------------------------------------------------------------


def test_the_list_shows_the_districts_devices_with_officer_and_docking(
    client, custodian, camera, jb_camera
):
    note_devices_docked(custodian, [camera], source="ingest")
    page = _get(client, custodian, reverse("device_list")).content.decode()
    assert "DSJ-001" in page and "张伟" in page and "执法记录仪" in page and "在用" in page
    assert (
        timezone.localtime(Device.objects.get(pk=camera.pk).last_docked_at).strftime(
            "%Y-%m-%d %H:%M"
        )
        in page
    )
    assert "JB-001" not in page
    assert reverse("device_create") in page


def test_the_list_filters_by_kind_status_and_serial(client, custodian, camera, agency):
    create_device(custodian, agency=agency, kind="terminal", serial_number="ZD-009")
    page = _get(client, custodian, reverse("device_list"), kind="terminal").content.decode()
    assert "ZD-009" in page and "DSJ-001" not in page
    page = _get(client, custodian, reverse("device_list"), q="dsj").content.decode()
    assert "DSJ-001" in page and "ZD-009" not in page
    page = _get(client, custodian, reverse("device_list"), status="retired").content.decode()
    assert "没有符合条件的设备" in page


def test_the_city_sees_every_district_and_filters_by_agency(
    client, city_admin, camera, jb_camera, other_agency
):
    page = _get(client, city_admin, reverse("device_list")).content.decode()
    assert "DSJ-001" in page and "JB-001" in page
    page = _get(client, city_admin, reverse("device_list"), agency=other_agency.pk)
    assert "JB-001" in page.content.decode() and "DSJ-001" not in page.content.decode()


def test_readers_see_the_list_without_the_register_button(client, commission, officer, camera):
    for reader in (commission, officer):
        page = _get(client, reader, reverse("device_list")).content.decode()
        assert "DSJ-001" in page
        assert reverse("device_create") not in page


def test_the_list_costs_the_same_queries_for_many_devices(
    client, custodian, agency, officer, django_assert_max_num_queries
):
    client.force_login(custodian)
    for i in range(3):
        d = create_device(custodian, agency=agency, kind="body_camera", serial_number=f"A-{i}")
        assign_device(custodian, d, officer, timezone.localdate())
    with django_assert_max_num_queries(14) as few:
        assert client.get(reverse("device_list")).status_code == 200
    for i in range(20):
        d = create_device(custodian, agency=agency, kind="body_camera", serial_number=f"B-{i}")
        assign_device(custodian, d, officer, timezone.localdate())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("device_list")).status_code == 200


# --- undocked -----------------------------------------------------------------------------------


def test_the_undocked_list_names_the_silent_devices(client, custodian, agency, settings):
    settings.QC_DEVICE_UNDOCKED_DAYS = 7
    moment = timezone.now()
    with time_machine.travel(moment - dt.timedelta(days=30), tick=False):
        silent = create_device(custodian, agency=agency, kind="body_camera", serial_number="S-1")
        fresh = create_device(custodian, agency=agency, kind="body_camera", serial_number="F-1")
    note_devices_docked(custodian, [silent], source="ingest", at=moment - dt.timedelta(days=9))
    note_devices_docked(custodian, [fresh], source="ingest", at=moment - dt.timedelta(days=1))
    page = _get(client, custodian, reverse("device_undocked")).content.decode()
    assert "S-1" in page and "F-1" not in page
    assert "超过 7 天未对接" in page and "9 天" in page
    listing = _get(client, custodian, reverse("device_list")).content.decode()
    assert 'class="count-badge">1<' in listing


def test_the_undocked_list_is_scoped(client, custodian, outsider, other_agency, settings):
    settings.QC_DEVICE_UNDOCKED_DAYS = 7
    with time_machine.travel(timezone.now() - dt.timedelta(days=30), tick=False):
        create_device(outsider, agency=other_agency, kind="body_camera", serial_number="JB-9")
    assert "JB-9" not in _get(client, custodian, reverse("device_undocked")).content.decode()
    assert "JB-9" in _get(client, outsider, reverse("device_undocked")).content.decode()


# --- detail -------------------------------------------------------------------------------------


def test_the_detail_shows_assignments_maintenance_segments_and_history(
    client, custodian, camera, agency, officer
):
    older = make_segment(custodian, agency, start=timezone.now() - dt.timedelta(days=2))
    newer = make_segment(custodian, agency, start=timezone.now() - dt.timedelta(hours=2))
    for segment in (older, newer):
        segment.device = camera
        segment.save(update_fields=["device"])
    page = _get(client, custodian, reverse("device_detail", args=[camera.pk])).content.decode()
    assert "领用记录" in page and "张伟" in page and "当前" in page
    assert "尚无维护记录" in page
    newer_url = reverse("segment_detail", args=[newer.pk])
    older_url = reverse("segment_detail", args=[older.pk])
    assert newer_url in page and older_url in page
    assert page.index(newer_url) < page.index(older_url)  # latest first
    assert "登记设备" in page and "领用" in page  # the history in words
    for form in ("device_assign", "device_clock", "device_status", "device_maintenance"):
        assert reverse(form, args=[camera.pk]) in page


def test_another_district_gets_404(client, outsider, camera):
    client.force_login(outsider)
    assert client.get(reverse("device_detail", args=[camera.pk])).status_code == 404
    response = client.post(
        reverse("device_status", args=[camera.pk]), {"status": "retired", "note": "x"}
    )
    assert response.status_code == 404
    camera.refresh_from_db()
    assert camera.status == "in_service"


@pytest.mark.parametrize("reader", ["officer", "commission", "auditor"])
def test_read_only_roles_see_no_forms_and_cannot_change(client, camera, reader, request):
    user = request.getfixturevalue(reader)
    client.force_login(user)
    page = client.get(reverse("device_detail", args=[camera.pk]))
    assert page.status_code == 200
    assert reverse("device_status", args=[camera.pk]) not in page.content.decode()
    before = Event.objects.count()
    posts = {
        "device_status": {"status": "retired", "note": "x"},
        "device_clock": {"seconds": "5", "note": "x"},
        "device_maintenance": {
            "performed_on": "2026-01-01",
            "kind": "repair",
            "performed_by": "x",
            "description": "x",
        },
        "device_assign": {"officer": user.pk, "starts_on": "2030-01-01"},
    }
    for name, data in posts.items():
        assert client.post(reverse(name, args=[camera.pk]), data).status_code == 403
    assignment = camera.assignments.get()
    url = reverse("device_assignment_end", args=[camera.pk, assignment.pk])
    assert client.post(url, {"ends_on": "2030-01-01"}).status_code == 403
    assert client.post(reverse("device_create"), {}).status_code == 403
    assert Event.objects.count() == before


def test_custodian_changes_status_and_clock(client, custodian, camera):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(custodian)
    # Without the CSRF token the change is refused.
    url = reverse("device_status", args=[camera.pk])
    assert csrf_client.post(url, {"status": "under_repair", "note": "x"}).status_code == 403
    client.force_login(custodian)
    page = client.post(url, {"status": "under_repair", "note": "屏幕损坏"}, follow=True)
    assert "已变更设备状态" in page.content.decode() and "维修中" in page.content.decode()
    assert _events(camera, "device.status_changed") == [
        {"from": "in_service", "to": "under_repair", "note": "屏幕损坏"}
    ]
    page = client.post(
        reverse("device_clock", args=[camera.pk]),
        {"seconds": "95", "note": "与授时中心比对，快95秒"},
        follow=True,
    )
    assert "已保存时钟偏差" in page.content.decode()
    camera.refresh_from_db()
    assert camera.clock_offset_seconds == 95
    assert _events(camera, "device.clock_offset_set")[-1]["note"] == "与授时中心比对，快95秒"


def test_the_clock_needs_a_measurement_note(client, custodian, camera):
    client.force_login(custodian)
    response = client.post(reverse("device_clock", args=[camera.pk]), {"seconds": "95"})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    camera.refresh_from_db()
    assert camera.clock_offset_seconds == 0


def test_custodian_ends_an_assignment_and_issues_the_device_again(
    client, custodian, camera, colleague
):
    client.force_login(custodian)
    assignment = camera.assignments.get()
    today = timezone.localdate()
    end_url = reverse("device_assignment_end", args=[camera.pk, assignment.pk])
    page = client.post(end_url, {"ends_on": today.isoformat()}, follow=True).content.decode()
    assert "归还设备" in page
    tomorrow = today + dt.timedelta(days=1)
    page = client.post(
        reverse("device_assign", args=[camera.pk]),
        {"officer": colleague.pk, "starts_on": tomorrow.isoformat()},
        follow=True,
    ).content.decode()
    assert "已登记设备领用" in page
    assert list(camera.assignments.values_list("officer__username", "ends_on")) == [
        ("lina", None),
        ("zhangwei", today),
    ]
    assert len(_events(camera, "device.assigned")) == 2
    assert len(_events(camera, "device.assignment_ended")) == 1


def test_an_overlapping_assignment_is_refused_on_the_form(client, custodian, camera, colleague):
    client.force_login(custodian)
    response = client.post(
        reverse("device_assign", args=[camera.pk]),
        {"officer": colleague.pk, "starts_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert "该设备在此期间已有领用记录" in response.content.decode()
    assert camera.assignments.count() == 1


def test_an_officer_of_another_district_cannot_be_chosen(client, custodian, camera, outsider):
    client.force_login(custodian)
    camera.assignments.update(ends_on=timezone.localdate() - dt.timedelta(days=1))
    response = client.post(
        reverse("device_assign", args=[camera.pk]),
        {"officer": outsider.pk, "starts_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert not DeviceAssignment.objects.filter(officer=outsider).exists()


def test_custodian_adds_maintenance(client, custodian, camera):
    client.force_login(custodian)
    page = client.post(
        reverse("device_maintenance", args=[camera.pk]),
        {
            "performed_on": "2026-02-03",
            "kind": "battery",
            "performed_by": "厂家技术员 陈工",
            "description": "更换电池，续航恢复",
        },
        follow=True,
    ).content.decode()
    assert "已登记维护记录" in page and "更换电池，续航恢复" in page and "厂家技术员 陈工" in page
    assert _events(camera, "device.maintenance_added")[0]["kind"] == "battery"


def test_maintenance_in_the_future_is_refused(client, custodian, camera):
    client.force_login(custodian)
    response = client.post(
        reverse("device_maintenance", args=[camera.pk]),
        {
            "performed_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "kind": "repair",
            "performed_by": "陈工",
            "description": "维修",
        },
    )
    assert response.status_code == 400
    assert "维护日期不能晚于今天" in response.content.decode()
    assert not camera.maintenance.exists()


def test_the_detail_costs_the_same_queries_for_many_segments(
    client, custodian, camera, agency, django_assert_max_num_queries
):
    client.force_login(custodian)

    def add(n):
        for i in range(n):
            s = make_segment(custodian, agency, start=timezone.now() - dt.timedelta(hours=i + 1))
            s.device = camera
            s.save(update_fields=["device"])

    add(2)
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("device_detail", args=[camera.pk])).status_code == 200
    add(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("device_detail", args=[camera.pk])).status_code == 200


# --- registering ------------------------------------------------------------------------------


def test_custodian_registers_a_device(client, custodian, agency):
    client.force_login(custodian)
    page = client.get(reverse("device_create")).content.decode()
    assert "登记设备" in page
    response = client.post(
        reverse("device_create"),
        {"kind": "terminal", "serial_number": " ZD-100 ", "name": "执法终端1", "agency": agency.pk},
    )
    device = Device.objects.get(serial_number="ZD-100")
    assert response.status_code == 302
    assert response["Location"] == reverse("device_detail", args=[device.pk])
    assert _events(device, "device.created")[0]["serial_number"] == "ZD-100"


def test_a_duplicate_serial_is_refused(client, custodian, agency, camera):
    client.force_login(custodian)
    response = client.post(
        reverse("device_create"),
        {"kind": "body_camera", "serial_number": "DSJ-001", "agency": agency.pk},
    )
    assert response.status_code == 400
    assert "该设备编号已登记" in response.content.decode()


def test_a_custodian_cannot_register_in_another_district(client, custodian, other_agency):
    client.force_login(custodian)
    response = client.post(
        reverse("device_create"),
        {"kind": "body_camera", "serial_number": "X-1", "agency": other_agency.pk},
    )
    assert response.status_code == 400
    assert not Device.objects.filter(serial_number="X-1").exists()


def test_the_assign_form_offers_the_districts_officers_only(
    client, custodian, camera, officer, colleague, outsider
):
    page = _get(client, custodian, reverse("device_detail", args=[camera.pk])).content.decode()
    form = page[page.index(reverse("device_assign", args=[camera.pk])) :]
    form = form[: form.index("</form>")]
    assert f'<option value="{officer.pk}"' in form and f'<option value="{colleague.pk}"' in form
    # The custodian holds no enforcement certificate; the outsider is of another district.
    assert f'<option value="{custodian.pk}"' not in form
    assert f'<option value="{outsider.pk}"' not in form
