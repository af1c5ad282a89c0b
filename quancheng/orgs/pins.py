"""Signing PINs (签名 PIN): an officer's own signature on a shared terminal (docs/security.md).

Issue 15: an officer's signature is authenticated at the moment of signing, in their own session
or, on a colleague's device (a shared terminal), with their password or a PIN. The PIN is set and
changed by the officer alone, in their own session and with their password; it is hashed with
Django's password hashers like a password; it is never shown, logged or put in the ledger (the
events say only that it was set, changed or reset). Wrong PINs count towards the same lockout
as wrong passwords (orgs/lockout.py: the (username, address) lock and the username's growing
delay). The head of the officer's agency resets a forgotten PIN; the officer then sets a new one.
"""

from __future__ import annotations

import re

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event

from . import capabilities as caps
from .lockout import verify_secret
from .models import User

PIN_MIN, PIN_MAX = 6, 12
_PIN = re.compile(rf"[0-9]{{{PIN_MIN},{PIN_MAX}}}")
_DIGITS = "0123456789"


def _weak(pin: str) -> bool:
    """One digit repeated, or a run up or down (123456, 987654): the first PINs guessed."""
    return len(set(pin)) == 1 or pin in _DIGITS * 2 or pin in _DIGITS[::-1] * 2


def clean_pin(pin: str, again: str) -> str:
    pin = (pin or "").strip()
    if not _PIN.fullmatch(pin):
        raise ValidationError({"pin": f"签名PIN应为 {PIN_MIN}–{PIN_MAX} 位数字"})
    if _weak(pin):
        raise ValidationError({"pin": "签名PIN过于简单（不能是同一数字或连续数字）"})
    if pin != (again or "").strip():
        raise ValidationError({"pin_again": "两次输入的签名PIN不一致"})
    return pin


def has_pin(user: User) -> bool:
    return bool(user.signing_pin)


def set_signing_pin(request, user: User, *, password: str, pin: str, again: str) -> None:
    """The officer sets or changes their own PIN, confirming with their password (which counts
    towards the lockout when wrong, as at login): a walk-up to an open session cannot set one."""
    if not caps.can(user, caps.SIGNING_PIN_SET, user):
        raise ValidationError(caps.check(user, caps.SIGNING_PIN_SET, user).reason)
    pin = clean_pin(pin, again)
    if not password or not verify_secret(request, user, lambda: user.check_password(password)):
        raise ValidationError({"password": "登录密码不正确"})
    with transaction.atomic(durable=True):
        locked = User.objects.select_for_update().get(pk=user.pk)
        action = (
            Action.AUTH_SIGNING_PIN_CHANGED if locked.signing_pin else Action.AUTH_SIGNING_PIN_SET
        )
        locked.signing_pin = make_password(pin)
        locked.signing_pin_set_at = timezone.now()
        locked.save(update_fields=["signing_pin", "signing_pin_set_at"])
        record_event(user, action, locked, {"username": locked.username})
    user.signing_pin, user.signing_pin_set_at = locked.signing_pin, locked.signing_pin_set_at


def reset_signing_pin(actor: User, person: User) -> None:
    """The head clears a person's PIN (forgotten, or seen by someone else); a ledger event. The
    person sets a new one in their own session."""
    caps.require(actor, caps.SIGNING_PIN_RESET, person)
    with transaction.atomic(durable=True):
        locked = User.objects.select_for_update().get(pk=person.pk)
        had = bool(locked.signing_pin)
        locked.signing_pin = ""
        locked.signing_pin_set_at = None
        locked.save(update_fields=["signing_pin", "signing_pin_set_at"])
        record_event(
            actor,
            Action.AUTH_SIGNING_PIN_RESET,
            locked,
            {"username": locked.username, "had_pin": had},
        )
    person.signing_pin, person.signing_pin_set_at = "", None


def pin_matches(user: User, pin: str) -> bool:
    """Whether ``pin`` is the user's PIN (no PIN set: never). Upgrades an old hash in place."""
    if not user.signing_pin or not pin:
        return False

    def upgrade(raw: str) -> None:
        User.objects.filter(pk=user.pk).update(signing_pin=make_password(raw))

    return check_password(pin, user.signing_pin, setter=upgrade)


def verify_pin(request, user: User, pin: str) -> bool:
    """A PIN given on a shared terminal, under the lockout rules (lockout.verify_secret)."""
    return verify_secret(request, user, lambda: pin_matches(user, pin))
