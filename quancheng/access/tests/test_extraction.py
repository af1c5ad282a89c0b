"""Extraction requests and decisions (A24 ¶3): who may ask, who may decide, what is logged."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from quancheng.access.extraction import (
    decide_extraction,
    record_download,
    request_extraction,
    retry_production,
)
from quancheng.access.models import Extraction
from quancheng.access.package import produce
from quancheng.conftest import make_person
from quancheng.demo.ca import make_demo_certificates
from quancheng.ledger.models import Event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Role

from .extraction_setup import refs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("extraction_stores")]


def _events(extraction, action):
    return Event.objects.filter(
        object_type="access.extraction", object_id=str(extraction.pk), action=action
    )


@pytest.fixture
def pending(officer, act, act_items):
    return request_extraction(officer, purpose="法院调取", act=act, items=refs(act_items[:1]))


def test_an_officer_asks_and_the_request_is_in_the_ledger(pending, officer, act_items):
    assert pending.status == Extraction.Status.PENDING
    assert pending.items == [{"kind": "segment", "id": act_items[0].pk}]
    event = _events(pending, "extraction.requested").get()
    assert event.actor == officer
    assert json.loads(event.body)["items"] == pending.items


def test_an_outsider_cannot_ask_for_another_districts_act(outsider, act, act_items):
    with pytest.raises(PermissionDenied):
        request_extraction(outsider, purpose="x", act=act, items=refs(act_items))
    assert not Extraction.objects.exists()


def test_items_of_another_act_or_unknown_items_are_refused(
    officer, colleague, agency, subject, act, act_items
):
    from quancheng.cases.services import create_act

    other = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=act.started_at,
        ended_at=act.ended_at,
        place="别处",
        subject=subject,
    )
    with pytest.raises(ValidationError) as e:
        request_extraction(officer, purpose="x", act=other, items=refs(act_items))
    assert "不属于所选执法行为" in str(e.value)
    for bad in ([], [{"kind": "segment", "id": 999999}], [{"kind": "photo", "id": 1}], ["x"]):
        with pytest.raises(ValidationError):
            request_extraction(officer, purpose="x", act=act, items=bad)
    with pytest.raises(ValidationError, match="提取事由"):
        request_extraction(officer, purpose="  ", act=act, items=refs(act_items))
    assert not Extraction.objects.exists()


def test_items_of_a_case_come_through_its_acts(
    officer, colleague, agency, subject, act, case, clips
):
    from quancheng.cases.services import create_act
    from quancheng.records.tests.media_fixtures import store_segment

    case_act = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=act.started_at,
        ended_at=act.ended_at,
        place=act.place,
        subject=subject,
        case=case,
    )
    inside = store_segment(officer, clips["h264"], agency=agency, act=case_act)
    outside = store_segment(officer, clips["avi"], agency=agency, act=act)
    extraction = request_extraction(officer, purpose="复议", case=case, items=refs([inside]))
    assert extraction.case == case and extraction.act is None
    with pytest.raises(ValidationError):
        request_extraction(officer, purpose="复议", case=case, items=refs([outside]))


def test_only_the_agencys_head_decides_and_never_on_their_own_request(
    pending, officer, colleague, head, agency, act, act_items
):
    for who in (officer, colleague):
        with pytest.raises(PermissionDenied):
            decide_extraction(who, pending, approve=True)
    other_head = make_person("h2", "外区负责人", None, Role.HEAD)
    with pytest.raises(PermissionDenied):
        decide_extraction(other_head, pending, approve=True)
    own = request_extraction(head, purpose="自己申请", act=act, items=refs(act_items))
    with pytest.raises(PermissionDenied, match="申请人不能审批"):
        decide_extraction(head, own, approve=True)
    assert Extraction.objects.get(pk=own.pk).status == Extraction.Status.PENDING


def test_a_refusal_needs_a_reason_and_is_final(pending, head):
    with pytest.raises(ValidationError, match="审批意见"):
        decide_extraction(head, pending, approve=False)
    decide_extraction(head, pending, approve=False, note="事由不充分")
    pending.refresh_from_db()
    assert pending.status == Extraction.Status.REFUSED and pending.decided_by == head
    assert _events(pending, "extraction.refused").get().actor == head
    with pytest.raises(ValidationError, match="已处理"):
        decide_extraction(head, pending, approve=True)
    assert produce(pending.pk) is None  # nothing to produce


def test_without_a_certificate_production_fails_visibly_and_the_head_retries(
    pending, head, agency, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide_extraction(head, pending, approve=True)
    pending.refresh_from_db()
    assert pending.status == Extraction.Status.FAILED
    assert "没有有效的签章证书" in pending.error
    assert _events(pending, "extraction.failed").exists()
    make_demo_certificates(None, [agency])
    with django_capture_on_commit_callbacks(execute=True):
        retry_production(head, pending)
    pending.refresh_from_db()
    assert pending.status == Extraction.Status.PRODUCED
    assert _events(pending, "extraction.retried").exists()


def test_only_one_worker_produces_an_extraction(produced):
    assert produce(produced.pk) is None
    assert _events(produced, "extraction.produced").count() == 1


def test_only_the_requester_and_the_head_may_download(produced, officer, colleague, head):
    assert caps.can(officer, caps.EXTRACTION_DOWNLOAD, produced)
    assert caps.can(head, caps.EXTRACTION_DOWNLOAD, produced)
    assert not caps.can(colleague, caps.EXTRACTION_DOWNLOAD, produced)
    with pytest.raises(PermissionDenied):
        record_download(colleague, produced, "full", via="web")
    record_download(officer, produced, "full", via="api")
    body = json.loads(_events(produced, "extraction.downloaded").get().body)
    assert body == {"sha256": produced.package_id, "sm3": None, "range": "full", "via": "api"}
