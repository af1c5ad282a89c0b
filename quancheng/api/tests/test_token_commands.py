from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from quancheng.conftest import make_person
from quancheng.ledger.models import Event
from quancheng.orgs.models import ApiToken, Device, Role

from .client import Api


def issue(*args):
    out, err = StringIO(), StringIO()
    call_command("issue_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def revoke(*args):
    out = StringIO()
    call_command("revoke_api_token", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def terminal(agency):
    return Device.objects.create(
        agency=agency, kind=Device.Kind.TERMINAL, serial_number="YZ-T-007", name="七号执法终端"
    )


def test_issue_prints_the_secret_once_and_records_it(officer, city_admin, terminal):
    secret, notice = issue(
        "--user", "zhangwei", "--device", "YZ-T-007", "--name", "张伟的终端", "--by", "sunli"
    )
    assert secret.startswith("qc_") and "\n" not in secret
    token = ApiToken.objects.get()
    assert token.token_hash == ApiToken.hash_secret(secret)
    assert secret not in (token.token_hash, token.prefix)
    assert (token.user, token.device, token.created_by) == (officer, terminal, city_admin)
    assert token.prefix in notice and secret not in notice
    event = Event.objects.for_object(token).get()
    assert event.action == "api_token.issued"
    assert secret not in event.body
    me = Api(secret).get("/me").json()
    assert me["username"] == "zhangwei"
    assert me["device"]["serial_number"] == "YZ-T-007"


def test_issue_without_device(officer, head):
    secret, _ = issue("--user", "zhangwei", "--name", "临时令牌", "--by", "liuyang")
    assert ApiToken.objects.get().device is None
    assert Api(secret).get("/me").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody", "--name", "x", "--by", "sunli"], "不存在"),
        (["--user", "zhangwei", "--name", "x", "--by", "nobody"], "不存在"),
        (["--user", "zhangwei", "--name", "x", "--by", "lina"], "无权"),
        (["--user", "zhangwei", "--name", "x", "--by", "zhoujie"], "无权"),
        (["--user", "zhangwei", "--name", " ", "--by", "sunli"], "名称"),
        (["--user", "zhangwei", "--name", "x", "--device", "NOPE", "--by", "sunli"], "设备"),
        (["--user", "zhangwei", "--name", "x", "--device", "JB-T-001", "--by", "sunli"], "设备"),
        (
            ["--user", "zhangwei", "--name", "x", "--device", "YZ-C-001", "--by", "sunli"],
            "执法记录仪",
        ),
    ],
)
def test_issue_refuses(
    officer, colleague, outsider, city_admin, agency, other_agency, args, message
):
    Device.objects.create(agency=other_agency, kind=Device.Kind.TERMINAL, serial_number="JB-T-001")
    Device.objects.create(agency=agency, kind=Device.Kind.BODY_CAMERA, serial_number="YZ-C-001")
    with pytest.raises(CommandError, match=message):
        issue(*args)
    assert not ApiToken.objects.exists()


def test_issue_refuses_an_inactive_user(officer, city_admin):
    officer.is_active = False
    officer.save()
    with pytest.raises(CommandError, match="停用"):
        issue("--user", "zhangwei", "--name", "x", "--by", "sunli")


def test_revoke_by_prefix(officer, city_admin):
    secret, _ = issue("--user", "zhangwei", "--name", "终端", "--by", "sunli")
    token = ApiToken.objects.get()
    assert Api(secret).get("/me").status_code == 200
    assert "已吊销" in revoke(token.prefix, "--by", "sunli")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Event.objects.for_object(token).order_by("-seq").first().action == "api_token.revoked"
    assert Api(secret).get("/me").status_code == 401
    assert "已于" in revoke(str(token.pk), "--by", "sunli")
    assert Event.objects.filter(action="api_token.revoked").count() == 1


def test_revoke_by_id(officer, head):
    secret, _ = issue("--user", "zhangwei", "--name", "终端", "--by", "liuyang")
    token = ApiToken.objects.get()
    revoke(str(token.pk), "--by", "liuyang")
    assert Api(secret).get("/me").status_code == 401


def test_revoke_refuses_unknown_and_unauthorised(officer, outsider, city_admin):
    issue("--user", "zhangwei", "--name", "终端", "--by", "sunli")
    token = ApiToken.objects.get()
    with pytest.raises(CommandError, match="没有找到"):
        revoke("qc_missing", "--by", "sunli")
    with pytest.raises(CommandError, match="无权"):
        revoke(token.prefix, "--by", "zhoujie")
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.fixture
def superuser(organisation):
    # Tokens are the security administrator's (三员分立).
    return make_person(
        "admin", "管理员", None, Role.SECURITY_ADMIN, certificate=False, is_staff=True
    )


def test_admin_lists_tokens_and_revokes_through_the_service(
    officer, city_admin, superuser, settings
):
    # The admin's pages link static files; tests run without collectstatic's manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    secret, _ = issue("--user", "zhangwei", "--name", "张伟的终端", "--by", "sunli")
    token = ApiToken.objects.get()
    client = Client()
    client.force_login(superuser)
    listing = client.get("/admin/orgs/apitoken/")
    assert listing.status_code == 200
    assert token.prefix in listing.content.decode()
    page = client.get(f"/admin/orgs/apitoken/{token.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert token.token_hash not in html and secret not in html
    assert 'name="name"' not in html  # read-only
    assert client.get("/admin/orgs/apitoken/add/").status_code == 403
    response = client.post(
        "/admin/orgs/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = Event.objects.for_object(token).order_by("-seq").first()
    assert (event.action, event.actor) == ("api_token.revoked", superuser)
    assert Api(secret).get("/me").status_code == 401
