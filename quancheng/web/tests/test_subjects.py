"""Enforcement subject pages: list, detail, create and edit."""

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.conftest import credit_code
from quancheng.ledger.models import Event
from quancheng.orgs.models import Agency
from quancheng.subjects.models import Subject
from quancheng.subjects.services import create_subject

from .conftest import counts, text

pytestmark = pytest.mark.django_db


def form_data(**extra):
    data = {
        "name": "重庆市渝中区较场口大药房",
        "kind": "medical",
        "credit_code": credit_code(10),
        "address": "渝中区较场口1号",
        "licence_number": "",
        "legal_representative": "王强",
        "phone": "023-63000000",
    }
    data.update(extra)
    return data


# List


def test_the_list_shows_the_officers_subjects_only(client, officer, subject, other_subject):
    client.force_login(officer)
    response = client.get(reverse("subject_list"))
    assert response.status_code == 200
    page = text(response)
    assert subject.name in page
    assert subject.credit_code in page
    assert other_subject.name not in page
    assert "登记执法对象" in page


def test_the_list_searches_name_and_code(client, officer, agency, subject):
    create_subject(
        officer,
        agency,
        name="重庆山城大酒店有限公司",
        kind="public_place",
        address="渝中区民族路88号",
        credit_code=credit_code(3),
    )
    client.force_login(officer)
    page = text(client.get(reverse("subject_list"), {"q": "山城"}))
    assert "重庆山城大酒店有限公司" in page
    assert subject.name not in page
    page = text(client.get(reverse("subject_list"), {"q": subject.credit_code[-6:].lower()}))
    assert subject.name in page
    assert "重庆山城大酒店有限公司" not in page


def test_the_list_filters_by_kind(client, officer, agency, subject):
    create_subject(
        officer,
        agency,
        name="重庆山城大酒店有限公司",
        kind="public_place",
        address="渝中区民族路88号",
    )
    client.force_login(officer)
    page = text(client.get(reverse("subject_list"), {"kind": "public_place"}))
    assert "重庆山城大酒店有限公司" in page
    assert subject.name not in page
    # An unknown kind is ignored rather than failing the page.
    response = client.get(reverse("subject_list"), {"kind": "nonsense"})
    assert response.status_code == 200
    assert subject.name in text(response)


def test_the_list_is_paginated(client, settings, officer, agency):
    settings.QC_PAGE_SIZE = 2
    for n in range(3):
        create_subject(officer, agency, name=f"测试诊所{n}", kind="medical", address="渝中区")
    client.force_login(officer)
    first = text(client.get(reverse("subject_list")))
    assert "测试诊所0" in first
    assert "测试诊所1" in first
    assert "测试诊所2" not in first
    assert "共 3 条，第 1 / 2 页" in first
    assert "?page=2" in first
    second = text(client.get(reverse("subject_list"), {"page": 2}))
    assert "测试诊所2" in second
    assert "测试诊所0" not in second


def test_the_city_list_names_each_subjects_agency(client, city_admin, subject, other_subject):
    client.force_login(city_admin)
    page = text(client.get(reverse("subject_list")))
    assert subject.name in page
    assert other_subject.name in page
    assert "江北区卫生健康综合行政执法支队" in page


# Detail


def test_the_detail_shows_the_subject_its_acts_cases_and_history(
    client, officer, subject, act, case
):
    client.force_login(officer)
    response = client.get(subject.get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    assert subject.name in page
    assert subject.credit_code in page
    assert act.get_absolute_url() in page
    assert case.number in page
    assert "登记执法对象" in page  # the ledger's subject.created event
    event = Event.objects.for_object(subject).get()
    assert f"#{event.seq}" in page


@pytest.mark.parametrize("name", ["subject_detail", "subject_edit"])
def test_the_outsider_gets_404(client, outsider, subject, name):
    client.force_login(outsider)
    response = client.get(reverse(name, args=[subject.pk]))
    assert response.status_code == 404
    assert "页面不存在" in text(response)
    assert subject.name not in text(response)


def test_a_subject_that_does_not_exist_is_404(client, officer, subject):
    client.force_login(officer)
    assert client.get(reverse("subject_detail", args=[subject.pk + 1000])).status_code == 404


def test_the_outsider_cannot_post_an_edit(client, outsider, subject):
    client.force_login(outsider)
    before = counts()
    response = client.post(reverse("subject_edit", args=[subject.pk]), form_data(name="改名"))
    assert response.status_code == 404
    assert counts() == before
    subject.refresh_from_db()
    assert subject.name == "重庆市渝中区解放碑口腔诊所"


# Create


def test_an_officer_registers_a_subject_in_his_agency(client, officer, agency):
    client.force_login(officer)
    page = text(client.get(reverse("subject_create")))
    assert "统一社会信用代码" in page
    assert 'name="agency"' not in page  # the officer's own agency, no choice
    response = client.post(reverse("subject_create"), form_data(), follow=True)
    assert response.status_code == 200
    subject = Subject.objects.get(name="重庆市渝中区较场口大药房")
    assert subject.agency == agency
    assert subject.credit_code == credit_code(10)
    assert response.redirect_chain[-1][0] == subject.get_absolute_url()
    assert "已登记执法对象“重庆市渝中区较场口大药房”" in text(response)
    event = Event.objects.for_object(subject).get()
    assert event.action == "subject.created"
    assert event.actor == officer


def test_a_wrong_credit_code_is_refused_with_the_reason(client, officer, subject):
    client.force_login(officer)
    good = credit_code(10)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    before = counts()
    response = client.post(reverse("subject_create"), form_data(credit_code=wrong))
    assert response.status_code == 400
    page = text(response)
    assert f"统一社会信用代码校验位错误：第18位应为“{good[17]}”" in page
    assert counts() == before


def test_a_short_credit_code_says_how_long_it_is(client, officer):
    client.force_login(officer)
    response = client.post(reverse("subject_create"), form_data(credit_code="91500103MA"))
    assert response.status_code == 400
    assert "统一社会信用代码应为18位，当前为10位" in text(response)
    assert not Subject.objects.exists()


def test_a_duplicate_credit_code_is_refused(client, officer, subject):
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("subject_create"), form_data(credit_code=subject.credit_code))
    assert response.status_code == 400
    assert "本机构已登记该统一社会信用代码的执法对象" in text(response)
    assert counts() == before


def test_missing_fields_are_named(client, officer):
    client.force_login(officer)
    response = client.post(reverse("subject_create"), form_data(name="", address=""))
    assert response.status_code == 400
    assert text(response).count("这个字段是必填项") == 2
    assert not Subject.objects.exists()


def test_a_city_administrator_picks_the_enforcement_agency(client, city_admin, agency):
    client.force_login(city_admin)
    page = text(client.get(reverse("subject_create")))
    assert 'name="agency"' in page
    assert "渝中区卫生健康综合行政执法支队" in page
    assert "渝中区卫生健康委员会" not in page  # commissions do not hold subjects
    response = client.post(reverse("subject_create"), form_data(agency=agency.pk))
    assert response.status_code == 302
    subject = Subject.objects.get()
    assert subject.agency == agency
    assert Event.objects.for_object(subject).get().actor == city_admin


def test_a_city_administrator_must_pick_an_agency(client, city_admin):
    client.force_login(city_admin)
    commission = Agency.objects.get(code="d03-wjw")
    for agency in ("", commission.pk):
        response = client.post(reverse("subject_create"), form_data(agency=agency))
        assert response.status_code == 400
    assert not Subject.objects.exists()


@pytest.mark.parametrize("reader", ["auditor", "commission"])
def test_read_only_roles_get_403_and_no_buttons(client, request, reader, subject):
    user = request.getfixturevalue(reader)
    client.force_login(user)
    page = text(client.get(reverse("subject_list")))
    assert subject.name in page
    assert reverse("subject_create") not in page
    assert reverse("subject_edit", args=[subject.pk]) not in text(
        client.get(subject.get_absolute_url())
    )
    before = counts()
    for url in (reverse("subject_create"), reverse("subject_edit", args=[subject.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert "只能查看，不能登记或修改数据" in text(response)
        assert client.post(url, form_data()).status_code == 403
    assert counts() == before


def test_a_post_without_csrf_token_is_refused(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("subject_create"), form_data())
    assert response.status_code == 403
    assert "CSRF" in text(response)
    assert counts() == before


# Edit


def test_an_officer_edits_a_subject_and_the_history_shows_the_change(client, officer, subject):
    client.force_login(officer)
    page = text(client.get(reverse("subject_edit", args=[subject.pk])))
    assert 'value="重庆市渝中区解放碑口腔诊所"' in page
    data = form_data(
        name="重庆市渝中区解放碑牙科诊所", credit_code=subject.credit_code, address=subject.address
    )
    response = client.post(reverse("subject_edit", args=[subject.pk]), data)
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.name == "重庆市渝中区解放碑牙科诊所"
    event = Event.objects.for_object(subject).latest("seq")
    assert event.action == "subject.updated"
    assert event.actor == officer
    page = text(client.get(subject.get_absolute_url()))
    assert "修改执法对象" in page
    assert "名称：重庆市渝中区解放碑口腔诊所 → 重庆市渝中区解放碑牙科诊所" in page


def test_a_colleague_may_edit_the_agencys_subject(client, colleague, subject):
    client.force_login(colleague)
    data = form_data(name=subject.name, credit_code="", address=subject.address)
    assert client.post(reverse("subject_edit", args=[subject.pk]), data).status_code == 302
    subject.refresh_from_db()
    assert subject.credit_code == ""


def test_an_edit_with_a_wrong_credit_code_changes_nothing(client, officer, subject):
    client.force_login(officer)
    before = counts()
    data = form_data(name="新名称", credit_code="91500103MA00000010")
    response = client.post(reverse("subject_edit", args=[subject.pk]), data)
    assert response.status_code == 400
    assert "统一社会信用代码校验位错误" in text(response)
    assert counts() == before
    subject.refresh_from_db()
    assert subject.name == "重庆市渝中区解放碑口腔诊所"


def test_a_wrong_credit_code_shows_with_the_forms_other_errors(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("subject_create"), form_data(address="", credit_code="91500103MA5U00010X")
    )
    assert response.status_code == 400
    page = text(response)
    assert "这个字段是必填项" in page
    assert "统一社会信用代码校验位错误" in page
    assert not Subject.objects.exists()
