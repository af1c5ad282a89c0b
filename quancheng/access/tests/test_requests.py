"""Access requests (调阅申请): services, pages and the API; each step is a ledger event."""

import datetime as dt
import json
import secrets

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.access import requests as services
from quancheng.access.models import AccessRequest
from quancheng.ledger.models import Event
from quancheng.orgs.models import ApiToken

pytestmark = pytest.mark.django_db


def _event(obj, action):
    return Event.objects.for_object(obj).get(action=action)


# --- services ---------------------------------------------------------------------------------


def test_a_request_names_its_target_and_is_logged(bystander, segment, agency):
    r = services.create_request(
        bystander, purpose="信访答复", item_kind="segment", item_id=segment.pk
    )
    assert (r.agency, r.status, r.item_kind, r.item_id) == (
        agency,
        "pending",
        "segment",
        segment.pk,
    )
    body = json.loads(_event(r, "access.requested").body)
    assert body["purpose"] == "信访答复" and body["item_id"] == segment.pk


@pytest.mark.parametrize(
    ("target", "code"),
    [({}, "no_target"), ({"act": 1, "case": 1}, "no_target"), ({"act": 99999}, "not_found")],
)
def test_a_request_names_exactly_one_target_in_scope(bystander, act, case, target, code):
    with pytest.raises(ValidationError) as e:
        services.create_request(bystander, purpose="复核", **target)
    assert e.value.error_dict["target"][0].code == code
    assert not AccessRequest.objects.exists()


def test_a_request_for_another_districts_act_is_not_found(outsider, act):
    with pytest.raises(ValidationError):
        services.create_request(outsider, purpose="复核", act=act)


def test_a_request_needs_a_purpose(bystander, act):
    with pytest.raises(ValidationError) as e:
        services.create_request(bystander, purpose="  ", act=act)
    assert "调阅事由" in e.value.messages[0]


def test_the_head_approves_with_the_default_expiry(bystander, head, act, settings):
    settings.QC_ACCESS_APPROVAL_DAYS = 7
    r = services.create_request(bystander, purpose="复核", act=act, allow_download=True)
    before = timezone.now()
    r = services.decide_request(head, r, True)
    assert r.status == "approved" and r.decided_by == head
    assert before + dt.timedelta(days=7) <= r.expires_at <= timezone.now() + dt.timedelta(days=7)
    body = json.loads(_event(r, "access.approved").body)
    assert body["allow_download"] is True and body["requester"] == bystander.username


def test_the_head_may_grant_less_than_asked(bystander, head, act):
    r = services.create_request(bystander, purpose="复核", act=act, allow_download=True)
    r = services.decide_request(head, r, True, allow_download=False)
    assert not r.allow_download


@pytest.mark.parametrize(("days", "code"), [(-1, "expiry_past"), (91, "expiry_too_long")])
def test_the_expiry_is_in_the_future_and_not_too_far(bystander, head, act, days, code):
    r = services.create_request(bystander, purpose="复核", act=act)
    with pytest.raises(ValidationError) as e:
        services.decide_request(head, r, True, expires_at=timezone.now() + dt.timedelta(days=days))
    assert e.value.error_dict["expires_at"][0].code == code
    r.refresh_from_db()
    assert r.status == "pending"


def test_only_the_head_of_the_records_agency_decides(bystander, custodian, officer, act):
    r = services.create_request(bystander, purpose="复核", act=act)
    for user in (custodian, officer):
        with pytest.raises(PermissionDenied):
            services.decide_request(user, r, True)
    assert not Event.objects.for_object(r).exclude(action="access.requested").exists()


def test_a_head_does_not_approve_their_own_request(head, act):
    r = services.create_request(head, purpose="复核", act=act)
    with pytest.raises(PermissionDenied):
        services.decide_request(head, r, True)


def test_a_refusal_needs_a_note_and_is_final(bystander, head, act):
    r = services.create_request(bystander, purpose="复核", act=act)
    with pytest.raises(ValidationError):
        services.decide_request(head, r, False, "")
    r = services.decide_request(head, r, False, "事由不充分")
    assert r.status == "refused" and r.expires_at is None
    assert json.loads(_event(r, "access.refused").body)["note"] == "事由不充分"
    with pytest.raises(ValidationError):
        services.decide_request(head, r, True)


def test_the_requester_withdraws_and_an_approval_ends_at_once(bystander, head, approve, act):
    r = approve(bystander, act=act)
    with pytest.raises(PermissionDenied):
        services.withdraw_request(head, r)
    r = services.withdraw_request(bystander, r)
    assert r.status == "withdrawn" and r.expires_at <= timezone.now()
    assert not AccessRequest.objects.in_force().exists()
    assert json.loads(_event(r, "access.withdrawn").body) == {"was": "approved"}
    with pytest.raises(ValidationError):
        services.withdraw_request(bystander, r)


# --- pages ------------------------------------------------------------------------------------


def test_the_form_offers_the_item_its_act_and_case_and_files_the_request(
    client, bystander, segment, act, case
):
    act.case = case
    act.save()
    client.force_login(bystander)
    url = reverse("access:request_new") + f"?kind=segment&id={segment.pk}"
    page = client.get(url).content.decode()
    assert "仅该记录" in page and "该执法行为的全部记录" in page and "该案件的全部记录" in page
    r = client.post(
        reverse("access:request_new"),
        {"kind": "segment", "id": segment.pk, "scope": "case", "purpose": "诉讼需要"},
    )
    created = AccessRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == created.get_absolute_url()
    assert created.case == case and not created.allow_download


def test_the_form_shows_a_chinese_error_without_purpose(client, bystander, act):
    client.force_login(bystander)
    r = client.post(reverse("access:request_new"), {"act": act.pk, "scope": "act", "purpose": ""})
    assert r.status_code == 200 and "请填写调阅事由" in r.content.decode()
    assert not AccessRequest.objects.exists()


def test_the_head_approves_on_the_detail_page(client, bystander, head, act):
    r = services.create_request(bystander, purpose="复核", act=act)
    client.force_login(head)
    page = client.get(r.get_absolute_url()).content.decode()
    assert "批准" in page and "复核" in page
    expiry = timezone.localtime(timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("access:request_decide", args=[r.pk]),
        {"decision": "approve", "expires_at": expiry},
    )
    r.refresh_from_db()
    assert r.status == "approved"
    assert timezone.localtime(r.expires_at).strftime("%Y-%m-%dT%H:%M") == expiry
    page = client.get(r.get_absolute_url()).content.decode()
    assert "提交调阅申请" in page and "<td>批准调阅</td>" in page


def test_the_requester_sees_no_decision_form_and_can_withdraw(client, bystander, act):
    r = services.create_request(bystander, purpose="复核", act=act)
    client.force_login(bystander)
    page = client.get(r.get_absolute_url()).content.decode()
    assert reverse("access:request_decide", args=[r.pk]) not in page
    client.post(reverse("access:request_withdraw", args=[r.pk]))
    r.refresh_from_db()
    assert r.status == "withdrawn"


def test_a_colleague_or_outsider_does_not_see_the_request(
    client, bystander, colleague, outsider, act
):
    r = services.create_request(bystander, purpose="复核", act=act)
    for user in (colleague, outsider):
        client.force_login(user)
        assert client.get(r.get_absolute_url()).status_code == 404
        client.post(reverse("access:request_withdraw", args=[r.pk]))
    r.refresh_from_db()
    assert r.status == "pending"


def test_decisions_need_a_csrf_token(bystander, head, act):
    r = services.create_request(bystander, purpose="复核", act=act)
    client = Client(enforce_csrf_checks=True)
    client.force_login(head)
    resp = client.post(reverse("access:request_decide", args=[r.pk]), {"decision": "approve"})
    assert resp.status_code == 403
    r.refresh_from_db()
    assert r.status == "pending"


# --- API --------------------------------------------------------------------------------------


def _api(user) -> Client:
    secret = f"qc_test-{secrets.token_urlsafe(8)}"
    ApiToken.objects.create(
        name="终端",
        user=user,
        token_hash=ApiToken.hash_secret(secret),
        prefix=secret[:10],
        created_by=user,
    )
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_the_api_files_decides_and_lists_requests(bystander, head, outsider, segment):
    mine = _api(bystander)
    r = mine.post(
        "/api/v1/access-requests",
        {"purpose": "复议", "item_kind": "segment", "item_id": segment.pk},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    assert r.json()["status"] == "pending" and "音像记录" in r.json()["target"]
    boss = _api(head)
    refused = mine.post(
        f"/api/v1/access-requests/{rid}/decision",
        {"approve": True},
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    r = boss.post(
        f"/api/v1/access-requests/{rid}/decision",
        {"approve": True, "expires_at": (timezone.now() + dt.timedelta(days=2)).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert [x["id"] for x in mine.get("/api/v1/access-requests").json()] == [rid]
    assert _api(outsider).get(f"/api/v1/access-requests/{rid}").status_code == 404
    r = mine.post(f"/api/v1/access-requests/{rid}/withdraw")
    assert r.json()["status"] == "withdrawn"


def test_the_api_answers_bad_input_with_codes(bystander, act):
    client = _api(bystander)
    r = client.post("/api/v1/access-requests", {"purpose": "复议"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "no_target"
    r = client.post(
        "/api/v1/access-requests",
        {"purpose": "复议", "item_kind": "video", "item_id": 1},
        content_type="application/json",
    )
    assert r.status_code == 422
