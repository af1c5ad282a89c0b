"""The pages: 待销毁, 长期保存, 离线备份, 保管期限配置, and the tombstone on item pages."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from quancheng.alerts.models import Alert
from quancheng.archive.disposal import propose_disposal
from quancheng.archive.holds import decide_hold, request_hold
from quancheng.archive.models import DisposalProposal, Hold, OfflineCopyJob, RetentionConfig
from quancheng.archive.retention import recompute_for_items
from quancheng.ledger.models import Event
from quancheng.lib import confirm
from quancheng.records.services import blob_store

from .conftest import make_segment, shanghai

pytestmark = pytest.mark.django_db

FIRST_DUE = dt.datetime(2026, 7, 11, 9, tzinfo=dt.UTC)


def client_for(user, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.fixture
def segment(officer, act):
    segment = make_segment(officer, act, started_at=shanghai(2026, 1, 10))
    recompute_for_items([("segment", segment.pk)])
    return segment


def test_disposal_through_the_pages(custodian, head, segment):
    url = reverse("retention:disposal_list")
    with time_machine.travel(FIRST_DUE, tick=False):
        page = client_for(custodian).get(url)
        assert "执法记录仪_001.mp4" in page.content.decode()
        resp = client_for(custodian).post(
            url, {"item": [f"segment:{segment.pk}"], "reason": "保管期满"}
        )
        proposal = DisposalProposal.objects.get()
        assert resp.url == reverse("retention:disposal_detail", args=[proposal.pk])
        detail = client_for(head).get(resp.url).content.decode()
        assert "批准销毁" in detail
        assert "批准销毁" not in client_for(custodian).get(resp.url).content.decode()
        decide = reverse("retention:disposal_decide", args=[proposal.pk])
        head_client = client_for(head)
        # One click destroys nothing: the page says what approving does and asks again.
        asked = head_client.post(decide, {"decision": "approve", "note": "同意"})
        text = asked.content.decode()
        assert asked.status_code == 200 and "请确认：批准销毁申请" in text
        assert "不可恢复" in text and "1项音像记录" in text
        assert blob_store().exists(segment.blob_id)
        proposal.refresh_from_db()
        assert proposal.status == DisposalProposal.Status.PROPOSED
        # The custodian cannot use the head's confirmation: refused by the service as before.
        token = confirm.token(head, "disposal.approve", proposal)
        client_for(custodian).post(decide, {"decision": "approve", "confirm": token})
        proposal.refresh_from_db()
        assert proposal.status == DisposalProposal.Status.PROPOSED
        head_client.post(decide, {"decision": "approve", "note": "同意", "confirm": token})
    proposal.refresh_from_db()
    assert proposal.status == DisposalProposal.Status.APPROVED
    item_page = client_for(head).get(segment.get_absolute_url()).content.decode()
    assert "已销毁" in item_page and segment.blob_id in item_page
    assert "下载原始文件" not in item_page  # no download button, no hint
    assert reverse("segment_media", args=[segment.pk]) not in item_page
    assert not blob_store().exists(segment.blob_id)
    for name in ("segment_download", "segment_media"):
        assert client_for(head).get(reverse(name, args=[segment.pk])).status_code == 410
    assert not Alert.objects.filter(kind__startswith="fixity.").exists()


def test_a_blocked_disposal_names_the_blocker_and_offers_no_confirmation(
    officer,
    custodian,
    head,
    act,
    segment,
    api_as,
):
    """Issue 18: the confirmation page checks in advance what the approval checks; a hold
    requested after the proposal (A23) blocks it: the page says so in Chinese, with no confirm
    button, and the API refuses with a JSON code. Nothing is decided, nothing destroyed."""
    with time_machine.travel(FIRST_DUE, tick=False):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "保管期满")
        request_hold(officer, reason=Hold.Reason.OBJECTION, note="当事人投诉", act=act)
        page, api = client_for(head), api_as(head)
        events = Event.objects.count()
        decide = reverse("retention:disposal_decide", args=[proposal.pk])
        asked = page.post(decide, {"decision": "approve", "note": "同意"})
        text = asked.content.decode()
        assert asked.status_code == 200 and "目前不能执行此操作" in text
        assert "长期保存" in text and "confirm-blockers" in text
        assert "confirm-form" not in text and "确认批准并销毁" not in text
        assert 'name="confirm"' not in text

        r = api.post(f"/disposals/{proposal.pk}/decision", {"approve": True})
        assert r.status_code == 409 and r.json()["code"] == "disposal_blocked"
        assert "长期保存" in r.json()["message"]
        assert Event.objects.count() == events  # the advance check writes nothing
        # Insisting (confirm: true) is the service's refusal, logged as an attempt.
        r = api.post(f"/disposals/{proposal.pk}/decision", {"approve": True, "confirm": True})
        assert r.status_code == 400 and r.json()["code"] == "disposal_refused"
        assert Event.objects.filter(action="disposal.attempt_refused").exists()
    proposal.refresh_from_db()
    assert proposal.status == DisposalProposal.Status.PROPOSED
    assert blob_store().exists(segment.blob_id)


def test_a_refused_proposal_shows_a_chinese_error(officer, custodian, segment):
    with time_machine.travel(FIRST_DUE - dt.timedelta(days=1), tick=False):
        resp = client_for(custodian).post(
            reverse("retention:disposal_list"),
            {"item": [f"segment:{segment.pk}"], "reason": "期满"},
            follow=True,
        )
    assert "保管期限未满" in resp.content.decode()
    assert not DisposalProposal.objects.exists()
    assert Event.objects.filter(action="disposal.attempt_refused").exists()


def test_item_page_shows_the_retention_box(officer, segment):
    page = client_for(officer).get(segment.get_absolute_url()).content.decode()
    assert "保管期限" in page and "2026-07-10" in page


def test_hold_through_the_pages(officer, head, custodian, act, segment):
    new = reverse("retention:hold_new") + f"?act={act.pk}"
    assert "申请长期保存" in client_for(officer).get(new).content.decode()
    resp = client_for(officer).post(
        reverse("retention:hold_new"), {"act": act.pk, "reason": "objection", "note": "投诉"}
    )
    hold = Hold.objects.get()
    assert resp.url == reverse("retention:hold_detail", args=[hold.pk])
    assert "审批长期保存" in client_for(head).get(resp.url).content.decode()
    client_for(head).post(reverse("retention:hold_decide", args=[hold.pk]), {"decision": "approve"})
    hold.refresh_from_db()
    assert hold.status == Hold.Status.ACTIVE

    offline = client_for(custodian).get(reverse("retention:offline_list")).content.decode()
    assert "登记已备份" in offline
    job = OfflineCopyJob.objects.get()
    client_for(custodian).post(
        reverse("retention:offline_done", args=[job.pk]), {"medium_label": "BD-001"}
    )
    job.refresh_from_db()
    assert job.medium_label == "BD-001"
    assert "长期保存中" in client_for(officer).get(segment.get_absolute_url()).content.decode()


def test_hold_form_errors_are_in_chinese(officer, act):
    resp = client_for(officer).post(
        reverse("retention:hold_new"), {"act": act.pk, "reason": "objection", "note": " "}
    )
    assert resp.status_code == 400
    assert "请填写说明" in resp.content.decode()
    assert not Hold.objects.exists()


def test_a_head_cannot_approve_through_a_forged_post_in_another_agency(
    officer, act, outsider, segment
):
    from quancheng.conftest import make_person

    hold = request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="x")
    other_head = make_person("heads2", "江北负责人", outsider.agency, "head")
    resp = client_for(other_head).post(
        reverse("retention:hold_decide", args=[hold.pk]), {"decision": "approve"}
    )
    assert resp.status_code == 404
    hold.refresh_from_db()
    assert hold.status == Hold.Status.REQUESTED


def test_the_outsider_sees_nothing(officer, custodian, head, act, segment, outsider):
    hold = decide_hold(
        head, request_hold(officer, act=act, reason=Hold.Reason.OBJECTION, note="x"), approve=True
    )
    client = client_for(outsider)
    assert client.get(reverse("retention:hold_detail", args=[hold.pk])).status_code == 404
    assert client.get(reverse("retention:hold_new") + f"?act={act.pk}").status_code == 404
    for name in ("disposal_list", "offline_list"):
        # Officers have no queue: refused with the reason (403), nothing of it shown.
        assert client.get(reverse(f"retention:{name}")).status_code == 403
    # The retention configuration is read by everyone; an officer gets no preview.
    config = client.get(reverse("retention:config"), {"min_months": "12"})
    assert config.status_code == 200 and "预览修改" not in config.content.decode()
    hold_list = client.get(reverse("retention:hold_list")).content.decode()
    assert reverse("retention:hold_detail", args=[hold.pk]) not in hold_list


def test_outsiders_custodian_gets_404_for_a_proposal(custodian, segment, outsider):
    from quancheng.conftest import make_person

    with time_machine.travel(FIRST_DUE, tick=False):
        proposal = propose_disposal(custodian, [("segment", segment.pk)], "期满")
    other = make_person("cust2", "江北专人", outsider.agency, "custodian")
    url = reverse("retention:disposal_detail", args=[proposal.pk])
    assert client_for(other).get(url).status_code == 404


def test_posts_need_a_csrf_token(custodian, segment):
    client = client_for(custodian, csrf=True)
    with time_machine.travel(FIRST_DUE, tick=False):
        resp = client.post(
            reverse("retention:disposal_list"), {"item": [f"segment:{segment.pk}"], "reason": "x"}
        )
    assert resp.status_code == 403
    assert not DisposalProposal.objects.exists()


def test_rules_preview_and_apply(officer, custodian, city_admin, segment):
    # The old rules page's address (and its preview link) lead to the one configuration page.
    old = client_for(custodian).get(reverse("retention:retention_rules"), {"min_months": "12"})
    assert old.status_code == 302
    assert old.url == reverse("retention:config") + "?min_months=12"
    url = reverse("retention:config")
    page = client_for(custodian).get(url, {"min_months": "12"}).content.decode()
    assert "该修改将改变 1 条记录的保管期限" in page
    assert "2026-07-10" in page and "2027-01-10" in page
    assert "确认修改" not in page  # the custodian previews, the city administrator applies
    assert not RetentionConfig.objects.exists()

    bad = client_for(custodian).get(url, {"min_months": "3"})
    assert bad.status_code == 400 and "不得少于6个月" in bad.content.decode()

    admin_page = client_for(city_admin).get(url, {"min_months": "12"}).content.decode()
    assert "确认修改并保存为新版本" in admin_page
    client_for(city_admin).post(url, {"min_months": "12", "confirm": "1"})
    assert RetentionConfig.objects.get().data["non_evidence_min_months"] == 12
    assert Event.objects.filter(action="archive.retention_config_changed").exists()


def test_a_minimum_below_the_legal_floor_is_refused_on_the_page(city_admin, segment):
    url = reverse("retention:config")
    refused = client_for(city_admin).post(url, {"min_months": "5", "confirm": "1"})
    assert refused.status_code == 400
    assert "非证据音像记录保存期限不得少于6个月（第二十二条）" in refused.content.decode()
    assert not RetentionConfig.objects.exists()
    assert not Event.objects.filter(action="archive.retention_config_changed").exists()
