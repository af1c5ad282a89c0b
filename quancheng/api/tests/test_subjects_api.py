import logging

import pytest

from quancheng.conftest import credit_code
from quancheng.ledger.models import Event
from quancheng.orgs.models import Agency
from quancheng.subjects.models import Subject

from .client import assert_error, counts

NEW = {"name": "重庆市渝中区大坪医院门诊部", "kind": "medical", "address": "渝中区大坪正街1号"}


def test_list_is_scoped_to_the_district(
    officer, outsider, city_admin, subject, other_subject, api_as
):
    names = lambda api: [s["name"] for s in api.get("/subjects").json()["items"]]  # noqa: E731
    assert names(api_as(officer)) == [subject.name]
    assert names(api_as(outsider)) == [other_subject.name]
    assert sorted(names(api_as(city_admin))) == sorted([subject.name, other_subject.name])


def test_list_search_kind_and_pagination(officer, agency, subject, api_as):
    from quancheng.subjects.services import create_subject

    create_subject(
        officer,
        agency,
        name="渝中区人民公园游泳池",
        kind="public_place",
        address="渝中区中山一路",
        credit_code=credit_code(3),
    )
    api = api_as(officer)
    assert [s["id"] for s in api.get("/subjects", {"q": "口腔"}).json()["items"]] == [subject.pk]
    by_code = api.get("/subjects", {"q": subject.credit_code.lower()}).json()
    assert [s["id"] for s in by_code["items"]] == [subject.pk]
    pools = api.get("/subjects", {"kind": "public_place"}).json()
    assert [s["name"] for s in pools["items"]] == ["渝中区人民公园游泳池"]
    first = api.get("/subjects", {"limit": 1}).json()
    second = api.get("/subjects", {"limit": 1, "offset": 1}).json()
    assert first["count"] == second["count"] == 2
    assert (first["limit"], first["offset"], second["offset"]) == (1, 0, 1)
    assert {first["items"][0]["id"], second["items"][0]["id"]} == set(
        Subject.objects.values_list("id", flat=True)
    )
    assert_error(api.get("/subjects", {"limit": 0}), 422, "invalid_input")
    assert_error(api.get("/subjects", {"kind": "casino"}), 422, "invalid_input")


def test_detail_shapes_the_subject(officer, subject, api_as):
    body = api_as(officer).get(f"/subjects/{subject.pk}").json()
    assert body["name"] == subject.name
    assert body["agency"]["code"] == "d03-zf"
    assert body["kind_label"] == "医疗机构"
    assert body["credit_code"] == subject.credit_code
    assert body["created_at"].endswith("+08:00")


def test_another_districts_subject_is_not_found(outsider, subject, api_as):
    api = api_as(outsider)
    hidden = api.get(f"/subjects/{subject.pk}")
    missing = api.get("/subjects/999999")
    assert_error(hidden, 404, "not_found")
    assert hidden.json() == missing.json() == {"code": "not_found", "message": "对象不存在"}
    assert_error(api.get(f"/subjects/{2**63}"), 404, "not_found")
    assert_error(api.patch(f"/subjects/{subject.pk}", {"phone": "110"}), 404, "not_found")


def test_create_writes_the_subject_and_its_ledger_event(officer, agency, api_as):
    before = counts()
    response = api_as(officer).post(
        "/subjects", {**NEW, "credit_code": " " + credit_code(9).lower() + " "}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    subject = Subject.objects.get(pk=body["id"])
    assert subject.agency == agency
    assert subject.credit_code == credit_code(9)
    assert body["credit_code"] == credit_code(9)
    event = Event.objects.for_object(subject).get()
    assert event.action == "subject.created"
    assert event.actor == officer
    assert counts() == {
        **before,
        "subjects": before["subjects"] + 1,
        "events": before["events"] + 1,
    }


def test_wrong_credit_code_is_400_and_creates_nothing(officer, api_as):
    before = counts()
    code = credit_code(9)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    body = assert_error(
        api_as(officer).post("/subjects", {**NEW, "credit_code": wrong}), 400, "invalid_credit_code"
    )
    assert "校验位" in body["message"]
    assert list(body["fields"]) == ["credit_code"]
    assert counts() == before


def test_duplicate_credit_code_is_400(officer, subject, api_as):
    before = counts()
    body = assert_error(
        api_as(officer).post("/subjects", {**NEW, "credit_code": subject.credit_code}),
        400,
        "duplicate",
    )
    assert "credit_code" in body["fields"]
    assert counts() == before


def test_schema_errors_are_422_with_fields(officer, api_as):
    before = counts()
    api = api_as(officer)
    body = assert_error(api.post("/subjects", {"kind": "medical"}), 422, "invalid_input")
    assert body["message"] == "请求数据格式错误"
    assert body["fields"]["name"] == ["必填"]
    assert "address" in body["fields"]
    body = assert_error(api.post("/subjects", {**NEW, "owner": "x"}), 422, "invalid_input")
    assert body["fields"] == {"owner": ["不允许的字段"]}
    body = assert_error(api.post("/subjects", {**NEW, "name": "名" * 201}), 422, "invalid_input")
    assert body["fields"] == {"name": ["长度不能超过200个字符"]}
    assert counts() == before


def test_blank_name_is_a_service_error(officer, api_as):
    assert_error(api_as(officer).post("/subjects", {**NEW, "name": "   "}), 400, "required")


def test_malformed_json_is_400(officer, api_as):
    api = api_as(officer)
    response = api.client.post(
        "/api/v1/subjects", "{not json", content_type="application/json", headers=api._headers()
    )
    assert_error(response, 400, "bad_request")


def test_district_user_cannot_create_in_another_agency(officer, other_agency, api_as):
    before = counts()
    body = assert_error(
        api_as(officer).post("/subjects", {**NEW, "agency_id": other_agency.pk}),
        400,
        "not_found",
    )
    assert list(body["fields"]) == ["agency_id"]
    assert counts() == before


def test_city_user_may_name_the_agency(city_admin, other_agency, api_as):
    response = api_as(city_admin).post("/subjects", {**NEW, "agency_id": other_agency.pk})
    assert response.status_code == 201, response.content
    assert response.json()["agency"]["id"] == other_agency.pk


def test_city_user_gets_not_found_for_an_unknown_agency(city_admin, api_as):
    missing = Agency.objects.order_by("-pk").first().pk + 1
    assert_error(
        api_as(city_admin).post("/subjects", {**NEW, "agency_id": missing}), 400, "not_found"
    )


def test_patch_changes_only_the_given_fields(officer, subject, api_as):
    response = api_as(officer).patch(f"/subjects/{subject.pk}", {"phone": "023-63000000"})
    assert response.status_code == 200, response.content
    subject.refresh_from_db()
    assert subject.phone == "023-63000000"
    assert subject.name == "重庆市渝中区解放碑口腔诊所"
    event = Event.objects.for_object(subject).order_by("-seq").first()
    assert event.action == "subject.updated"
    assert '"phone"' in event.body


def test_patch_refuses_null_for_a_required_field(officer, subject, api_as):
    before = counts()
    body = assert_error(
        api_as(officer).patch(f"/subjects/{subject.pk}", {"name": None}), 422, "invalid_input"
    )
    assert body["fields"] == {"name": ["不能为空值（null）"]}
    assert counts() == before


def test_patch_with_wrong_credit_code_changes_nothing(officer, subject, api_as):
    before = counts()
    assert_error(
        api_as(officer).patch(f"/subjects/{subject.pk}", {"credit_code": "123"}),
        400,
        "invalid_credit_code",
    )
    subject.refresh_from_db()
    assert subject.credit_code == credit_code(1)
    assert counts() == before


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_error_is_500_json_without_a_trace(
    officer, api_as, monkeypatch, settings, caplog, debug
):
    settings.DEBUG = debug

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("quancheng.api.subjects.create_subject", explode)
    with caplog.at_level(logging.ERROR, logger="quancheng.api"):
        response = api_as(officer).post("/subjects", NEW)
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "服务器内部错误"}
    text = response.content.decode()
    assert "Traceback" not in text and "secret internal detail" not in text
    assert "RuntimeError" not in text
    assert any(
        r.exc_info and "secret internal detail" in str(r.exc_info[1]) for r in caplog.records
    )
