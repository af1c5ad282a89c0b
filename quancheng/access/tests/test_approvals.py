"""The one approval service (orgs/approvals.py): ``decide()`` over every registered kind, and
the head's inbox read from the registry."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from quancheng.access import requests as access_requests
from quancheng.access.inbox import inbox, inbox_count
from quancheng.access.models import AccessRequest, Extraction, Provision, RedactedCopy
from quancheng.archive.disposal import DisposalRefused
from quancheng.archive.holds import HoldRefused
from quancheng.archive.models import (
    DisposalProposal,
    Dossier,
    Hold,
    RetentionClass,
    SupplementRequest,
    Transfer,
)
from quancheng.compliance.models import Explanation
from quancheng.ledger.models import Event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.approvals import (
    ApprovableKind,
    approvable_kinds,
    decide,
    kind_of,
    register_approvable,
    unregister_approvable,
)
from quancheng.orgs.models import Role
from quancheng.registration.models import LateRegistrationRequest

pytestmark = pytest.mark.django_db

# What decide() may raise in each kind's own vocabulary (its pages and API map them).
REFUSALS = (PermissionDenied, ValidationError, HoldRefused, DisposalRefused)


def _dossier(act, case, custodian):
    return Dossier.objects.create(
        agency=act.agency,
        case=case,
        kind=Dossier.Kind.PENALTY_GENERAL,
        number="2026-001",
        title="案卷",
        retention_class=RetentionClass.Y30,
        custodian=custodian,
        status=Dossier.Status.FROZEN,
    )


def _provision(act, requester):
    return Provision.objects.create(
        agency=act.agency,
        recipient="区人民法院",
        recipient_kind=Provision.RecipientKind.JUDICIAL,
        legal_basis="行政诉讼法第三十九条",
        act=act,
        requested_by=requester,
    )


def _build(code, requester, request):
    """A pending approval of kind ``code`` asked by ``requester``, in the head's agency."""
    act = request.getfixturevalue("act")
    case = request.getfixturevalue("case")
    custodian = request.getfixturevalue("custodian")
    agency = act.agency
    if code == "access_request":
        return AccessRequest.objects.create(
            agency=agency, requested_by=requester, purpose="复核", act=act
        )
    if code == "extraction":
        return Extraction.objects.create(
            agency=agency, requested_by=requester, purpose="法院调取", act=act
        )
    if code == "provision":
        return _provision(act, requester)
    if code == "redaction":
        segment = request.getfixturevalue("segment")
        return RedactedCopy.objects.create(
            agency=agency,
            provision=_provision(act, custodian),
            segment=segment,
            status=RedactedCopy.Status.REVIEW,
            requested_by=requester,
        )
    if code == "late_registration":
        return LateRegistrationRequest.objects.create(
            act=act, requested_by=requester, explanation="设备故障未能按时导入"
        )
    if code == "a13_review":
        return Explanation.objects.create(
            act=act,
            kind=Explanation.Kind.A13_WORK_RECORD,
            reason=Explanation.Reason.PRIVACY,
            text="涉及个人隐私，停止录像",
            requested_by=requester,
            review=Explanation.Review.PENDING,
        )
    if code == "hold":
        return Hold.objects.create(
            agency=agency,
            case=case,
            reason=Hold.Reason.OBJECTION,
            note="投诉",
            requested_by=requester,
        )
    if code == "hold_lift":
        return Hold.objects.create(
            agency=agency,
            act=act,
            reason=Hold.Reason.OTHER_EVIDENCE,
            note="证据",
            requested_by=custodian,
            status=Hold.Status.LIFT_REQUESTED,
            lift_reason="已结案",
            lift_requested_by=requester,
        )
    if code == "disposal":
        return DisposalProposal.objects.create(
            agency=agency, reason="保管期满", requested_by=requester
        )
    if code == "supplement":
        return SupplementRequest.objects.create(
            agency=agency,
            dossier=_dossier(act, case, custodian),
            reason="漏归档一份笔录",
            requested_by=requester,
        )
    if code == "transfer":
        return Transfer.objects.create(
            agency=agency,
            dossier=_dossier(act, case, custodian),
            recipient="区档案馆",
            requested_by=requester,
        )
    raise AssertionError(f"no test builder for the approvable kind {code!r}: add one here")


KINDS = [
    "access_request",
    "extraction",
    "provision",
    "redaction",
    "late_registration",
    "a13_review",
    "hold",
    "hold_lift",
    "disposal",
    "supplement",
    "transfer",
]


def test_the_registry_holds_every_flow_and_this_test_builds_each():
    assert [kind.code for kind in approvable_kinds()] == KINDS


def _events():
    return Event.objects.count()


def _still_pending(code, obj):
    kind = kind_of(code)
    return kind.is_pending(kind.model.objects.get(pk=obj.pk))


@pytest.mark.parametrize("code", KINDS)
def test_the_requester_never_decides_their_own(code, head, request):
    obj = _build(code, head, request)
    before = _events()
    for approve, note in ((True, "同意"), (False, "不同意")):
        with pytest.raises(REFUSALS, match=r"自己|本人"):
            decide(code, obj, head, approve=approve, note=note)
    assert _still_pending(code, obj)
    assert _events() == before


@pytest.mark.parametrize("code", KINDS)
def test_a_refusal_needs_a_note(code, head, officer, request):
    obj = _build(code, officer, request)
    before = _events()
    with pytest.raises(REFUSALS, match="审批意见"):
        decide(code, obj, head, approve=False, note="  ")
    assert _still_pending(code, obj)
    assert _events() == before


@pytest.mark.parametrize("code", KINDS)
def test_a_decision_is_taken_once_with_its_ledger_event(code, head, officer, request):
    obj = _build(code, officer, request)
    before = _events()
    decide(code, obj, head, approve=False, note="材料不全")
    assert not _still_pending(code, obj)
    assert _events() > before  # the kind's own event, in the decision's transaction
    decided = _events()
    for approve, note in ((False, "再次"), (True, "同意")):
        with pytest.raises(REFUSALS, match=r"已处理|已审批|不能审核|不在待审核"):
            decide(code, obj, head, approve=approve, note=note)
    assert _events() == decided


@pytest.mark.parametrize("code", KINDS)
def test_only_who_holds_the_capability_decides(code, custodian, officer, request):
    obj = _build(code, officer, request)
    with pytest.raises((*REFUSALS, Http404)):
        decide(code, obj, custodian, approve=True, note="同意")
    assert _still_pending(code, obj)


def test_a_requester_promoted_to_head_still_cannot_decide_their_own(officer, act):
    pending = access_requests.create_request(officer, purpose="复核", act=act)
    officer.role = Role.HEAD
    officer.save()
    assert caps.can(officer, caps.REQUESTS_DECIDE, pending)
    with pytest.raises(PermissionDenied, match="本人"):
        access_requests.decide_request(officer, pending, True, "同意")
    pending.refresh_from_db()
    assert pending.status == AccessRequest.Status.PENDING


@pytest.fixture
def test_kind():
    """A kind registered by the test only: the inbox shows it with no change of its own."""
    kind = register_approvable(
        ApprovableKind(
            code="test_kind",
            label="测试审批事项",
            noun="测试申请",
            model=Extraction,
            capability=caps.REQUESTS_DECIDE,
            pending=lambda user: Extraction.objects.filter(
                status=Extraction.Status.PENDING, agency=user.agency_id, purpose="测试事项"
            ),
            is_pending=lambda obj: obj.status == Extraction.Status.PENDING,
            effect=lambda obj, actor, approve, note: obj,
            title=lambda obj: f"测试事项 {obj.pk}",
        )
    )
    yield kind
    unregister_approvable("test_kind")


def test_the_inbox_lists_a_kind_it_was_never_told_about(client, head, officer, act, test_kind):
    asked = Extraction.objects.create(
        agency=act.agency, requested_by=officer, purpose="测试事项", act=act
    )
    sections = {code: (title, entries) for code, title, entries in inbox(head)}
    title, entries = sections["test_kind"]
    assert title == "测试审批事项"
    assert [e.obj for e in entries] == [asked] and entries[0].requester == officer
    # The same row is an extraction too: both sections count it.
    assert inbox_count(head) == 2
    client.force_login(head)
    page = client.get(reverse("access:inbox")).content.decode()
    assert "测试审批事项" in page and f"测试事项 {asked.pk}" in page


def test_every_registered_kind_is_a_section_of_the_inbox(head):
    assert [code for code, _, _ in inbox(head)] == [kind.code for kind in approvable_kinds()]
