"""/api/v1/extractions and /api/v1/provisions: list, create, decide, download; JSON errors."""

import pytest
from django.utils import timezone

from quancheng.access.models import Extraction, Provision
from quancheng.ledger.models import Event

from .extraction_setup import refs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("extraction_stores")]


def test_an_officer_asks_and_the_head_decides_through_the_api(
    api_as,
    officer,
    head,
    act,
    act_items,
    certified,
    django_capture_on_commit_callbacks,
):
    terminal = api_as(officer)
    response = terminal.post(
        "/extractions", {"purpose": "法院调取", "act_id": act.pk, "items": refs(act_items)}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["status_label"] == "待审批"
    assert body["requested_by"]["full_name"] == "张伟" and len(body["items"]) == 3
    pk = body["id"]
    assert terminal.post(f"/extractions/{pk}/decision", {"approve": True}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        decided = api_as(head).post(f"/extractions/{pk}/decision", {"approve": True})
    assert decided.status_code == 200
    again = api_as(head).post(f"/extractions/{pk}/decision", {"approve": False, "note": "x"})
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    current = terminal.get(f"/extractions/{pk}").json()
    assert current["status"] == "produced" and current["progress"] == 100
    extraction = Extraction.objects.get(pk=pk)
    assert current["package_sha256"] == extraction.package_id
    listed = terminal.get("/extractions", {"mine": "true", "status": "produced"}).json()
    assert [e["id"] for e in listed["items"]] == [pk]
    package = terminal.get(f"/extractions/{pk}/package")
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"
    assert len(b"".join(package.streaming_content)) == current["package_size"]
    event = Event.objects.get(action="extraction.downloaded")
    assert event.actor == officer and '"via":"api"' in event.body


def test_bad_requests_get_json_errors(api_as, officer, outsider, act, act_items):
    terminal = api_as(officer)
    neither = terminal.post("/extractions", {"purpose": "x", "items": refs(act_items)})
    assert neither.status_code == 400 and "act_id" in neither.json()["fields"]
    wrong_kind = terminal.post(
        "/extractions", {"purpose": "x", "act_id": act.pk, "items": [{"kind": "photo", "id": 1}]}
    )
    assert wrong_kind.status_code == 422
    empty = terminal.post("/extractions", {"purpose": "x", "act_id": act.pk, "items": []})
    assert empty.status_code == 400 and empty.json()["message"] == "请至少选择一个条目"
    other = api_as(outsider).post(
        "/extractions", {"purpose": "x", "act_id": act.pk, "items": refs(act_items)}
    )
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert not Extraction.objects.exists()


def test_the_outsider_cannot_see_or_download(api_as, outsider, colleague, produced):
    assert api_as(outsider).get(f"/extractions/{produced.pk}").status_code == 404
    assert api_as(outsider).get(f"/extractions/{produced.pk}/package").status_code == 404
    assert api_as(outsider).get("/extractions").json()["count"] == 0
    refused = api_as(colleague).get(f"/extractions/{produced.pk}/package")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert not Event.objects.filter(action="extraction.downloaded").exists()


def test_provisions_are_requested_approved_registered_and_listed(
    api_as,
    custodian,
    head,
    outsider,
    produced,
):
    terminal = api_as(custodian)
    body = {
        "recipient": "重庆市渝中区人民法院",
        "recipient_kind": "judicial",
        "legal_basis": "行政诉讼法第三十四条",
        "extraction_id": produced.pk,
    }
    # Naming an approver is not possible: the head approves in the platform.
    named = terminal.post("/provisions", {**body, "approved_by_id": head.pk})
    assert named.status_code == 422 and not Event.objects.filter(action__startswith="provision")
    created = terminal.post("/provisions", body)
    assert created.status_code == 201, created.json()
    out = created.json()
    assert out["extraction_id"] == produced.pk and out["approved_by"] is None
    assert out["status"] == "requested" and out["recipient_kind_label"] == "司法机关"
    today = timezone.localdate().isoformat()
    early = terminal.post(f"/provisions/{out['id']}/provided", {"provided_on": today})
    assert early.status_code == 400 and early.json()["code"] == "not_approved"
    mine = terminal.post(f"/provisions/{out['id']}/decision", {"approve": True})
    assert mine.status_code == 403 and mine.json()["code"] == "forbidden"
    approved = api_as(head).post(f"/provisions/{out['id']}/decision", {"approve": True})
    assert approved.status_code == 200 and approved.json()["approved_by"]["full_name"] == "刘洋"
    provided = terminal.post(f"/provisions/{out['id']}/provided", {"provided_on": today})
    assert provided.status_code == 200 and provided.json()["status"] == "provided"
    assert Event.objects.filter(action="provision.registered").count() == 1
    assert terminal.post("/provisions", {**body, "recipient_kind": "press"}).status_code == 422
    listed = terminal.get("/provisions", {"recipient_kind": "judicial"}).json()
    assert [p["id"] for p in listed["items"]] == [out["id"]]
    assert terminal.get("/provisions", {"recipient_kind": "petition"}).json()["count"] == 0
    assert api_as(outsider).get("/provisions").json()["count"] == 0
    assert Provision.objects.count() == 1
