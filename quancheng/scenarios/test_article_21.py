"""第二十一条 储存登记: records stored and registered within 2 working days after the on-site act
(a delay only with a written explanation the head approved beforehand), never kept by the
investigators; AV labelled with time, place and party and filed by case."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from quancheng.cases.models import Act
from quancheng.compliance.evaluate import evaluate_act
from quancheng.registration.deadlines import deadline_for_end
from quancheng.registration.services import (
    decide_late_request,
    register_records,
    request_late_registration,
)
from quancheng.supervision.spotchecks import suggested_results

from .conftest import END, LATER, START, api_findings, at, hits, keys

pytestmark = pytest.mark.django_db
D = dt.date


def _unregistered(scene):
    return scene(compliant=False)


def _delay(built, head, clock, asked, approved, until=None):
    """The officer asks at ``asked``; the head approves at ``approved`` (until ``until``)."""
    clock(asked)
    request = request_late_registration(built.officer, built.act, "记录仪送修，导出延后")
    clock(approved)
    return decide_late_request(head, request, approve=True, approved_until=until)


def test_21_the_new_year_deadline_knows_the_statutory_holiday_while_2027_is_provisional():
    """2026年12月31日结束的执法：元旦为法定节假日，期限为2027年1月5日（暂定）。"""
    deadline = deadline_for_end(D(2026, 12, 31), {})
    assert (deadline.last_day, deadline.provisional) == (D(2027, 1, 5), True)


def test_21_the_spring_festival_of_2027_is_known_without_the_notice():
    """2027年春节（除夕至初三）无需国务院通知即可计算：2月4日结束，期限2月10日（暂定）。"""
    deadline = deadline_for_end(D(2027, 2, 4), {})
    assert (deadline.last_day, deadline.provisional) == (D(2027, 2, 10), True)


def test_21_a_deadline_in_a_year_the_notices_cover_is_exact():
    """2026年11月16日（周一）结束：期限为11月18日，不是暂定。"""
    deadline = deadline_for_end(D(2026, 11, 16), {})
    assert (deadline.last_day, deadline.provisional) == (D(2026, 11, 18), False)


@pytest.mark.rule("A21-deadline")
def test_21_records_not_registered_after_the_deadline_are_flagged(scene):
    """2个工作日后仍未储存登记：报。"""
    assert keys(_unregistered(scene), "A21-deadline", now=LATER) == {"overdue"}


@pytest.mark.rule("A21-deadline")
def test_21_records_registered_on_the_second_working_day_are_silent(scene, custodian, clock):
    """第2个工作日（11月18日）登记：不报。"""
    built = _unregistered(scene)
    clock(at(2026, 11, 18, 17, 0))
    registration = register_records(custodian, built.act, confirm_open_findings=True)
    assert registration.on_time
    assert hits(built, "A21-deadline", now=LATER) == []


@pytest.mark.rule("A21-deadline")
def test_21_a_delay_approved_before_the_deadline_makes_registration_by_the_date_compliant(
    scene, custodian, head, clock
):
    """负责人在期限前批准延期至11月20日，11月20日登记：合规，不计入抽查扣分。"""
    built = _unregistered(scene)
    _delay(built, head, clock, at(2026, 11, 18, 9), at(2026, 11, 18, 11), until=D(2026, 11, 20))
    clock(at(2026, 11, 20, 15, 0))
    registration = register_records(custodian, built.act, confirm_open_findings=True)
    assert not registration.on_time
    assert hits(built, "A21-deadline", now=LATER) == []
    evaluate_act(built.act, now=LATER)
    checklist = SimpleNamespace(checklist=[{"code": "A21-deadline", "source": "rule"}])
    dossier = SimpleNamespace(pk=1, case_id=None, act_id=built.act.pk)
    assert suggested_results(checklist, dossier) == {"A21-deadline": "pass"}


@pytest.mark.rule("A21-deadline")
def test_21_registration_after_the_approved_date_is_still_late(scene, custodian, head, clock):
    """批准延期至11月20日，却在11月23日才登记：逾期。"""
    built = _unregistered(scene)
    _delay(built, head, clock, at(2026, 11, 18, 9), at(2026, 11, 18, 11), until=D(2026, 11, 20))
    clock(at(2026, 11, 23, 10, 0))
    register_records(custodian, built.act, confirm_open_findings=True)
    [hit] = hits(built, "A21-deadline", now=LATER)
    assert hit.key == "late" and "批准延期至 2026-11-20" in hit.params["problem"]


@pytest.mark.rule("A21-deadline")
def test_21_a_delay_approved_after_the_deadline_is_a_distinct_finding(
    scene, custodian, head, clock
):
    """期限届满后才批准延期（事后审批）：单独的检查发现。"""
    built = _unregistered(scene)
    _delay(built, head, clock, at(2026, 11, 19, 9), at(2026, 11, 19, 10), until=D(2026, 11, 20))
    clock(at(2026, 11, 19, 15, 0))
    register_records(custodian, built.act, confirm_open_findings=True)
    [hit] = hits(built, "A21-deadline", now=LATER)
    assert hit.key == "approved_after" and "事后审批" in hit.params["problem"]


def test_21_the_approved_date_must_lie_after_the_deadline(scene, head, clock):
    """批准延期的日期早于登记期限：拒绝，并说明原因。"""
    built = _unregistered(scene)
    clock(at(2026, 11, 17, 9))
    request = request_late_registration(built.officer, built.act, "外出培训")
    with pytest.raises(ValidationError) as error:
        decide_late_request(head, request, approve=True, approved_until=D(2026, 11, 17))
    assert "应晚于登记期限" in str(error.value)


@pytest.mark.rule("A21-deadline")
def test_21_av_linked_after_registration_and_arriving_late_is_flagged(scene):
    """登记后补充关联的音像记录在期限后才到达：该记录逾期登记。"""
    built = scene()
    built.arrival = at(2026, 11, 25, 10, 0)
    late = built.segment(START, END, device=built.device())
    assert keys(built, "A21-deadline", now=LATER) == {f"item:segment:{late.pk}"}


@pytest.mark.rule("A21-deadline")
def test_21_av_linked_after_registration_within_the_deadline_is_silent(scene):
    """登记后补充关联、但仍在期限内（11月18日）到达的音像记录：不报。"""
    built = scene()
    built.arrival = at(2026, 11, 18, 16, 0)
    built.segment(START, END, device=built.device())
    assert hits(built, "A21-deadline", now=LATER) == []


@pytest.mark.rule("A21-labels")
def test_21_2_av_without_its_place_label_is_flagged(scene):
    """原始音视频未标注地点：报。"""
    built = scene()
    built.main.label_place = ""
    built.main.save()
    assert hits(built, "A21-labels")


@pytest.mark.rule("A21-labels")
def test_21_2_av_labelled_by_linking_to_the_act_is_silent(scene):
    """关联到执法行为时自动标注时间、地点、当事人：不报。"""
    assert hits(scene(), "A21-labels") == []


def test_21_api_a_new_year_act_shows_its_provisional_deadline(scene, api):
    """接口：12月31日结束的执法行为，登记期限为2027年1月5日，标明暂定。"""
    built = _unregistered(scene)
    Act.objects.filter(pk=built.act.pk).update(
        started_at=at(2026, 12, 31, 9, 0), ended_at=at(2026, 12, 31, 10, 0)
    )
    body = api.get(f"/acts/{built.act.pk}/registration").json()
    assert (body["deadline"], body["deadline_provisional"]) == ("2027-01-05", True)


@pytest.mark.rule("A21-deadline")
def test_21_api_an_overdue_registration_reaches_the_terminal(scene, api):
    """接口：逾期未登记的检查发现经接口可见，并引用第二十一条第一款。"""
    built = _unregistered(scene)
    [finding] = api_findings(api, built, now=LATER)["A21-deadline"]
    assert "未储存登记" in finding["message"]


@pytest.mark.rule("A21-deadline")
def test_21_api_a_delay_the_head_approves_with_its_date_then_registration_by_it_is_silent(
    scene,
    api,
    api_as,
    custodian,
    head,
    clock,
):
    """接口：执法人员申请延期，负责人在期限前批准延期至11月20日（须填日期、有上限），按期登记不报。"""
    built = _unregistered(scene)
    clock(at(2026, 11, 18, 9))
    r = api.post(f"/acts/{built.act.pk}/late-requests", {"explanation": "记录仪送修，导出延后"})
    assert r.status_code == 201, r.content
    [late] = r.json()["late_requests"]
    assert late["status"] == "pending"
    clock(at(2026, 11, 18, 11))
    decide = f"/late-requests/{late['id']}/decision"
    boss = api_as(head)
    for until, code in (
        (None, "approved_until_required"),
        ("2026-11-18", "approved_until_too_early"),
        ("2027-01-05", "approved_until_too_late"),
    ):
        r = boss.post(decide, {"approve": True, "approved_until": until})
        assert r.status_code == 400 and r.json()["code"] == code, r.content
        assert "approved_until" in r.json()["fields"]
    assert api.post(decide, {"approve": True, "approved_until": "2026-11-20"}).status_code == 403
    r = boss.post(decide, {"approve": True, "note": "同意", "approved_until": "2026-11-20"})
    assert r.status_code == 200, r.content
    [late] = r.json()["late_requests"]
    assert (late["status"], late["approved_until"]) == ("approved", "2026-11-20")
    clock(at(2026, 11, 20, 15, 0))
    r = api_as(custodian).post(
        f"/acts/{built.act.pk}/registration", {"confirm_open_findings": True}
    )
    assert r.status_code == 201 and r.json()["on_time"] is False
    assert "A21-deadline" not in api_findings(api, built, now=LATER)


@pytest.mark.rule("A21-deadline")
def test_21_page_the_head_approves_a_delay_with_its_date_and_a_later_registration_is_flagged(
    scene, custodian, head, clock
):
    """页面：负责人在执法行为页面批准延期至11月20日；11月23日才登记：逾期，检查发现注明批准日期。"""
    from django.test import Client
    from django.urls import reverse

    built = _unregistered(scene)
    clock(at(2026, 11, 18, 9))
    late = request_late_registration(built.officer, built.act, "记录仪送修")
    client = Client()
    client.force_login(head)
    page = client.get(built.act.get_absolute_url()).content.decode()
    assert 'name="approved_until"' in page and 'max="2026-12-18"' in page
    decide = reverse("registration_late_decide", args=[late.pk])
    response = client.post(decide, {"decision": "approve", "approved_until": "2027-02-30"})
    assert "日期格式不正确" in client.get(response.url).content.decode()
    client.post(decide, {"decision": "approve", "note": "同意", "approved_until": "2026-11-20"})
    page = client.get(built.act.get_absolute_url()).content.decode()
    assert "批准延期至 2026-11-20" in page
    clock(at(2026, 11, 23, 10, 0))
    register_records(custodian, built.act, confirm_open_findings=True)
    [hit] = hits(built, "A21-deadline", now=LATER)
    assert hit.key == "late" and "批准延期至 2026-11-20" in hit.params["problem"]
