"""Admin edits of reference data are ledger events; only staff reach the admin."""

import pytest
from django.urls import reverse

from quancheng.ledger.models import Event
from quancheng.orgs.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(system_admin):
    """Devices and agencies are the system administrator's (三员分立)."""
    return system_admin


def test_adding_a_device_in_the_admin_writes_an_event(client, superuser, agency):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:orgs_device_add"),
        {
            "agency": agency.pk,
            "kind": "body_camera",
            "serial_number": "BC-0001",
            "name": "记录仪1",
            "clock_offset_seconds": 0,
        },
    )
    assert response.status_code == 302
    device = Device.objects.get(serial_number="BC-0001")
    event = Event.objects.for_object(device).get()
    assert event.action == "device.created"
    assert event.actor == superuser


def test_officers_cannot_open_the_admin(client, officer):
    client.force_login(officer)
    response = client.get(reverse("admin:orgs_device_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
