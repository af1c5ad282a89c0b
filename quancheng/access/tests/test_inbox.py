"""The head's approvals inbox (审批待办): everything waiting for this head, from all apps."""

import pytest
from django.urls import reverse

from quancheng.access import requests as services
from quancheng.access.inbox import inbox, inbox_count
from quancheng.access.models import Extraction
from quancheng.archive.models import DisposalProposal, Hold
from quancheng.compliance.models import Explanation
from quancheng.conftest import make_person
from quancheng.registration.models import LateRegistrationRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(bystander, officer, custodian, act, case):
    """One of each thing a head approves, all in the head's agency."""
    return {
        "access_request": services.create_request(bystander, purpose="复核", act=act),
        "extraction": Extraction.objects.create(
            agency=act.agency, requested_by=officer, purpose="法院调取", act=act
        ),
        "late_registration": LateRegistrationRequest.objects.create(
            act=act, requested_by=officer, explanation="设备故障未能按时导入"
        ),
        "a13_review": Explanation.objects.create(
            act=act,
            kind=Explanation.Kind.A13_WORK_RECORD,
            reason=Explanation.Reason.PRIVACY,
            text="涉及个人隐私，停止录像",
            requested_by=officer,
            review=Explanation.Review.PENDING,
        ),
        "hold": Hold.objects.create(
            agency=act.agency,
            case=case,
            reason=Hold.Reason.OBJECTION,
            note="投诉",
            requested_by=custodian,
        ),
        "hold_lift": Hold.objects.create(
            agency=act.agency,
            act=act,
            reason=Hold.Reason.OTHER_EVIDENCE,
            note="证据",
            requested_by=custodian,
            status=Hold.Status.LIFT_REQUESTED,
            lift_reason="已结案",
            lift_requested_by=custodian,
        ),
        "disposal": DisposalProposal.objects.create(
            agency=act.agency, reason="保管期满", requested_by=custodian
        ),
    }


def test_every_kind_of_pending_approval_is_listed(head, waiting):
    sections = {code: entries for code, _, entries in inbox(head)}
    for code, obj in waiting.items():
        assert [e.obj for e in sections[code]] == [obj], code
    assert inbox_count(head) == len(waiting)


def test_decided_items_leave_the_inbox(head, waiting):
    services.decide_request(head, waiting["access_request"], False, "不同意")
    Extraction.objects.filter(pk=waiting["extraction"].pk).update(status="approved")
    assert inbox_count(head) == len(waiting) - 2


def test_other_agencies_and_the_heads_own_requests_are_not_listed(head, act, outsider, waiting):
    other_head = make_person("wuju", "吴局", outsider.agency, role="head")
    assert inbox_count(other_head) == 0
    services.create_request(head, purpose="本人申请", act=act)
    assert inbox_count(head) == len(waiting)


def test_the_page_links_where_it_can_and_shows_the_badge(client, head, waiting):
    client.force_login(head)
    page = client.get(reverse("access:inbox")).content.decode()
    assert "审批待办" in page and "调阅申请" in page and "销毁申请" in page
    assert waiting["access_request"].get_absolute_url() in page
    assert waiting["late_registration"].act.get_absolute_url() in page  # no page of its own
    assert f'审批待办 <span class="count-badge">{len(waiting)}</span>' in page


def test_only_heads_have_an_inbox(client, officer, custodian):
    for user in (officer, custodian):
        client.force_login(user)
        assert client.get(reverse("access:inbox")).status_code == 403
        assert reverse("access:inbox") not in client.get(reverse("home")).content.decode()
