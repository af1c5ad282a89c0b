"""Enforcement act pages: list, detail, create and edit."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.cases.services import create_act
from quancheng.ledger.models import Event
from quancheng.orgs.models import User

from .conftest import counts, text

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(moment: dt.datetime, fmt="%Y-%m-%dT%H:%M") -> str:
    """What a datetime-local input sends: wall-clock time without zone."""
    return moment.astimezone(SHANGHAI).strftime(fmt)


@pytest.fixture
def start():
    """Yesterday 09:30 in Chongqing: inside every test certificate's validity."""
    day = timezone.localdate() - dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9, 30), tzinfo=SHANGHAI)


def form_data(subject, officers, start, end=None, **extra):
    data = {
        "kind": "inspection",
        "subject": subject.pk,
        "case": "",
        "started_at": local(start),
        "ended_at": local(end or start + dt.timedelta(minutes=40)),
        "place": subject.address,
        "officers": [o.pk for o in officers],
        "description": "日常监督检查",
    }
    data.update(extra)
    return data


@pytest.fixture
def other_act(outsider, outsider_colleague, other_agency, other_subject, start):
    return create_act(
        outsider,
        other_agency,
        [outsider, outsider_colleague],
        kind="onsite",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        place=other_subject.address,
        subject=other_subject,
    )


# List


def test_the_list_shows_the_districts_acts_only(client, officer, act, other_act):
    client.force_login(officer)
    response = client.get(reverse("act_list"))
    assert response.status_code == 200
    page = text(response)
    assert act.get_absolute_url() in page
    assert other_act.get_absolute_url() not in page
    assert "张伟、李娜" in page
    assert reverse("act_create") in page


def test_the_list_filters_by_kind_subject_officer_and_dates(
    client, officer, colleague, head, agency, subject, act, start
):
    from quancheng.subjects.services import create_subject

    hotel = create_subject(
        officer,
        agency,
        name="重庆山城大酒店有限公司",
        kind="public_place",
        address="渝中区民族路88号",
    )
    earlier = start - dt.timedelta(days=10)
    hearing = create_act(
        head,
        agency,
        [head, colleague],
        kind="hearing",
        started_at=earlier,
        ended_at=earlier + dt.timedelta(hours=2),
        place="听证室",
        subject=hotel,
    )
    client.force_login(officer)

    def listed(**filters):
        page = text(client.get(reverse("act_list"), filters))
        return {a for a in (act, hearing) if a.get_absolute_url() in page}

    assert listed() == {act, hearing}
    assert listed(kind="hearing") == {hearing}
    assert listed(subject=subject.pk) == {act}
    assert listed(subject_q="山城") == {hearing}  # name, credit code or licence number
    assert listed(subject_q="nobody") == set()
    assert listed(officer=officer.pk) == {act}
    assert listed(officer=head.pk) == {hearing}
    assert listed(officer=colleague.pk) == {act, hearing}
    day = f"{earlier.date():%Y-%m-%d}"
    assert listed(date_from=day, date_to=day) == {hearing}
    assert listed(date_from=f"{start.date():%Y-%m-%d}") == {act}
    # The subject chosen by id (a link from its page) is named; no drop-down lists them all.
    page = text(client.get(reverse("act_list"), {"subject": subject.pk}))
    assert f"已选执法对象</span> <strong>{subject.name}</strong>" in page
    assert hotel.name not in page
    # A filter naming something out of scope or malformed is ignored, not an error.
    assert listed(kind="nonsense", date_from="yesterday") == {act, hearing}


def test_the_list_is_paginated(client, settings, officer, colleague, agency, subject, start):
    settings.QC_PAGE_SIZE = 2
    acts = [
        create_act(
            officer,
            agency,
            [officer, colleague],
            kind="inspection",
            started_at=start - dt.timedelta(days=n),
            ended_at=start - dt.timedelta(days=n) + dt.timedelta(hours=1),
            place=subject.address,
            subject=subject,
        )
        for n in range(3)
    ]
    client.force_login(officer)
    first = text(client.get(reverse("act_list"), {"kind": "inspection"}))
    assert "共 3 条，第 1 / 2 页" in first
    assert "?kind=inspection&amp;page=2" in first  # the filter is kept when paging
    second = text(client.get(reverse("act_list"), {"kind": "inspection", "page": 2}))
    assert acts[2].get_absolute_url() in second
    assert acts[0].get_absolute_url() not in second


# Detail


def test_the_detail_shows_officers_local_times_subject_and_history(client, officer, act):
    client.force_login(officer)
    response = client.get(act.get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    assert "监督检查" in page
    assert act.subject.name in page
    assert "张伟" in page and "李娜" in page
    assert "渝卫执zhangwei" in page
    assert f"{timezone.localtime(act.started_at):%Y-%m-%d %H:%M}" in page
    assert f"{timezone.localtime(act.ended_at):%Y-%m-%d %H:%M}" in page
    assert "登记执法行为" in page
    assert f"#{Event.objects.for_object(act).get().seq}" in page
    assert reverse("act_edit", args=[act.pk]) in page


def test_the_detail_shows_the_case_and_the_whole_process_flag(
    client, officer, colleague, agency, subject, case, start
):
    flagged = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="seizure",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        place=subject.address,
        subject=subject,
        case=case,
        involves_life_or_property=True,
    )
    client.force_login(officer)
    page = text(client.get(flagged.get_absolute_url()))
    assert case.get_absolute_url() in page
    assert case.number in page
    assert "应当全过程音像记录" in page


@pytest.mark.parametrize("name", ["act_detail", "act_edit"])
def test_the_outsider_gets_404(client, outsider, act, name):
    client.force_login(outsider)
    response = client.get(reverse(name, args=[act.pk]))
    assert response.status_code == 404
    assert act.subject.name not in text(response)


def test_the_outsider_cannot_post_an_edit(client, outsider, outsider_colleague, act, start):
    client.force_login(outsider)
    before = counts()
    data = form_data(act.subject, [outsider, outsider_colleague], start, place="别处")
    assert client.post(reverse("act_edit", args=[act.pk]), data).status_code == 404
    assert counts() == before


# Create


def test_an_officer_registers_an_inspection_with_a_colleague(
    client, officer, colleague, agency, subject, start
):
    client.force_login(officer)
    page = text(client.get(reverse("act_create")))
    assert 'type="datetime-local"' in page
    assert "张伟（渝卫执zhangwei" in page
    response = client.post(
        reverse("act_create"), form_data(subject, [officer, colleague], start), follow=True
    )
    assert response.status_code == 200
    act = Act.objects.get()
    assert response.redirect_chain[-1][0] == act.get_absolute_url()
    assert "已登记执法行为" in text(response)
    assert act.agency == agency
    assert act.subject == subject
    # The browser's wall-clock time is Chongqing time.
    assert act.started_at == start
    assert act.ended_at == start + dt.timedelta(minutes=40)
    assert set(act.officers.all()) == {officer, colleague}
    event = Event.objects.for_object(act).get()
    assert event.action == "act.created"
    assert event.actor == officer
    body = json.loads(event.body)
    assert body["started_at"] == start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    assert body["officers"] == sorted([officer.pk, colleague.pk])


def test_the_create_page_preselects_a_subject_or_case(client, officer, subject, case):
    client.force_login(officer)
    page = text(client.get(reverse("act_create"), {"subject": subject.pk}))
    assert f'<option value="{subject.pk}" selected>' in page
    assert f'value="{subject.address}"' in page
    page = text(client.get(reverse("act_create"), {"case": case.pk}))
    assert f'<option value="{case.pk}" selected>' in page


def test_one_officer_is_not_enough(client, officer, subject, start):
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("act_create"), form_data(subject, [officer], start))
    assert response.status_code == 400
    assert "执法行为至少需要两名持有效执法证的执法人员" in text(response)
    assert counts() == before


def test_the_end_must_be_after_the_start(client, officer, colleague, subject, start):
    client.force_login(officer)
    before = counts()
    data = form_data(subject, [officer, colleague], start, end=start - dt.timedelta(minutes=5))
    response = client.post(reverse("act_create"), data)
    assert response.status_code == 400
    assert "结束时间必须晚于开始时间" in text(response)
    assert counts() == before


def test_an_expired_certificate_is_refused(client, officer, colleague, subject, start):
    expired = start.date() - dt.timedelta(days=1)
    User.objects.filter(pk=colleague.pk).update(certificate_valid_until=expired)
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("act_create"), form_data(subject, [officer, colleague], start))
    assert response.status_code == 400
    page = text(response)
    assert f"执法人员李娜的执法证在{start.date():%Y年%m月%d日}无效" in page
    assert counts() == before


def test_another_districts_subject_is_refused(client, officer, colleague, other_subject, start):
    client.force_login(officer)
    before = counts()
    response = client.post(
        reverse("act_create"), form_data(other_subject, [officer, colleague], start)
    )
    assert response.status_code == 400
    assert "执法对象不存在或不在您的管辖范围内" in text(response)
    assert counts() == before


def test_another_districts_officer_is_refused(client, officer, outsider, subject, start):
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("act_create"), form_data(subject, [officer, outsider], start))
    assert response.status_code == 400
    assert f"执法人员（编号{outsider.pk}）不存在或不在您的管辖范围内" in text(response)
    assert counts() == before


def test_a_case_of_another_subject_is_refused(
    client, officer, colleague, agency, subject, case, start
):
    from quancheng.subjects.services import create_subject

    hotel = create_subject(
        officer,
        agency,
        name="重庆山城大酒店有限公司",
        kind="public_place",
        address="渝中区民族路88号",
    )
    client.force_login(officer)
    before = counts()
    data = form_data(hotel, [officer, colleague], start, case=case.pk)
    response = client.post(reverse("act_create"), data)
    assert response.status_code == 400
    assert "所属案件的执法对象与本执法行为不一致" in text(response)
    assert counts() == before


def test_every_problem_is_shown_at_once(client, officer, subject, start):
    client.force_login(officer)
    data = form_data(subject, [officer], start, end=start, place="")
    response = client.post(reverse("act_create"), data)
    assert response.status_code == 400
    page = text(response)
    assert "这个字段是必填项" in page  # place, checked by the form
    assert not Act.objects.exists()


@pytest.mark.parametrize("reader", ["auditor", "commission"])
def test_read_only_roles_get_403_and_no_buttons(
    client, request, reader, officer, colleague, act, start
):
    client.force_login(request.getfixturevalue(reader))
    assert reverse("act_create") not in text(client.get(reverse("act_list")))
    assert reverse("act_edit", args=[act.pk]) not in text(client.get(act.get_absolute_url()))
    before = counts()
    data = form_data(act.subject, [officer, colleague], start)
    for url in (reverse("act_create"), reverse("act_edit", args=[act.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert "只能查看" in text(response)
        assert client.post(url, data).status_code == 403
    assert counts() == before


def test_a_post_without_csrf_token_is_refused(officer, colleague, subject, start):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("act_create"), form_data(subject, [officer, colleague], start))
    assert response.status_code == 403
    assert counts() == before


# Edit


def test_an_officer_edits_an_act_and_the_history_shows_it(client, officer, colleague, head, act):
    client.force_login(officer)
    page = text(client.get(reverse("act_edit", args=[act.pk])))
    # Shown to the second, so that an edit keeps a time a terminal recorded to the second.
    assert f'value="{local(act.started_at, "%Y-%m-%dT%H:%M:%S")}"' in page
    assert f'value="{officer.pk}"' in page and "checked" in page
    seconds = "%Y-%m-%dT%H:%M:%S"
    data = form_data(
        act.subject,
        [officer, colleague, head],
        act.started_at,
        place="渝中区邹容路100号二楼",
        started_at=local(act.started_at, seconds),
        ended_at=local(act.ended_at, seconds),
    )
    response = client.post(reverse("act_edit", args=[act.pk]), data)
    assert response.status_code == 302
    act.refresh_from_db()
    assert act.place == "渝中区邹容路100号二楼"
    assert set(act.officers.all()) == {officer, colleague, head}
    event = Event.objects.for_object(act).latest("seq")
    assert event.action == "act.updated"
    changes = json.loads(event.body)["changes"]
    assert set(changes) == {"place", "officers", "description"}
    page = text(client.get(act.get_absolute_url()))
    assert "修改执法行为" in page
    assert "地点：渝中区邹容路100号 → 渝中区邹容路100号二楼" in page
    assert "执法人员：张伟、李娜 → 张伟、李娜、刘洋" in page


def test_an_edit_to_one_officer_changes_nothing(client, officer, act):
    client.force_login(officer)
    before = counts()
    data = form_data(act.subject, [officer], act.started_at, end=act.ended_at, place="别处")
    response = client.post(reverse("act_edit", args=[act.pk]), data)
    assert response.status_code == 400
    assert "至少需要两名" in text(response)
    assert counts() == before
    act.refresh_from_db()
    assert act.place != "别处"
    assert act.officers.count() == 2


def test_a_city_administrators_act_belongs_to_the_subjects_agency(
    client, city_admin, officer, colleague, agency, subject, start
):
    client.force_login(city_admin)
    response = client.post(reverse("act_create"), form_data(subject, [officer, colleague], start))
    assert response.status_code == 302
    act = Act.objects.get()
    assert act.agency == agency
    assert Event.objects.for_object(act).get().actor == city_admin
