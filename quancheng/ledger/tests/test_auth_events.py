"""Login, failed login and logout are ledger events."""

import pytest
from django.urls import reverse

from quancheng.conftest import PASSWORD
from quancheng.ledger.models import Event

pytestmark = pytest.mark.django_db


def test_login_and_logout_are_recorded(client, officer):
    response = client.post(reverse("login"), {"username": "zhangwei", "password": PASSWORD})
    assert response.status_code == 302
    login = Event.objects.filter(action="auth.login").latest("seq")
    assert login.actor == officer
    client.post(reverse("logout"))
    assert Event.objects.filter(action="auth.logout", actor=officer).exists()


def test_failed_login_is_recorded_with_the_username(client, officer):
    client.post(reverse("login"), {"username": "zhangwei", "password": "wrong"})
    failed = Event.objects.filter(action="auth.login_failed").latest("seq")
    assert failed.actor is None
    assert failed.object_id == "zhangwei"
