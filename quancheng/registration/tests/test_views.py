"""The registration panel on the act page, its actions, and the list of due and overdue acts."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.ledger.models import Event
from quancheng.lib import confirm
from quancheng.registration.deadlines import working_day_deadline
from quancheng.registration.models import ActRegistration, LateRegistrationRequest

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def national_day_act(make_act):
    return make_act(at(2026, 9, 30, 16, 0))


def _page(client, act) -> str:
    response = client.get(reverse("act_detail", args=[act.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _follow(client, url, data) -> str:
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_panel_shows_the_deadline_and_the_custodians_action(
    client, national_day_act, custodian, clock
):
    clock(at(2026, 10, 8, 9, 0))
    client.force_login(custodian)
    page = _page(client, national_day_act)
    assert "记录登记" in page
    assert "2026-10-09 24:00 前" in page
    assert "待登记" in page
    assert "暂定" not in page
    url = reverse("registration_register", args=[national_day_act.pk])
    assert url in page
    # The inspection has no AV (an error): registering first says what it is registered with.
    events = Event.objects.count()
    asked = client.post(url, {"note": "已入库"})
    text = asked.content.decode()
    assert asked.status_code == 200 and "请确认：登记有未处理违规的执法记录" in text
    assert "未见任何音像记录" in text and "记入登记事件" in text
    assert not ActRegistration.objects.exists() and Event.objects.count() == events
    token = re.search(r'name="confirm" value="([^"]+)"', text).group(1)
    assert 'name="note" value="已入库"' in text  # the note goes again with the confirmation
    page = _follow(client, url, {"note": "已入库", "confirm": token})
    assert "已登记本执法行为的记录。" in page
    event = Event.objects.filter(action="registration.registered").get()
    assert '"open_findings_confirmed":[{' in event.body and "A11-mandatory" in event.body
    assert "已按期登记" in page and "王芳" in page
    # The act's history shows the ledger event in words.
    assert "登记记录" in page


def test_officers_see_no_register_button_and_are_refused(client, national_day_act, officer, clock):
    clock(at(2026, 10, 8, 9, 0))
    client.force_login(officer)
    page = _page(client, national_day_act)
    assert reverse("registration_register", args=[national_day_act.pk]) not in page
    page = _follow(client, reverse("registration_register", args=[national_day_act.pk]), {})
    assert "只有本辖区的记录管理专人可以登记执法记录" in page
    assert not ActRegistration.objects.exists()


def test_outsider_gets_404(client, national_day_act, outsider, clock):
    clock(at(2026, 10, 8, 9, 0))
    late = LateRegistrationRequest.objects.create(
        act=national_day_act, requested_by=outsider, explanation="x"
    )
    client.force_login(outsider)
    for url in (
        reverse("registration_register", args=[national_day_act.pk]),
        reverse("registration_late_request", args=[national_day_act.pk]),
        reverse("registration_late_decide", args=[late.pk]),
    ):
        assert client.post(url, {"explanation": "x", "decision": "approve"}).status_code == 404
    assert not ActRegistration.objects.exists()
    page = client.get(reverse("registration_list")).content.decode()
    assert "渝中区邹容路" not in page and str(national_day_act.subject) not in page


def test_provisional_deadline_is_shown(client, make_act, custodian, clock):
    act = make_act(at(2027, 3, 1, 10, 0))
    clock(at(2027, 3, 2, 9, 0))
    client.force_login(custodian)
    assert "暂定" in _page(client, act)


def test_late_flow_through_the_pages(client, national_day_act, custodian, officer, head, clock):
    clock(at(2026, 10, 10, 9, 0))
    client.force_login(custodian)
    page = _page(client, national_day_act)
    assert "已逾期，未登记" in page
    assert reverse("registration_register", args=[national_day_act.pk]) not in page
    page = _follow(client, reverse("registration_register", args=[national_day_act.pk]), {})
    assert "已超过登记期限" in page and "事先批准" in page
    assert not ActRegistration.objects.exists()

    # An officer of the act files the explanation; an empty one is refused.
    client.force_login(officer)
    url = reverse("registration_late_request", args=[national_day_act.pk])
    assert "请填写情况说明" in _follow(client, url, {"explanation": " "})
    page = _follow(client, url, {"explanation": "执法记录仪故障，已送修"})
    assert "已提交延期登记申请" in page and "待审批" in page
    # The act's history shows the request in words.
    assert "申请延期登记" in page and "情况说明：执法记录仪故障，已送修" in page
    late = LateRegistrationRequest.objects.get()

    # The head sees it on the list page and approves it there.
    client.force_login(head)
    listing = client.get(reverse("registration_list")).content.decode()
    assert "待审批的延期登记申请" in listing and "执法记录仪故障，已送修" in listing
    decide = reverse("registration_late_decide", args=[late.pk])
    # Approving needs the date the delay runs to, within its bounds.
    last_day = working_day_deadline(national_day_act).last_day
    assert f'min="{last_day + dt.timedelta(days=1):%Y-%m-%d}"' in listing
    response = client.post(decide, {"decision": "approve", "note": "同意", "next": "list"})
    late.refresh_from_db()
    assert late.status == "pending"
    until = last_day + dt.timedelta(days=2)
    response = client.post(
        decide,
        {
            "decision": "approve",
            "note": "同意",
            "approved_until": f"{until:%Y-%m-%d}",
            "next": "list",
        },
    )
    assert response.status_code == 302 and response.url == reverse("registration_list")
    late.refresh_from_db()
    assert (late.status, late.approved_until) == ("approved", until)

    client.force_login(custodian)
    sure = {"confirm": confirm.token(custodian, "registration.open_findings", national_day_act)}
    page = _follow(client, reverse("registration_register", args=[national_day_act.pk]), sure)
    assert "已逾期登记（经批准）" in page
    assert [e.action for e in Event.objects.for_object(national_day_act)][-3:] == [
        "registration.late_requested",
        "registration.late_approved",
        "registration.registered",
    ]


def test_head_refuses_on_the_act_page_and_others_cannot_decide(
    client, national_day_act, officer, custodian, head, clock
):
    clock(at(2026, 10, 10, 9, 0))
    late = LateRegistrationRequest.objects.create(
        act=national_day_act, requested_by=officer, explanation="说明"
    )
    decide = reverse("registration_late_decide", args=[late.pk])
    client.force_login(custodian)
    assert decide not in _page(client, national_day_act)
    page = _follow(client, decide, {"decision": "approve"})
    assert "只有该执法行为所属机构的负责人可以审批" in page
    client.force_login(head)
    assert decide in _page(client, national_day_act)
    assert "请选择批准或不予批准" in _follow(client, decide, {"decision": "maybe"})
    assert "请填写审批意见" in _follow(client, decide, {"decision": "refuse"})
    page = _follow(client, decide, {"decision": "refuse", "note": "理由不充分"})
    assert "已不予批准延期登记申请" in page and "理由不充分" in page
    late.refresh_from_db()
    assert late.status == "refused" and late.decided_by == head


def test_list_shows_overdue_and_due_soon_acts(client, make_act, custodian, clock):
    overdue = make_act(at(2026, 9, 29, 16, 0))  # due by the end of 10-08
    due = make_act(at(2026, 10, 9, 16, 0))  # due by the end of 10-12
    registered = make_act(at(2026, 9, 28, 16, 0))
    future = make_act(at(2026, 10, 13, 16, 0))  # not ended yet
    ActRegistration.objects.create(
        act=registered, registered_by=custodian, deadline="2026-09-30", on_time=True
    )
    clock(at(2026, 10, 12, 9, 0))
    client.force_login(custodian)
    page = client.get(reverse("registration_list")).content.decode()
    overdue_part, due_part = page.split("期限内待登记")
    assert reverse("act_detail", args=[overdue.pk]) in overdue_part
    assert reverse("act_detail", args=[due.pk]) in due_part
    assert reverse("act_detail", args=[due.pk]) not in overdue_part
    assert reverse("act_detail", args=[registered.pk]) not in page
    assert reverse("act_detail", args=[future.pk]) not in page
    assert "2026-10-08 24:00 前" in overdue_part and "2026-10-12 24:00 前" in due_part


def test_a_post_without_csrf_token_is_refused(national_day_act, custodian, clock):
    clock(at(2026, 10, 8, 9, 0))
    client = Client(enforce_csrf_checks=True)
    client.force_login(custodian)
    url = reverse("registration_register", args=[national_day_act.pk])
    assert client.post(url, {}).status_code == 403
    assert not ActRegistration.objects.exists()
    page = client.get(reverse("act_detail", args=[national_day_act.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 200  # confirmation
    assert not ActRegistration.objects.exists()
    sure = confirm.token(custodian, "registration.open_findings", national_day_act)
    assert client.post(url, {"csrfmiddlewaretoken": token, "confirm": sure}).status_code == 302
    assert ActRegistration.objects.filter(act=national_day_act).exists()


def test_get_is_not_allowed_on_actions(client, national_day_act, custodian):
    client.force_login(custodian)
    url = reverse("registration_register", args=[national_day_act.pk])
    assert client.get(url).status_code == 405
