"""GET /api/v1/dossiers and /api/v1/dossiers/{id}: read-only, scoped, the table of contents."""

import secrets

import pytest
import time_machine

from quancheng.api.tests.client import Api, assert_error
from quancheng.archive import dossiers
from quancheng.ledger.models import Event
from quancheng.orgs.models import ApiToken

from .dossier_scene import NOW, closed_case, lone_inspection, supplement


@pytest.fixture(autouse=True)
def _store_and_clock(settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    with time_machine.travel(NOW, tick=False):
        yield


def api_as(user) -> Api:
    secret = f"qc_test-{user.username}-{secrets.token_urlsafe(8)}"
    ApiToken.objects.create(
        name="测试终端",
        user=user,
        token_hash=ApiToken.hash_secret(secret),
        prefix=secret[:10],
        created_by=user,
    )
    return Api(secret)


@pytest.fixture
def two(officer, colleague, subject, custodian, head):
    scene = closed_case(officer, colleague, subject)
    frozen = dossiers.freeze_dossier(
        custodian, dossiers.assemble_dossier(custodian, case=scene.case)
    )
    late = scene.document(officer, "送达回执", 40)
    supplement(custodian, head, frozen, "归档后退回", [("document", late.pk)])
    assembling = dossiers.assemble_dossier(
        custodian, act=lone_inspection(officer, colleague, subject)
    )
    return scene, frozen, assembling


def test_the_list_is_scoped_and_filtered(two, officer, outsider):
    scene, frozen, assembling = two
    api = api_as(officer)
    body = api.get("/dossiers").json()
    assert body["count"] == 2
    assert {d["number"] for d in body["items"]} == {frozen.number, assembling.number}
    item = next(d for d in body["items"] if d["id"] == frozen.pk)
    assert item["case_id"] == scene.case.pk and item["retain_until"] == "2056-11-20"
    assert item["frozen_at"].endswith("+08:00")
    assert [d["id"] for d in api.get("/dossiers", {"status": "frozen"}).json()["items"]] == [
        frozen.pk
    ]
    assert api.get("/dossiers", {"retention_class": "10y"}).json()["count"] == 1
    assert api.get("/dossiers", {"year": 2025}).json()["count"] == 0
    assert api.get("/dossiers", {"case_id": scene.case.pk}).json()["count"] == 1
    assert_error(api.get("/dossiers", {"status": "lost"}), 422, "invalid_input")
    assert api_as(outsider).get("/dossiers").json()["count"] == 0


def test_one_dossier_with_its_table_of_contents(two, officer, outsider):
    _, frozen, _ = two
    response = api_as(officer).get(f"/dossiers/{frozen.pk}")
    assert response.status_code == 200
    body = response.json()
    entries = body["entries"]
    assert [e["position"] for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0]["section"] == "document" and "现场笔录" in entries[0]["title"]
    assert entries[-1]["supplement"] == 1 and entries[-2]["supplement"] is None
    assert body["supplements"][0]["reason"] == "归档后退回"
    assert Event.objects.for_object(frozen).filter(action="dossier.viewed", actor=officer)
    assert_error(api_as(outsider).get(f"/dossiers/{frozen.pk}"), 404, "not_found")
    assert_error(api_as(officer).get("/dossiers/999999"), 404, "not_found")


def test_the_api_is_read_only(two, officer):
    _, frozen, _ = two
    api = api_as(officer)
    assert api.post("/dossiers").status_code == 405
    assert api.patch(f"/dossiers/{frozen.pk}").status_code == 405


def test_sealing_through_the_api_asks_for_confirm_then_seals(two, officer, head, custodian):
    """封卷 in the API (issue 18): only the custodian; without "confirm": true nothing changes
    and the answer says what sealing does; with it, the dossier is sealed (dossier.frozen)."""
    _, frozen, assembling = two
    url = f"/dossiers/{assembling.pk}/seal"
    for person in (officer, head):
        assert_error(api_as(person).post(url, {"confirm": True}), 403, "forbidden")
    api = api_as(custodian)
    events = Event.objects.count()
    r = api.post(url)
    assert_error(r, 400, "confirmation_required")
    assert any("只读" in line for line in r.json()["fields"]["confirm"])
    assert "四性检测" in r.json()["message"]
    assembling.refresh_from_db()
    assert assembling.status == "assembling" and Event.objects.count() == events

    r = api.post(url, {"confirm": True})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["id"] == assembling.pk and body["status"] == "frozen"
    assert body["archived_on"] and body["checks"][0]["occasion"] == "sealing"
    assert Event.objects.for_object(assembling).filter(action="dossier.frozen").count() == 1
    assert_error(api.post(url, {"confirm": True}), 409, "dossier_frozen")
    assert_error(api.post(f"/dossiers/{frozen.pk}/seal", {"confirm": True}), 409, "dossier_frozen")
