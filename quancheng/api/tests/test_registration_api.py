"""GET and POST /api/v1/acts/{id}/registration (A21)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quancheng.cases.models import Act
from quancheng.ledger.models import Event
from quancheng.registration.models import ActRegistration, LateRegistrationRequest

from .client import Api

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def act_0930(agency, subject, officer, colleague):
    """Ended 2026-09-30 16:00 Shanghai: due by the end of 2026-10-09."""
    ended = dt.datetime(2026, 9, 30, 16, 0, tzinfo=SH)
    act = Act.objects.create(
        agency=agency,
        kind=Act.Kind.INSPECTION,
        started_at=ended - dt.timedelta(hours=1),
        ended_at=ended,
        place="渝中区邹容路100号",
        subject=subject,
    )
    act.officers.set([officer, colleague])
    return act


def _at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SH), tick=False)


def test_get_shows_the_deadline(api_as, officer, act_0930):
    with _at(2026, 10, 8, 9, 0):
        response = api_as(officer).get(f"/acts/{act_0930.pk}/registration")
    assert response.status_code == 200
    body = response.json()
    assert body["registered"] is False and body["on_time"] is None
    assert body["deadline"] == "2026-10-09"
    assert body["due_by"] == "2026-10-10T00:00:00+08:00"
    assert body["deadline_provisional"] is False
    assert body["overdue"] is False
    assert body["late_requests"] == []


def test_registering_with_open_errors_needs_an_explicit_confirmation(api_as, custodian, act_0930):
    events = Event.objects.count()
    with _at(2026, 10, 9, 18, 0):
        response = api_as(custodian).post(
            f"/acts/{act_0930.pk}/registration", {"note": "采集站导入"}
        )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "open_findings" and "confirm_open_findings" in body["message"]
    assert any("未见任何音像记录" in m for m in body["fields"]["open_findings"])
    assert not ActRegistration.objects.exists() and Event.objects.count() == events


def test_custodian_registers(api_as, custodian, act_0930):
    with _at(2026, 10, 9, 18, 0):
        response = api_as(custodian).post(
            f"/acts/{act_0930.pk}/registration",
            {"note": "采集站导入", "confirm_open_findings": True},
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["registered"] is True and body["on_time"] is True
    assert body["registered_by"]["username"] == custodian.username
    assert body["registered_at"] == "2026-10-09T18:00:00+08:00"
    assert body["note"] == "采集站导入"
    assert Event.objects.for_object(act_0930).last().action == "registration.registered"


def test_officer_token_is_refused(api_as, officer, act_0930):
    with _at(2026, 10, 8, 9, 0):
        response = api_as(officer).post(f"/acts/{act_0930.pk}/registration", {})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "记录管理专人" in response.json()["message"]
    assert not ActRegistration.objects.exists()


def test_late_without_approval_is_a_json_error(api_as, custodian, act_0930):
    with _at(2026, 10, 12, 9, 0):
        response = api_as(custodian).post(f"/acts/{act_0930.pk}/registration", {})
        assert api_as(custodian).get(f"/acts/{act_0930.pk}/registration").json()["overdue"]
    assert response.status_code == 400
    assert response.json()["code"] == "late_without_approval"
    assert "事先批准" in response.json()["message"]
    assert not ActRegistration.objects.exists()


def test_late_requests_are_listed(api_as, officer, act_0930):
    LateRegistrationRequest.objects.create(
        act=act_0930, requested_by=officer, explanation="记录仪故障"
    )
    body = api_as(officer).get(f"/acts/{act_0930.pk}/registration").json()
    [late] = body["late_requests"]
    assert late["status"] == "pending" and late["status_label"] == "待审批"
    assert late["explanation"] == "记录仪故障" and late["decided_by"] is None


def test_outsider_gets_404(api_as, outsider, act_0930):
    other = api_as(outsider)
    assert other.get(f"/acts/{act_0930.pk}/registration").status_code == 404
    response = other.post(f"/acts/{act_0930.pk}/registration", {})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not ActRegistration.objects.exists()


def test_bad_input(api_as, custodian, act_0930):
    api = api_as(custodian)
    response = api.post(f"/acts/{act_0930.pk}/registration", {"note": 1, "extra": True})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"note", "extra"}
    assert api.get("/acts/999999/registration").status_code == 404
    assert api.get("/acts/abc/registration").status_code in (404, 422)
    assert Api(None).get(f"/acts/{act_0930.pk}/registration").status_code == 401
