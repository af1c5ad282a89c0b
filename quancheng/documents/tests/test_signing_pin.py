"""Signing PINs (issue 15): an officer signs on a colleague's device (a shared terminal) with
their own PIN, set in their own profile; wrong PINs count towards the lockout; the head resets.

Before: only the officer's login password could be given on a shared terminal.
"""

import datetime as dt
import logging

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.utils import timezone

from quancheng.conftest import PASSWORD
from quancheng.documents import services
from quancheng.documents.models import DraftSignature
from quancheng.ledger.models import Event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.lockout import username_delay
from quancheng.orgs.pins import pin_matches, reset_signing_pin

from .conftest import doc_type, signature_png

pytestmark = pytest.mark.django_db
PIN = "480726"
PIN_URL = "/logins/pin/"


@pytest.fixture
def draft(officer, act, catalogue):
    return services.create_draft(officer, act, doc_type("现场笔录"), {"findings": "未见异常"})


def set_pin(client, pin=PIN, again=None, password=PASSWORD):
    return client.post(PIN_URL, {"password": password, "pin": pin, "pin_again": again or pin})


@pytest.fixture
def colleague_pin(colleague):
    """The colleague has set PIN in their own session."""
    client = Client(REMOTE_ADDR="10.3.3.3")
    client.force_login(colleague)
    assert set_pin(client).status_code == 302
    colleague.refresh_from_db()
    return PIN


def sign_as_colleague_on_page(client, draft, colleague, **secret):
    return client.post(
        f"/documents/drafts/{draft.pk}/sign/",
        {"role": "officer", "officer": colleague.pk, "image": signature_png(), **secret},
    )


def test_an_officer_sets_and_changes_a_pin_in_their_own_profile_hashed_never_logged(
    colleague, caplog
):
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(colleague)
    assert "尚未设置签名PIN" in client.get(PIN_URL).content.decode()
    # Refused, nothing stored: wrong password, too short, letters, trivial, not repeated.
    for args, status in [
        ({"password": "wrong"}, 400),
        ({"pin": "12345"}, 400),
        ({"pin": "12ab56"}, 400),
        ({"pin": "111111"}, 400),
        ({"pin": "123456"}, 400),
        ({"again": "480727"}, 400),
    ]:
        assert set_pin(client, **args).status_code == status, args
    colleague.refresh_from_db()
    assert colleague.signing_pin == ""
    assert set_pin(client).status_code == 302
    colleague.refresh_from_db()
    assert colleague.signing_pin and PIN not in colleague.signing_pin
    assert colleague.signing_pin.startswith("md5$")  # the configured hasher (tests: MD5)
    assert pin_matches(colleague, PIN) and not pin_matches(colleague, "480727")
    assert set_pin(client, pin="93015724").status_code == 302
    colleague.refresh_from_db()
    assert pin_matches(colleague, "93015724") and not pin_matches(colleague, PIN)
    actions = list(
        Event.objects.filter(action__startswith="auth.signing_pin").values_list("action", "body")
    )
    assert [a for a, _ in actions] == ["auth.signing_pin_set", "auth.signing_pin_changed"]
    everything = " ".join(Event.objects.values_list("body", flat=True)) + caplog.text
    assert PIN not in everything and "93015724" not in everything


def test_nobody_sets_another_persons_pin_and_read_only_roles_have_none(officer, colleague, auditor):
    assert caps.can(colleague, caps.SIGNING_PIN_SET, colleague)
    assert not caps.can(officer, caps.SIGNING_PIN_SET, colleague)
    client = Client()
    client.force_login(auditor)
    assert set_pin(client, password=PASSWORD).status_code == 403
    auditor.refresh_from_db()
    assert auditor.signing_pin == ""


def test_a_colleague_signs_on_the_officers_device_with_their_pin(
    client, api_as, officer, colleague, draft, colleague_pin
):
    client.force_login(officer)
    r = sign_as_colleague_on_page(client, draft, colleague, pin=colleague_pin)
    assert r.status_code == 302
    signature = DraftSignature.objects.get()
    assert signature.officer == colleague and signature.recorded_by == officer
    assert signature.authentication == DraftSignature.Authentication.PIN
    # And through the API, from the officer's terminal.
    r = api_as(officer).post(
        f"/document-drafts/{draft.pk}/signatures",
        {"role": "officer", "officer_id": colleague.pk, "image": signature_png(), "pin": PIN},
    )
    assert r.status_code == 201, r.content
    assert r.json()["signatures"][-1]["authentication"] == "pin"
    body = Event.objects.filter(action="documentdraft.signed").latest("seq").body
    assert '"authentication":"pin"' in body and PIN not in body


def test_the_wrong_person_cannot_sign_with_a_wrong_pin_and_it_counts_as_a_failed_login(
    client, api_as, officer, colleague, head, draft, colleague_pin
):
    client.force_login(officer)
    r = sign_as_colleague_on_page(client, draft, colleague, pin="999000")
    assert r.status_code == 403 and "签名PIN" in r.content.decode()
    r = api_as(officer).post(
        f"/document-drafts/{draft.pk}/signatures",
        {"role": "officer", "officer_id": colleague.pk, "image": signature_png(), "pin": "5"},
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert not DraftSignature.objects.exists()
    assert Event.objects.filter(action="documentdraft.signer_refused").count() == 2
    # Both count against the colleague's login, from this address (django-axes).
    failures = AccessAttempt.objects.get(username=colleague.username, ip_address="127.0.0.1")
    assert failures.failures_since_start == 2
    assert Event.objects.filter(action="auth.login_failed", object_id="lina").count() == 2
    # An officer without a PIN cannot be signed for with any PIN.
    reset_signing_pin(head, colleague)
    r = sign_as_colleague_on_page(client, draft, colleague, pin=colleague_pin)
    assert r.status_code == 403 and not DraftSignature.objects.exists()


def test_wrong_pins_lock_the_address_and_delay_the_name_as_passwords_do(
    api_as, officer, colleague, draft, colleague_pin, settings
):
    api = api_as(officer)
    path = f"/document-drafts/{draft.pk}/signatures"
    body = {"role": "officer", "officer_id": colleague.pk, "image": signature_png()}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(settings.AXES_FAILURE_LIMIT):
            clock.shift(dt.timedelta(minutes=2))  # past each growing delay
            r = api.post(path, {**body, "pin": f"90{n}731"})
            assert r.status_code == 403, (n, r.content)
        # Locked on (colleague, this address): even the right PIN is not checked.
        clock.shift(dt.timedelta(minutes=2))
        r = api.post(path, {**body, "pin": colleague_pin})
        assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
        assert int(r["Retry-After"]) > 0
        # The colleague can still log in at their own terminal, after the name's delay.
        assert username_delay(colleague.username) == 0
        own = Client(REMOTE_ADDR="10.2.2.2")
        assert own.post("/login/", {"username": "lina", "password": PASSWORD}).status_code == 302
        # Three failures from anywhere delay the next try for the name: 429 until it passes.
        AccessAttempt.objects.all().delete()
        for _ in range(settings.QC_LOGIN_DELAY_AFTER):
            clock.shift(dt.timedelta(minutes=2))
            assert api.post(path, {**body, "password": "wrong"}).status_code == 403
        r = api.post(path, {**body, "pin": colleague_pin})
        assert r.status_code == 429 and r["Retry-After"] == "1"
        clock.shift(dt.timedelta(seconds=1))
        assert api.post(path, {**body, "pin": colleague_pin}).status_code == 201
    assert DraftSignature.objects.get().authentication == "pin"


def test_the_head_resets_a_pin_and_nobody_else(
    client, officer, colleague, head, outsider, city_admin, draft, colleague_pin
):
    url = f"/logins/people/{colleague.pk}/pin/reset/"
    for who, status in [(officer, 403), (colleague, 403), (outsider, 404)]:
        client.force_login(who)
        assert client.post(url).status_code == status, who
    colleague.refresh_from_db()
    assert colleague.signing_pin
    client.force_login(head)
    assert "重置签名PIN" in client.get("/logins/locks/").content.decode()
    assert client.post(url).status_code == 302
    colleague.refresh_from_db()
    assert colleague.signing_pin == "" and colleague.signing_pin_set_at is None
    event = Event.objects.get(action="auth.signing_pin_reset")
    assert event.actor == head and event.object_id == str(colleague.pk)
    # The old PIN signs no more.
    client.force_login(officer)
    assert sign_as_colleague_on_page(client, draft, colleague, pin=colleague_pin).status_code == 403
    assert not DraftSignature.objects.exists()


def test_the_service_checks_a_secret_only_against_a_request(officer, colleague, draft):
    """A password or PIN is checked under the lockout of an address: no request, no check."""
    request = RequestFactory().post("/", REMOTE_ADDR="10.4.4.4")
    with pytest.raises(ValueError, match="lockout"):
        services.add_signature(
            officer, draft, role="officer", officer=colleague, image=signature_png(), pin=PIN
        )
    signature = services.add_signature(
        officer,
        draft,
        role="officer",
        officer=colleague,
        image=signature_png(),
        password=PASSWORD,
        request=request,
    )
    assert signature.authentication == "password"
