import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from quancheng.ledger.models import Event
from quancheng.orgs.services import assign_device, create_device, set_device_clock_offset

pytestmark = pytest.mark.django_db


@pytest.fixture
def camera(city_admin, agency):
    return create_device(city_admin, agency=agency, kind="body_camera", serial_number="DSJ-001")


def test_device_officer_on_a_date(city_admin, camera, officer, colleague):
    assign_device(city_admin, camera, officer, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assign_device(city_admin, camera, colleague, dt.date(2026, 7, 1))
    assert camera.officer_on(dt.date(2025, 12, 31)) is None
    assert camera.officer_on(dt.date(2026, 6, 30)) == officer
    assert camera.officer_on(dt.date(2026, 7, 1)) == colleague
    assert camera.officer_on(dt.date(2030, 1, 1)) == colleague


def test_overlapping_assignments_are_refused(city_admin, camera, officer, colleague):
    assign_device(city_admin, camera, officer, dt.date(2026, 1, 1))
    with pytest.raises(ValidationError):
        assign_device(city_admin, camera, colleague, dt.date(2026, 5, 1), dt.date(2026, 5, 2))
    with pytest.raises(ValidationError):
        assign_device(city_admin, camera, colleague, dt.date(2026, 5, 2), dt.date(2026, 5, 1))


def test_clock_offset_change_is_recorded(city_admin, camera):
    set_device_clock_offset(city_admin, camera, 95)
    camera.refresh_from_db()
    assert camera.clock_offset_seconds == 95
    event = Event.objects.for_object(camera).last()
    assert event.action == "device.clock_offset_set" and '"after":95' in event.body
