"""API tokens expire (QC_API_TOKEN_DAYS), can be rotated, and show their last use."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from quancheng.ledger.models import Event
from quancheng.orgs.models import ApiToken
from quancheng.orgs.services import issue_api_token

from .client import Api, assert_error

ISSUED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def issued(officer, head):
    with time_machine.travel(ISSUED, tick=False):
        return issue_api_token(head, officer, "张伟的终端")


def test_a_token_expires_after_the_configured_days(issued):
    token, secret = issued
    assert token.expires_at == ISSUED + dt.timedelta(days=90)
    with time_machine.travel(ISSUED + dt.timedelta(days=89, hours=23), tick=False):
        assert Api(secret).get("/me").status_code == 200
    with time_machine.travel(ISSUED + dt.timedelta(days=90), tick=False):
        assert_error(Api(secret).get("/me"), 401, "unauthorized")


def test_the_lifetime_is_configurable(officer, head, settings):
    settings.QC_API_TOKEN_DAYS = 7
    with time_machine.travel(ISSUED, tick=False):
        token, _ = issue_api_token(head, officer, "短期令牌")
    assert token.expires_at == ISSUED + dt.timedelta(days=7)


def test_me_shows_expiry_and_last_use(issued):
    token, secret = issued
    with time_machine.travel(ISSUED + dt.timedelta(days=3), tick=False):
        shown = Api(secret).get("/me").json()["token"]
    assert dt.datetime.fromisoformat(shown["expires_at"]) == token.expires_at
    assert dt.datetime.fromisoformat(shown["last_used_at"]) == ISSUED + dt.timedelta(days=3)


def test_a_terminal_rotates_its_own_token(issued, officer):
    old, old_secret = issued
    with time_machine.travel(ISSUED + dt.timedelta(days=80), tick=False):
        response = Api(old_secret).post("/me/token/rotate")
        assert response.status_code == 201, response.content
        body = response.json()
        new_secret = body["secret"]
        assert new_secret.startswith("qc_")
        assert_error(Api(old_secret).get("/me"), 401, "unauthorized")
        assert Api(new_secret).get("/me").json()["username"] == "zhangwei"
    new = ApiToken.objects.get(pk=body["token"]["id"])
    assert (new.user, new.name, new.device) == (officer, old.name, old.device)
    assert new.expires_at == ISSUED + dt.timedelta(days=170)
    old.refresh_from_db()
    assert old.revoked_at is not None
    event = Event.objects.for_object(old).filter(action="api_token.rotated").get()
    assert new_secret not in event.body and str(new.pk) in event.body


def test_rotate_command_prints_the_new_secret_once(issued, head):
    old, _ = issued
    out, err = StringIO(), StringIO()
    with time_machine.travel(ISSUED + dt.timedelta(days=1), tick=False):
        call_command("rotate_api_token", old.prefix, "--by", "liuyang", stdout=out, stderr=err)
        secret = out.getvalue().strip()
        assert Api(secret).get("/me").status_code == 200
    assert secret not in err.getvalue() and "旧令牌已失效" in err.getvalue()


def test_an_expired_token_cannot_be_rotated(issued, head):
    old, _ = issued
    with (
        time_machine.travel(ISSUED + dt.timedelta(days=91), tick=False),
        pytest.raises(CommandError, match="已过期"),
    ):
        call_command("rotate_api_token", str(old.pk), "--by", "liuyang", stdout=StringIO())
    assert ApiToken.objects.count() == 1


def test_the_outsider_cannot_rotate_a_token_of_another_district(issued, outsider):
    old, _ = issued
    with (
        time_machine.travel(ISSUED + dt.timedelta(days=1), tick=False),
        pytest.raises(CommandError, match="无权"),
    ):
        call_command("rotate_api_token", str(old.pk), "--by", "zhoujie", stdout=StringIO())
    assert ApiToken.objects.get(pk=old.pk).revoked_at is None


def test_a_token_id_beyond_64_bits_is_not_found(head):
    with pytest.raises(CommandError, match="没有找到"):
        call_command("rotate_api_token", "9" * 30, "--by", "liuyang", stdout=StringIO())
