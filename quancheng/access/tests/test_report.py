"""The access report: who saw what, the three flags, who may read it, the CSV."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from quancheng.access.report import Filters, access_rows, unused_accounts
from quancheng.archive.models import Hold
from quancheng.conftest import make_person
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_atomic

pytestmark = pytest.mark.django_db


def _at(moment, user, action, item, body=None):
    with time_machine.travel(moment, tick=False):
        return record_atomic(user, action, item, body or {"sha256": "x"})


def _flags(user, **filters):
    return {(r.event.seq, tuple(r.flags)) for r in access_rows(user, Filters(**filters))}


@pytest.fixture
def t0():
    return timezone.now() - dt.timedelta(days=10)


def _objection(act, officer, at):
    return Hold.objects.create(
        agency=act.agency,
        act=act,
        reason=Hold.Reason.OBJECTION,
        note="当事人投诉",
        requested_by=officer,
        requested_at=at,
        status=Hold.Status.ACTIVE,
    )


def test_involved_officers_viewing_their_video_after_a_complaint_are_flagged(
    head, officer, custodian, act, segment, document, t0
):
    before = _at(t0, officer, Action.SEGMENT_PLAYED, segment)
    _objection(act, officer, t0 + dt.timedelta(hours=1))
    after = _at(t0 + dt.timedelta(hours=2), officer, Action.SEGMENT_PLAYED, segment)
    doc = _at(t0 + dt.timedelta(hours=2), officer, Action.DOCUMENT_VIEWED, document)
    by_custodian = _at(t0 + dt.timedelta(hours=3), custodian, Action.SEGMENT_VIEWED, segment)
    flags = dict(_flags(head))
    assert flags[after.seq] == ("after_complaint",)
    assert flags[before.seq] == () and flags[doc.seq] == () and flags[by_custodian.seq] == ()


def test_a_refused_hold_is_no_complaint(head, officer, act, segment, t0):
    hold = _objection(act, officer, t0)
    hold.status = Hold.Status.REFUSED
    hold.save()
    e = _at(t0 + dt.timedelta(hours=1), officer, Action.SEGMENT_VIEWED, segment)
    assert dict(_flags(head))[e.seq] == ()


def test_a_complaint_on_the_case_covers_the_videos_of_its_acts(
    head, officer, act, case, segment, t0
):
    act.case = case
    act.save()
    Hold.objects.create(
        agency=case.agency,
        case=case,
        reason=Hold.Reason.OBJECTION,
        note="信访",
        requested_by=officer,
        requested_at=t0,
    )
    e = _at(t0 + dt.timedelta(minutes=5), officer, Action.SEGMENT_DOWNLOADED, segment)
    assert dict(_flags(head))[e.seq] == ("after_complaint",)


def test_more_than_n_distinct_downloads_in_the_window_are_flagged(
    head, officer, segment, document, settings, t0
):
    settings.QC_ACCESS_BULK_DOWNLOADS = 1
    settings.QC_ACCESS_BULK_WINDOW_HOURS = 1
    a = _at(t0, officer, Action.SEGMENT_DOWNLOADED, segment)
    again = _at(t0 + dt.timedelta(minutes=1), officer, Action.SEGMENT_DOWNLOADED, segment)
    assert dict(_flags(head))[again.seq] == ()  # the same item twice (a resumed download)
    b = _at(t0 + dt.timedelta(minutes=30), officer, Action.DOCUMENT_DOWNLOADED, document)
    later = _at(t0 + dt.timedelta(hours=5), officer, Action.DOCUMENT_DOWNLOADED, document)
    flags = dict(_flags(head))
    assert flags[a.seq] == flags[b.seq] == ("bulk_download",)
    assert flags[later.seq] == ()


def test_accounts_without_a_login_for_90_days_are_listed(head, officer, colleague, agency):
    long_ago = timezone.now() - dt.timedelta(days=200)
    sleeper = make_person("laowang", "老王", agency, date_joined=long_ago)
    sleeper.last_login = timezone.now() - dt.timedelta(days=91)
    sleeper.save()
    active = make_person("xiaoli", "小李", agency, date_joined=long_ago)
    record_atomic(active, Action.AUTH_LOGIN, active, {})
    never = make_person("xiaozhao", "小赵", agency, date_joined=long_ago)
    names = {u.username for u in unused_accounts(head)}
    assert {"laowang", "xiaozhao"} <= names
    assert "xiaoli" not in names and officer.username not in names  # new accounts are not
    assert never.username in names


def test_the_report_filters_by_user_item_and_period(
    head, officer, colleague, segment, document, t0
):
    e1 = _at(t0, officer, Action.SEGMENT_VIEWED, segment)
    e2 = _at(t0 + dt.timedelta(days=2), colleague, Action.DOCUMENT_VIEWED, document)
    seqs = lambda **f: {r.event.seq for r in access_rows(head, Filters(**f))}  # noqa: E731
    assert seqs(user="李娜") == {e2.seq}
    assert seqs(item_kind="segment", item_id=segment.pk) == {e1.seq}
    day = timezone.localtime(t0).date()
    assert seqs(since=day, until=day) == {e1.seq}


def test_the_report_filters_by_case(head, officer, act, case, segment, document, t0):
    segment.case = case
    segment.save()
    e = _at(t0, officer, Action.SEGMENT_VIEWED, segment)
    _at(t0, officer, Action.DOCUMENT_VIEWED, document)
    assert {r.event.seq for r in access_rows(head, Filters(case_id=case.pk))} == {e.seq}


def test_only_head_auditor_and_city_admin_read_the_report(
    client, officer, custodian, head, auditor, city_admin, segment
):
    for user in (officer, custodian):
        client.force_login(user)
        assert client.get(reverse("access:report")).status_code == 403
    for user in (head, auditor, city_admin):
        client.force_login(user)
        assert client.get(reverse("access:report")).status_code == 200


def test_the_other_district_does_not_see_the_access(client, outsider, officer, segment):
    outsider_head = make_person("wuhead", "吴局", outsider.agency, role="head")
    record_atomic(officer, Action.SEGMENT_VIEWED, segment, {})
    assert access_rows(outsider_head) == []


def test_the_page_and_csv_show_who_saw_what(client, head, officer, segment, approve, bystander):
    approved = approve(bystander, item_kind="segment", item_id=segment.pk)
    record_atomic(bystander, Action.SEGMENT_PLAYED, segment, {"access_request": approved.pk})
    client.force_login(head)
    page = client.get(reverse("access:report")).content.decode()
    assert "钱伟" in page and "播放" in page
    assert reverse("access:request_detail", args=[approved.pk]) in page
    r = client.get(reverse("access:report_csv") + "?user=qianwei")
    text = r.content.decode("utf-8")
    assert r["Content-Type"].startswith("text/csv") and text.startswith("\ufeff序号")
    lines = text.strip().splitlines()
    assert len(lines) == 2 and "qianwei" in lines[1] and f",{approved.pk}," in lines[1]
