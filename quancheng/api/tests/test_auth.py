import datetime as dt

from django.test import Client
from django.utils import timezone

from quancheng.orgs.models import ApiToken, Device
from quancheng.orgs.services import issue_api_token, revoke_api_token
from quancheng.subjects.models import Subject

from .client import Api, assert_error, counts

UNAUTHORIZED = {"code": "unauthorized", "message": "缺少或无效的访问令牌"}


def test_no_token_is_401_json(db):
    response = Api(None).get("/subjects")
    assert_error(response, 401, "unauthorized")
    assert response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == "Bearer"


def test_invalid_token_is_401(officer):
    response = Api("qc_not-a-real-token").get("/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_wrong_scheme_is_401(officer):
    _, secret = issue_api_token(officer, officer, "终端")
    response = Client().get("/api/v1/me", headers={"Authorization": f"Token {secret}"})
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_revoked_token_is_401(officer, city_admin):
    token, secret = issue_api_token(city_admin, officer, "终端")
    assert Api(secret).get("/me").status_code == 200
    revoke_api_token(city_admin, token)
    assert Api(secret).get("/me").json() == UNAUTHORIZED


def test_inactive_user_is_401(officer, api_as):
    api = api_as(officer)
    officer.is_active = False
    officer.save()
    assert api.get("/me").status_code == 401


def test_session_login_is_not_api_authentication(officer):
    client = Client()
    client.force_login(officer)
    assert client.get("/api/v1/me").status_code == 401


def test_token_user_wins_over_session_user(officer, head):
    _, secret = issue_api_token(head, officer, "终端")
    client = Client()
    client.force_login(head)
    response = Api(secret, client).get("/me")
    assert response.json()["username"] == "zhangwei"


def test_me_names_user_agency_role_and_device(officer, agency, city_admin):
    device = Device.objects.create(
        agency=agency, kind=Device.Kind.TERMINAL, serial_number="YZ-T-001", name="一号执法终端"
    )
    token, secret = issue_api_token(city_admin, officer, "张伟的执法终端", device)
    body = Api(secret).get("/me").json()
    assert body["username"] == "zhangwei"
    assert body["full_name"] == "张伟"
    assert body["role"] == "officer"
    assert body["role_label"] == "执法人员"
    assert body["agency"]["code"] == "d03-zf"
    assert body["can_write"] is True
    assert body["sees_whole_city"] is False
    assert body["device"]["serial_number"] == "YZ-T-001"
    assert body["token"] == {
        "id": token.pk,
        "name": "张伟的执法终端",
        "prefix": token.prefix,
        "created_at": body["token"]["created_at"],
        "expires_at": body["token"]["expires_at"],
        "last_used_at": body["token"]["last_used_at"],
    }
    assert body["token"]["created_at"].endswith("+08:00")


def test_last_used_at_is_recorded(officer, city_admin):
    token, secret = issue_api_token(city_admin, officer, "终端")
    assert token.last_used_at is None
    Api(secret).get("/me")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < dt.timedelta(minutes=1)


def test_last_used_at_is_not_rewritten_on_every_request(officer, city_admin):
    token, secret = issue_api_token(city_admin, officer, "终端")
    api = Api(secret)
    api.get("/me")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    api.get("/me")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first


def test_unknown_path_and_wrong_method_answer_json(officer, api_as):
    api = api_as(officer)
    assert_error(api.get("/no-such-thing"), 404, "not_found")
    assert_error(api.post("/no-such-thing", {}), 404, "not_found")
    response = api.client.delete("/api/v1/me", headers=api._headers())
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_read_only_roles_get_403_and_change_nothing(auditor, commission, subject, api_as):
    before = counts()
    body = {"name": "新诊所", "kind": "medical", "address": "渝中区"}
    assert_error(api_as(auditor).post("/subjects", body), 403, "forbidden")
    assert_error(api_as(commission).post("/subjects", body), 403, "forbidden")
    assert_error(api_as(auditor).patch(f"/subjects/{subject.pk}", {"phone": "1"}), 403, "forbidden")
    assert_error(
        api_as(commission).patch(f"/subjects/{subject.pk}", {"phone": "1"}), 403, "forbidden"
    )
    assert counts() == before
    assert Subject.objects.get(pk=subject.pk).phone == ""


def test_read_only_roles_may_read_in_their_scope(auditor, commission, subject, api_as):
    assert api_as(auditor).get(f"/subjects/{subject.pk}").status_code == 200
    assert api_as(commission).get(f"/subjects/{subject.pk}").status_code == 200
