"""Penalty case pages: list, detail, stage changes, create and edit."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.cases.models import Case
from quancheng.cases.services import change_case_stage, create_act, create_case
from quancheng.ledger.models import Event
from quancheng.orgs.models import User

from .conftest import counts, text

pytestmark = pytest.mark.django_db


def form_data(subject, officers, **extra):
    data = {
        "number": "渝中卫医罚〔2026〕2号",
        "cause": "使用非卫生技术人员从事医疗卫生技术工作",
        "subject": subject.pk,
        "filed_on": f"{timezone.localdate():%Y-%m-%d}",
        "officers": [o.pk for o in officers],
    }
    data.update(extra)
    return data


@pytest.fixture
def other_case(outsider, outsider_colleague, other_agency, other_subject):
    return create_case(
        outsider,
        other_agency,
        [outsider, outsider_colleague],
        number="江北卫公罚〔2026〕1号",
        cause="未取得卫生许可证经营",
        subject=other_subject,
        filed_on=timezone.localdate(),
    )


def stage_options(page: str) -> list[str]:
    form = page.split('name="stage"', 1)[1].split("</select>", 1)[0]
    return [part.split('"', 1)[0] for part in form.split('<option value="')[1:]]


# List


def test_the_list_shows_the_districts_cases_only(client, officer, case, other_case):
    client.force_login(officer)
    response = client.get(reverse("case_list"))
    assert response.status_code == 200
    page = text(response)
    assert case.number in page
    assert other_case.number not in page
    assert "立案" in page
    assert reverse("case_create") in page


def test_the_list_filters_by_stage_subject_and_text(
    client, officer, colleague, agency, subject, case
):
    from quancheng.subjects.services import create_subject

    hotel = create_subject(
        officer,
        agency,
        name="重庆山城大酒店有限公司",
        kind="public_place",
        address="渝中区民族路88号",
    )
    second = create_case(
        officer,
        agency,
        [officer, colleague],
        number="渝中卫公罚〔2026〕3号",
        cause="未按规定进行卫生检测",
        subject=hotel,
        filed_on=timezone.localdate(),
    )
    change_case_stage(officer, second, "investigation")
    client.force_login(officer)

    def listed(**filters):
        page = text(client.get(reverse("case_list"), filters))
        return {c for c in (case, second) if c.number in page}

    assert listed() == {case, second}
    assert listed(stage="investigation") == {second}
    assert listed(stage="filed") == {case}
    assert listed(subject=subject.pk) == {case}
    assert listed(subject_q="山城大酒店") == {second}
    assert listed(q="卫生检测") == {second}
    assert listed(q="医罚") == {case}


def test_the_list_is_paginated(client, settings, officer, colleague, agency, subject):
    settings.QC_PAGE_SIZE = 2
    for n in range(3):
        create_case(
            officer,
            agency,
            [officer, colleague],
            number=f"渝中卫医罚〔2026〕{n + 10}号",
            cause="擅自执业",
            subject=subject,
            filed_on=timezone.localdate(),
        )
    client.force_login(officer)
    first = text(client.get(reverse("case_list")))
    assert "共 3 条，第 1 / 2 页" in first
    second = text(client.get(reverse("case_list"), {"page": 2}))
    assert len([n for n in (10, 11, 12) if f"〔2026〕{n}号" in second]) == 1


# Detail and stage


def test_the_detail_shows_acts_officers_history_and_only_the_allowed_stages(
    client, officer, colleague, agency, subject, case
):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=5)
    act = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="interrogation",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        place="询问室",
        subject=subject,
        case=case,
    )
    client.force_login(officer)
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    assert case.number in page
    assert case.cause in page
    assert act.get_absolute_url() in page
    assert "张伟（渝卫执zhangwei）" in page
    assert "立案登记" in page  # the case.created event
    assert stage_options(page) == ["investigation"]


def test_a_case_in_review_may_go_on_or_back(client, officer, case):
    change_case_stage(officer, case, "investigation")
    change_case_stage(officer, case, "review")
    client.force_login(officer)
    page = text(client.get(case.get_absolute_url()))
    assert stage_options(page) == ["investigation", "service"]


def test_an_officer_moves_the_case_to_the_next_stage(client, officer, case):
    client.force_login(officer)
    response = client.post(
        reverse("case_stage", args=[case.pk]),
        {"stage": "investigation", "note": "开始调查取证"},
        follow=True,
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.stage == "investigation"
    page = text(response)
    assert "案件阶段已变更为“调查取证”" in page
    assert "立案 → 调查取证（开始调查取证）" in page
    event = Event.objects.for_object(case).latest("seq")
    assert event.action == "case.stage_changed"
    assert event.actor == officer
    body = json.loads(event.body)
    assert body == {"from": "filed", "to": "investigation", "note": "开始调查取证"}


def test_an_illegal_stage_change_is_refused_and_changes_nothing(client, officer, case):
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("case_stage", args=[case.pk]), {"stage": "closed"})
    assert response.status_code == 400
    assert "案件不能从“立案”变更为“结案”" in text(response)
    assert counts() == before
    case.refresh_from_db()
    assert case.stage == "filed"


def test_an_unknown_stage_is_refused(client, officer, case):
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("case_stage", args=[case.pk]), {"stage": "nonsense"})
    assert response.status_code == 400
    assert "选择一个有效的选项" in text(response)
    assert counts() == before


def test_an_archived_case_offers_no_stage(client, officer, case):
    for stage in ("investigation", "review", "service", "closed", "archived"):
        change_case_stage(officer, case, stage)
    client.force_login(officer)
    page = text(client.get(case.get_absolute_url()))
    assert 'name="stage"' not in page
    assert "案件已归档" in page
    response = client.post(reverse("case_stage", args=[case.pk]), {"stage": "investigation"})
    assert response.status_code == 400
    assert "案件不能从“归档”变更为“调查取证”" in text(response)


@pytest.mark.parametrize("name", ["case_detail", "case_edit"])
def test_the_outsider_gets_404(client, outsider, case, name):
    client.force_login(outsider)
    response = client.get(reverse(name, args=[case.pk]))
    assert response.status_code == 404
    assert case.number not in text(response)


def test_the_outsider_cannot_change_the_stage_or_edit(client, outsider, outsider_colleague, case):
    client.force_login(outsider)
    before = counts()
    response = client.post(reverse("case_stage", args=[case.pk]), {"stage": "investigation"})
    assert response.status_code == 404
    data = form_data(case.subject, [outsider, outsider_colleague], number=case.number)
    assert client.post(reverse("case_edit", args=[case.pk]), data).status_code == 404
    assert counts() == before
    case.refresh_from_db()
    assert case.stage == "filed"


@pytest.mark.parametrize("reader", ["auditor", "commission"])
def test_read_only_roles_see_the_case_but_change_nothing(
    client, request, reader, officer, colleague, case
):
    client.force_login(request.getfixturevalue(reader))
    page = text(client.get(case.get_absolute_url()))
    assert case.number in page
    assert 'name="stage"' not in page
    assert reverse("case_edit", args=[case.pk]) not in page
    assert reverse("case_create") not in text(client.get(reverse("case_list")))
    before = counts()
    response = client.post(reverse("case_stage", args=[case.pk]), {"stage": "investigation"})
    assert response.status_code == 403
    assert "只能查看" in text(response)
    for url in (reverse("case_create"), reverse("case_edit", args=[case.pk])):
        assert client.get(url).status_code == 403
        assert client.post(url, form_data(case.subject, [officer, colleague])).status_code == 403
    assert counts() == before


def test_a_stage_change_without_csrf_token_is_refused(officer, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("case_stage", args=[case.pk]), {"stage": "investigation"})
    assert response.status_code == 403
    assert counts() == before
    case.refresh_from_db()
    assert case.stage == "filed"


# Create and edit


def test_an_officer_files_a_case(client, officer, colleague, agency, subject):
    client.force_login(officer)
    page = text(client.get(reverse("case_create"), {"subject": subject.pk}))
    assert f'<option value="{subject.pk}" selected>' in page
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in page
    response = client.post(
        reverse("case_create"), form_data(subject, [officer, colleague]), follow=True
    )
    assert response.status_code == 200
    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == case.get_absolute_url()
    assert "已立案登记“渝中卫医罚〔2026〕2号”" in text(response)
    assert case.agency == agency
    assert case.stage == "filed"
    assert set(case.officers.all()) == {officer, colleague}
    event = Event.objects.for_object(case).get()
    assert event.action == "case.created"
    assert event.actor == officer


def test_a_duplicate_number_is_refused(client, officer, colleague, subject, case):
    client.force_login(officer)
    before = counts()
    response = client.post(
        reverse("case_create"), form_data(subject, [officer, colleague], number=case.number)
    )
    assert response.status_code == 400
    assert "本机构已有相同编号的案件" in text(response)
    assert counts() == before


def test_one_officer_is_not_enough(client, officer, subject):
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("case_create"), form_data(subject, [officer]))
    assert response.status_code == 400
    assert "至少需要两名持有效执法证的执法人员" in text(response)
    assert counts() == before


def test_an_expired_certificate_is_refused(client, officer, colleague, subject):
    User.objects.filter(pk=colleague.pk).update(
        certificate_valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("case_create"), form_data(subject, [officer, colleague]))
    assert response.status_code == 400
    assert "执法人员李娜的执法证在" in text(response)
    assert counts() == before


def test_another_districts_subject_is_refused(client, officer, colleague, other_subject):
    client.force_login(officer)
    before = counts()
    response = client.post(reverse("case_create"), form_data(other_subject, [officer, colleague]))
    assert response.status_code == 400
    assert "执法对象不存在或不在您的管辖范围内" in text(response)
    assert counts() == before


def test_an_officer_edits_a_case_and_the_history_shows_it(client, officer, colleague, case):
    client.force_login(officer)
    page = text(client.get(reverse("case_edit", args=[case.pk])))
    assert f'value="{case.number}"' in page
    data = form_data(
        case.subject,
        [officer, colleague],
        number=case.number,
        cause="未取得医疗机构执业许可证擅自开展诊疗活动",
        filed_on=f"{case.filed_on:%Y-%m-%d}",
    )
    response = client.post(reverse("case_edit", args=[case.pk]), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.cause == "未取得医疗机构执业许可证擅自开展诊疗活动"
    event = Event.objects.for_object(case).latest("seq")
    assert event.action == "case.updated"
    assert set(json.loads(event.body)["changes"]) == {"cause"}
    page = text(client.get(case.get_absolute_url()))
    old, new = "未取得医疗机构执业许可证擅自执业", "未取得医疗机构执业许可证擅自开展诊疗活动"
    assert f"案由：{old} → {new}" in page
