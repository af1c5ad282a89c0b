"""Failed logins lock (username, address), and only delay the username from elsewhere.

Before issue 15 five anonymous failures locked the username itself for 30 minutes, so anybody
who knew an officer's pinyin username could keep the officer out from any address.
"""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.conftest import PASSWORD
from quancheng.ledger.models import Event
from quancheng.orgs.lockout import username_delay

from .conftest import text

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LOGIN = reverse("login")


def at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def fail(client, username="zhangwei", url=LOGIN):
    return client.post(url, {"username": username, "password": "wrong"})


def login(client, username="zhangwei", url=LOGIN):
    return client.post(url, {"username": username, "password": PASSWORD})


def test_five_failures_from_one_address_lock_that_address_only(officer):
    attacker = at("10.1.1.1")
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            clock.shift(dt.timedelta(minutes=2))  # past each growing delay
            fail(attacker)
        clock.shift(dt.timedelta(minutes=2))
        locked = login(attacker)
        assert locked.status_code == 429
        assert "已锁定30分钟" in text(locked)
        assert "_auth_user_id" not in attacker.session
        # The officer at his own terminal is not locked out.
        assert login(at("10.2.2.2")).status_code == 302
    # Five failures and the refused attempt: each is a ledger event.
    assert Event.objects.filter(action="auth.login_failed", object_id="zhangwei").count() == 6


def test_the_lock_ends_after_the_cool_off(officer):
    terminal = at("10.1.1.1")
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            clock.shift(dt.timedelta(minutes=2))
            fail(terminal)
        clock.shift(dt.timedelta(minutes=29))
        assert login(terminal).status_code == 429
        clock.shift(dt.timedelta(minutes=2))
        assert login(terminal).status_code == 302


def test_failures_from_many_addresses_only_delay_the_username(officer):
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(3):
            assert fail(at(f"10.9.0.{n}")).status_code == 200
        delayed = login(at("10.2.2.2"))
        assert delayed.status_code == 429
        assert "请 1 秒后再试" in text(delayed)
        assert delayed["Retry-After"] == "1"
        clock.shift(dt.timedelta(seconds=1))
        assert login(at("10.2.2.2")).status_code == 302


def test_the_delay_doubles_up_to_its_maximum(officer, settings):
    settings.QC_LOGIN_DELAY_MAX_SECONDS = 10
    with time_machine.travel(T0, tick=False) as clock:
        seen = []
        for n in range(8):
            clock.shift(dt.timedelta(seconds=seen[-1] if seen else 0))
            assert fail(at(f"10.9.0.{n}")).status_code == 200
            seen.append(username_delay("zhangwei"))
        assert seen == [0, 0, 1, 2, 4, 8, 10, 10]


def test_attempts_refused_during_the_delay_are_not_counted(officer):
    with time_machine.travel(T0, tick=False):
        for n in range(3):
            fail(at(f"10.9.0.{n}"))
        for n in range(20):
            assert fail(at(f"10.8.0.{n}")).status_code == 429
        assert username_delay("zhangwei") == 1


def test_the_admin_login_follows_the_same_rules(officer, city_admin):
    city_admin.is_staff = True
    city_admin.save()
    admin_login = reverse("admin:login")
    attacker = at("10.1.1.1")
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            clock.shift(dt.timedelta(minutes=2))
            fail(attacker, "sunli", admin_login)
        clock.shift(dt.timedelta(minutes=2))
        assert login(attacker, "sunli", admin_login).status_code == 429
        # The same lock on the ordinary login page: one count for both pages.
        assert login(attacker, "sunli").status_code == 429
        assert login(at("10.2.2.2"), "sunli", admin_login).status_code == 302


def _lock(username="zhangwei", address="10.1.1.1"):
    """Lock (username, address) with failures 20 to 12 minutes ago (the lock lasts 30)."""
    client = at(address)
    start = timezone.now() - dt.timedelta(minutes=20)
    for n in range(5):
        with time_machine.travel(start + dt.timedelta(minutes=2 * n), tick=False):
            fail(client, username)
    return client


def test_the_head_unlocks_an_officer_of_the_agency(officer, head):
    terminal = _lock()
    assert login(terminal).status_code == 429
    client = Client()
    client.force_login(head)
    page = client.get(reverse("login_lock_list"))
    assert page.status_code == 200
    assert "张伟" in text(page) and "zhangwei" in text(page)
    response = client.post(reverse("login_unlock", args=[officer.pk]))
    assert response.status_code == 302
    assert login(terminal).status_code == 302
    assert "近期没有登录失败的人员" in text(client.get(reverse("login_lock_list")))
    event = Event.objects.get(action="auth.unlocked")
    assert event.actor == head and event.object_id == str(officer.pk)


def test_only_the_head_or_a_city_administrator_unlocks(officer, colleague, outsider, city_admin):
    _lock()
    client = Client()
    client.force_login(colleague)
    assert client.get(reverse("login_lock_list")).status_code == 403
    assert client.post(reverse("login_unlock", args=[officer.pk])).status_code == 403
    client.force_login(outsider)
    assert client.post(reverse("login_unlock", args=[officer.pk])).status_code == 404
    assert not Event.objects.filter(action="auth.unlocked").exists()
    client.force_login(city_admin)
    assert client.post(reverse("login_unlock", args=[officer.pk])).status_code == 302
    assert Event.objects.filter(action="auth.unlocked", actor=city_admin).exists()
