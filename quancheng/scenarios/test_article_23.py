"""第二十三条: records that must be kept long-term are never disposed of (issue 14, point 2).

A lone inspection's non-evidence AV (recorded 2026-01-10) is due for disposal from 2026-07-11
(A22). Each scenario puts one A23 circumstance on that act and tries to dispose of the video:
a hold request waiting for the head, an obstruction / objection / mass-incident marker, an open
A23 finding, a refused hold; and the nearest compliant case, where the head resolved it (a hold
approved and later lifted, or a reasoned decision that it does not apply).
"""

import datetime as dt
import json
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from quancheng.archive import disposal
from quancheng.archive.disposal import DisposalRefused, decide_disposal, propose_disposal
from quancheng.archive.holds import decide_hold, decide_lift, request_hold, request_lift
from quancheng.archive.longterm import WaiverRefused, waive_longterm
from quancheng.archive.models import DisposalProposal, Dossier, Hold
from quancheng.archive.retention import recompute_for_items
from quancheng.archive.tests.conftest import freeze_dossier, make_segment, shanghai
from quancheng.cases.services import create_act
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Finding
from quancheng.compliance.services import add_marker, withdraw_marker
from quancheng.ledger.models import Event
from quancheng.lib import confirm
from quancheng.records.services import blob_store

if TYPE_CHECKING:
    from quancheng.orgs.models import User


pytestmark = [pytest.mark.django_db, pytest.mark.rule("A23-longterm")]

RECORDED = shanghai(2026, 1, 10)
DUE = shanghai(2026, 8, 3)  # past the six months of non-evidence AV (A22)


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def clock():
    with time_machine.travel(RECORDED + dt.timedelta(hours=2), tick=False) as traveller:
        yield traveller


@pytest.fixture
def inspection(officer, colleague, agency, subject, clock):
    return create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=RECORDED,
        ended_at=RECORDED + dt.timedelta(minutes=45),
        place=subject.address,
        subject=subject,
    )


@pytest.fixture
def video(officer, inspection):
    segment = make_segment(officer, inspection, started_at=RECORDED, duration_seconds=600.0)
    recompute_for_items([("segment", segment.pk)])
    return segment


def _ref(segment):
    return [("segment", segment.pk)]


def _due(clock, segment):
    clock.move_to(DUE)
    recompute_for_items(_ref(segment))


def _refused(custodian, segment, match):
    with pytest.raises(DisposalRefused, match=match):
        propose_disposal(custodian, _ref(segment), "保管期满")
    assert not DisposalProposal.objects.exists()
    assert blob_store().exists(segment.blob_id)


def _hold(officer, head, act, reason=Hold.Reason.OBSTRUCTION, approve=None):
    hold = request_hold(officer, act=act, reason=reason, note="当事人拒绝开门，阻挠检查")
    if approve is not None:
        hold = decide_hold(head, hold, approve=approve, note="" if approve else "证据不足")
    return hold


# --- a hold request waiting for the head ---------------------------------------------------------


def test_a_pending_hold_request_blocks_disposal_of_the_items_it_covers(
    clock, officer, custodian, inspection, video
):
    """待审批的长期保存申请所涉记录不得销毁。"""
    _hold(officer, None, inspection)
    _due(clock, video)
    _refused(custodian, video, "待机构负责人审批的长期保存申请")


def test_without_any_circumstance_the_due_video_is_disposed_of(
    clock, custodian, head, inspection, video
):
    """无第二十三条情形的期满记录可以销毁（对照）。"""
    _due(clock, video)
    proposal = propose_disposal(custodian, _ref(video), "保管期满")
    proposal = decide_disposal(head, proposal, approve=True)
    assert proposal.status == DisposalProposal.Status.APPROVED
    assert disposal.is_disposed(video) and not blob_store().exists(video.blob_id)


# --- circumstances marked in the recording --------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("obstruction", "阻碍执法"),
        ("objection", "当事人异议"),
        ("mass_incident", "群体性事件"),
    ],
)
def test_a_marked_circumstance_keeps_the_acts_items_until_the_head_resolves_it(
    clock, officer, custodian, video, kind, label
):
    """标记了阻碍执法、当事人异议或群体性事件的执法行为，其记录在机构负责人处理前不得销毁。"""
    add_marker(officer, video, kind, 30)
    _due(clock, video)
    _refused(custodian, video, label)
    attempt = Event.objects.get(action="disposal.attempt_refused")
    assert "第二十三条" in json.loads(attempt.body)["message"]


def test_a_hold_approved_and_later_lifted_by_the_head_frees_the_items(
    clock, officer, custodian, head, inspection, video
):
    """经机构负责人批准长期保存、其后又由其批准解除的，期满后可以销毁。"""
    add_marker(officer, video, "obstruction", 30)
    hold = _hold(officer, head, inspection, approve=True)
    _due(clock, video)
    _refused(custodian, video, "长期保存")  # while the hold is in force
    decide_lift(head, request_lift(officer, hold, reason="复议期满，当事人未再异议"), approve=True)
    recompute_for_items(_ref(video))
    assert disposal.why_not_disposable(_ref(video)) == []
    propose_disposal(custodian, _ref(video), "保管期满")


def test_the_heads_reasoned_not_applicable_decision_frees_the_items_and_is_logged(
    clock, officer, custodian, head, inspection, video
):
    """机构负责人决定不适用长期保存（写明理由）的，记账本，期满后可以销毁。"""
    add_marker(officer, video, "objection", 30)
    waiver = waive_longterm(head, inspection, reason="当事人仅询问处罚依据，未提出异议")
    event = Event.objects.get(action="hold.not_applicable")
    assert event.object_id == str(inspection.pk) and event.actor == head
    assert json.loads(event.body)["circumstances"] == ["objection"]
    assert waiver.markers and waiver.decided_by == head
    _due(clock, video)
    assert disposal.why_not_disposable(_ref(video)) == []


def test_the_not_applicable_decision_is_shown_in_the_dossier(
    clock, officer, custodian, head, inspection, video
):
    """不适用长期保存决定显示在案卷中。"""
    add_marker(officer, video, "obstruction", 30)
    waive_longterm(head, inspection, reason="执法录像显示当事人配合检查，标记有误")
    dossier = freeze_dossier(inspection, custodian, archived_on=dt.date(2026, 1, 12))
    client = Client()
    client.force_login(custodian)
    page = client.get(dossier.get_absolute_url()).content.decode()
    assert "不适用长期保存" in page and "执法录像显示当事人配合检查，标记有误" in page
    assert "刘洋" in page


@pytest.mark.parametrize(
    ("who", "reason", "match"),
    [
        ("officer", "理由", "只有本机构负责人"),
        ("head", " ", "请填写不适用长期保存的理由"),
    ],
)
def test_only_the_head_with_a_reason_may_decide_it_does_not_apply(
    officer, head, inspection, video, who, reason, match
):
    """不适用决定只能由机构负责人作出，且须写明理由。"""
    from django.core.exceptions import PermissionDenied

    add_marker(officer, video, "obstruction", 30)
    user = {"officer": officer, "head": head}[who]
    with pytest.raises((PermissionDenied, WaiverRefused), match=match):
        waive_longterm(user, inspection, reason=reason)
    assert not Event.objects.filter(action="hold.not_applicable").exists()


def test_no_not_applicable_decision_while_a_hold_request_waits(officer, head, inspection, video):
    """有待审批的长期保存申请时，应先审批该申请，不能以不适用决定代替。"""
    add_marker(officer, video, "obstruction", 30)
    _hold(officer, head, inspection)
    with pytest.raises(WaiverRefused, match="请先审批"):
        waive_longterm(head, inspection, reason="不适用")


# --- refused holds and open findings ---------------------------------------------------------


def test_a_refused_hold_on_a_marked_act_leaves_an_open_finding(
    clock, officer, custodian, head, inspection, video
):
    """对标记了阻碍执法的执法行为不批准长期保存的，留下待处理的检查发现，记录仍不得销毁。"""
    add_marker(officer, video, "obstruction", 30)
    _hold(officer, head, inspection, approve=False)
    evaluate_act(inspection)
    finding = Finding.objects.get(act=inspection, rule_id="A23-longterm")
    assert finding.status == Finding.Status.OPEN and "未获批准" in finding.message
    _due(clock, video)
    _refused(custodian, video, "未处理的长期保存检查发现")


def test_an_approved_hold_leaves_no_finding(officer, head, inspection, video):
    """经批准长期保存的，不产生检查发现（对照）。"""
    add_marker(officer, video, "obstruction", 30)
    _hold(officer, head, inspection, approve=True)
    evaluate_act(inspection)
    assert not Finding.objects.filter(act=inspection, rule_id="A23-longterm").exists()


def test_an_open_a23_finding_blocks_disposal_until_it_is_closed(
    clock, officer, custodian, inspection, video
):
    """存在未处理的第二十三条检查发现时不得销毁；发现关闭后可以销毁。"""
    marker = add_marker(officer, video, "obstruction", 30)
    evaluate_act(inspection)
    withdraw_marker(officer, marker, "误标")  # the circumstance is gone, the finding still open
    _due(clock, video)
    _refused(custodian, video, "未处理的长期保存检查发现")
    evaluate_act(inspection)  # the rule no longer fires: the finding closes
    assert disposal.why_not_disposable(_ref(video)) == []


# --- the re-check inside the disposal transaction ---------------------------------------------


def test_a_hold_requested_between_proposal_and_approval_stops_the_approval(
    clock, officer, custodian, head, inspection, video
):
    """销毁申请提出后、审批前有人申请长期保存的，审批时重新检查并拒绝。"""
    _due(clock, video)
    proposal = propose_disposal(custodian, _ref(video), "保管期满")
    _hold(officer, head, inspection)
    with pytest.raises(DisposalRefused, match="待机构负责人审批的长期保存申请"):
        decide_disposal(head, proposal, approve=True)
    proposal.refresh_from_db()
    assert proposal.status == DisposalProposal.Status.PROPOSED
    assert not disposal.is_disposed(video) and blob_store().exists(video.blob_id)


def test_a_marker_added_after_the_approval_check_keeps_the_item_in_its_own_transaction(
    clock, officer, custodian, head, inspection, video, monkeypatch
):
    """审批通过后、逐项销毁前出现阻碍执法标记的，该项在销毁事务内复查后保留。"""
    _due(clock, video)
    proposal = propose_disposal(custodian, _ref(video), "保管期满")
    verify = disposal._verify

    def marked_meanwhile(ditem, item, user: "User"):
        add_marker(officer, video, "obstruction", 30)  # someone marks it at this moment
        return verify(ditem, item, user)

    monkeypatch.setattr(disposal, "_verify", marked_meanwhile)
    proposal = decide_disposal(head, proposal, approve=True)
    assert proposal.status == DisposalProposal.Status.FAILED
    kept = json.loads(Event.objects.get(action="disposal.item_kept").body)
    assert "阻碍执法" in "".join(kept["reasons"])
    assert not disposal.is_disposed(video) and blob_store().exists(video.blob_id)


# --- through the page and the API ---------------------------------------------------------------


def test_the_disposal_page_refuses_a_marked_item_with_the_reason(clock, officer, custodian, video):
    """在销毁页面提交标记了阻碍执法的记录，页面显示拒绝理由。"""
    add_marker(officer, video, "obstruction", 30)
    _due(clock, video)
    client = Client(enforce_csrf_checks=True)
    client.force_login(custodian)
    url = reverse("retention:disposal_list")
    page = client.get(url)
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None
    token = token or client.cookies["csrftoken"].value
    response = client.post(
        url,
        {"item": [f"segment:{video.pk}"], "reason": "保管期满", "csrfmiddlewaretoken": token},
        follow=True,
    )
    text = response.content.decode()
    assert "阻碍执法" in text and "第二十三条" in text
    assert not DisposalProposal.objects.exists()


def test_the_heads_decision_page_refuses_when_a_hold_is_pending(
    clock, officer, custodian, head, inspection, video
):
    """审批页面：有待审批长期保存申请时批准销毁被拒绝并显示理由。"""
    _due(clock, video)
    proposal = propose_disposal(custodian, _ref(video), "保管期满")
    _hold(officer, head, inspection)
    client = Client()
    client.force_login(head)
    response = client.post(
        reverse("retention:disposal_decide", args=[proposal.pk]),
        {"decision": "approve", "confirm": confirm.token(head, "disposal.approve", proposal)},
        follow=True,
    )
    assert "待机构负责人审批的长期保存申请" in response.content.decode()
    assert not disposal.is_disposed(video)


def test_the_api_refuses_disposal_of_a_marked_item_and_accepts_it_after_the_heads_decision(
    api_as,
    clock,
    officer,
    custodian,
    head,
    inspection,
    video,
):
    """接口：标记阻碍执法的记录，销毁申请被拒绝并说明原因；负责人决定不适用后可以申请。"""
    add_marker(officer, video, "obstruction", 30)
    _due(clock, video)
    body = {"items": [{"kind": "segment", "id": video.pk}], "reason": "保管期满"}
    refused = api_as(custodian).post("/disposals", body)
    assert refused.status_code == 400 and refused.json()["code"] == "disposal_refused"
    assert "阻碍执法" in refused.json()["message"]
    shown = api_as(custodian).get(f"/retention/segment/{video.pk}").json()
    assert any("第二十三条" in b for b in shown["blockers"])
    waived = api_as(head).post(
        f"/acts/{inspection.pk}/longterm-waiver", {"reason": "当事人配合检查，标记有误"}
    )
    assert waived.status_code == 201 and waived.json()["decided_by"]["full_name"] == "刘洋"
    created = api_as(custodian).post("/disposals", body)
    assert created.status_code == 201, created.json()
    decision = f"/disposals/{created.json()['id']}/decision"
    unconfirmed = api_as(head).post(decision, {"approve": True})
    assert unconfirmed.status_code == 400
    assert unconfirmed.json()["code"] == "confirmation_required"
    assert not disposal.is_disposed(video)
    decided = api_as(head).post(decision, {"approve": True, "confirm": True})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert disposal.is_disposed(video)


def test_a_hold_on_a_case_covers_the_items_of_all_its_acts(
    clock, officer, colleague, custodian, head, agency, subject, case, video
):
    """案件上的长期保存申请覆盖案件内各执法行为的记录。"""
    act = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="interrogation",
        started_at=RECORDED,
        ended_at=RECORDED + dt.timedelta(minutes=30),
        place=subject.address,
        subject=subject,
        case=case,
    )
    in_case = make_segment(officer, act, started_at=RECORDED)
    request_hold(officer, case=case, reason=Hold.Reason.OBJECTION, note="当事人申请行政复议")
    assert any(
        "待机构负责人审批的长期保存申请" in p for p in disposal.why_not_disposable(_ref(in_case))
    )
    assert Dossier.objects.count() == 0


def test_the_head_records_the_not_applicable_decision_on_its_page(
    clock, officer, custodian, head, inspection, video
):
    """机构负责人在页面上写明理由作出不适用决定；待销毁列表此前标明不得销毁的理由。"""
    add_marker(officer, video, "obstruction", 30)
    _due(clock, video)
    keeper = Client()
    keeper.force_login(custodian)
    listed = keeper.get(reverse("retention:disposal_list")).content.decode()
    assert "不得销毁" in listed and f'value="segment:{video.pk}"' not in listed
    client = Client()
    client.force_login(head)
    url = reverse("retention:longterm_waiver", args=[inspection.pk])
    assert "阻碍执法" in client.get(url).content.decode()
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400 and "请填写不适用长期保存的理由" in empty.content.decode()
    done = client.post(url, {"reason": "当事人配合检查，标记有误"})
    assert done.status_code == 302 and Event.objects.filter(action="hold.not_applicable").exists()
    listed = keeper.get(reverse("retention:disposal_list")).content.decode()
    assert f'value="segment:{video.pk}"' in listed
    officer_client = Client()
    officer_client.force_login(officer)
    refused = officer_client.post(url, {"reason": "x"})
    assert refused.status_code == 400 and "只有本机构负责人" in refused.content.decode()
