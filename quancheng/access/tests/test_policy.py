"""The access matrix (docs/access.md), one test per cell group, through decide()."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from quancheng.access.policy import allowed_ids, decide, mark_allowed
from quancheng.cases.services import create_act
from quancheng.conftest import make_person
from quancheng.orgs.models import Agency, Role

pytestmark = pytest.mark.django_db

ALL = ("view", "play", "download")


def _allowed(user, item):
    return {a for a in ALL if decide(user, item, a).allowed}


def test_officers_of_the_act_may_do_everything(officer, colleague, segment):
    assert _allowed(officer, segment) == set(ALL)
    assert _allowed(colleague, segment) == set(ALL)
    assert decide(colleague, segment, "play").reason_code == "involved"


def test_officers_of_the_case_may_do_everything_with_its_acts_items(
    officer, bystander, agency, case, act, segment
):
    assert _allowed(bystander, segment) == set()
    case.officers.add(bystander)
    act.case = case
    act.save()
    segment.refresh_from_db()
    assert _allowed(bystander, segment) == set(ALL)


def test_the_segments_own_officer_may_do_everything(bystander, segment):
    segment.officer = bystander
    assert _allowed(bystander, segment) == set(ALL)


def test_custodian_and_head_of_the_agency_may_do_everything(custodian, head, document):
    assert _allowed(custodian, document) == set(ALL)
    assert _allowed(head, document) == set(ALL)
    assert decide(head, document, "download").reason_code == "head"


def test_a_custodian_of_another_agency_in_the_district_needs_a_request(organisation, document):
    commission_custodian = make_person(
        "zhengyu", "郑宇", Agency.objects.get(code="d03-wjw"), Role.CUSTODIAN
    )
    assert _allowed(commission_custodian, document) == set()


def test_the_auditor_views_and_plays_but_never_downloads(auditor, segment):
    assert _allowed(auditor, segment) == {"view", "play"}
    refused = decide(auditor, segment, "download")
    assert refused.reason_code == "auditor_no_download"


def test_commission_city_admin_and_bystander_need_a_request(
    commission, city_admin, bystander, segment, document, data_record
):
    for user in (commission, city_admin, bystander):
        for item in (segment, document, data_record):
            assert _allowed(user, item) == set(), (user, item)
            assert decide(user, item, "view").reason_code == "needs_request"


def test_an_outsider_is_refused_as_out_of_scope(outsider, segment):
    assert decide(outsider, segment, "view").reason_code == "out_of_scope"


def test_an_approval_covers_view_and_play_not_download(bystander, approve, segment):
    approved = approve(bystander, item_kind="segment", item_id=segment.pk)
    assert _allowed(bystander, segment) == {"view", "play"}
    d = decide(bystander, segment, "play")
    assert d.reason_code == "request" and d.via_request_id == approved.pk
    assert decide(bystander, segment, "download").reason_code == "request_no_download"


def test_an_approval_with_download_covers_download(bystander, approve, segment):
    approve(bystander, download=True, item_kind="segment", item_id=segment.pk)
    assert _allowed(bystander, segment) == set(ALL)


def test_the_auditor_downloads_with_an_approval_that_allows_it(auditor, approve, segment):
    approved = approve(auditor, download=True, act=segment.act)
    assert decide(auditor, segment, "download").via_request_id == approved.pk


def test_an_approval_for_an_act_covers_its_items_only(
    commission, approve, officer, colleague, agency, subject, act, segment, document
):
    approve(commission, act=act)
    assert _allowed(commission, document) == {"view", "play"}
    other = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=act.started_at - dt.timedelta(days=1),
        ended_at=act.ended_at - dt.timedelta(days=1),
        place=act.place,
        subject=subject,
    )
    segment.act = other
    assert _allowed(commission, segment) == set()


def test_an_approval_for_a_case_covers_the_items_of_its_acts(
    city_admin, approve, act, case, segment
):
    act.case = case
    act.save()
    segment.refresh_from_db()
    approve(city_admin, case=case)
    assert _allowed(city_admin, segment) == {"view", "play"}


def test_an_approval_for_one_item_does_not_cover_another(bystander, approve, segment, document):
    approve(bystander, item_kind="document", item_id=document.pk)
    assert _allowed(bystander, document) == {"view", "play"}
    assert _allowed(bystander, segment) == set()


def test_someone_elses_approval_covers_nothing(bystander, commission, approve, segment):
    approve(commission, act=segment.act)
    assert _allowed(bystander, segment) == set()


def test_an_approval_ends_when_it_expires(bystander, approve, segment):
    approve(bystander, days=2, item_kind="segment", item_id=segment.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, hours=23), tick=False):
        assert decide(bystander, segment, "view").allowed
    with time_machine.travel(timezone.now() + dt.timedelta(days=2, seconds=1), tick=False):
        assert decide(bystander, segment, "view").reason_code == "needs_request"


def test_an_inactive_account_may_do_nothing(officer, segment):
    officer.is_active = False
    assert _allowed(officer, segment) == set()


def test_an_unknown_action_is_a_programming_error(officer, segment):
    with pytest.raises(ValueError, match="unknown access action"):
        decide(officer, segment, "copy")


def test_lists_are_decided_in_a_fixed_number_of_queries(
    bystander,
    approve,
    officer,
    colleague,
    agency,
    subject,
    act,
    segment,
    document,
    data_record,
    django_assert_max_num_queries,
):
    approve(bystander, item_kind="document", item_id=document.pk)
    with django_assert_max_num_queries(5):
        allowed = allowed_ids(bystander, [segment, document, data_record], "view")
    assert allowed == {("document", document.pk)}
    marked = mark_allowed(bystander, [segment, document])
    assert [i.access_allowed for i in marked] == [False, True]
