"""Failed logins (docs/security.md): a lock on (username, address), a growing delay on the name.

django-axes locks the combination of username and client address after QC_LOCKOUT_FAILURES
failures, so someone elsewhere who knows an officer's pinyin username cannot lock the officer
out. Failures for the username from all addresses together only slow further attempts down:
after QC_LOGIN_DELAY_AFTER of them, each next attempt must wait a delay that doubles with every
failure, up to QC_LOGIN_DELAY_MAX_SECONDS. Guessing one password from many addresses is so
throttled, and the real user waits at most that maximum. The head unlocks an officer.
"""

import datetime as dt
import math

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event

from . import capabilities as caps
from .models import User


def _recent(username: str):
    since = timezone.now() - get_cool_off()
    return AccessAttempt.objects.filter(username=username, attempt_time__gte=since)


def username_delay(username: str, now: dt.datetime | None = None) -> int:
    """Seconds the next login attempt for this username must still wait (0: none)."""
    now = now or timezone.now()
    totals = _recent(username).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    failures, last = totals["failures"] or 0, totals["last"]
    if failures < settings.QC_LOGIN_DELAY_AFTER or last is None:
        return 0
    steps = failures - settings.QC_LOGIN_DELAY_AFTER
    delay = min(2 ** min(steps, 30), settings.QC_LOGIN_DELAY_MAX_SECONDS)
    remaining = (last + dt.timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


class UsernameDelayBackend:
    """Refuses an attempt that comes before the username's delay is over, password unchecked.

    Placed after axes' backend and before ModelBackend. A refused attempt is not counted as a
    failure (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False and the request marked as
    refused), so waiting users and refused guesses do not lengthen the delay.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not username:
            return None
        wait = username_delay(username)
        if wait:
            request.axes_locked_out = True
            request.login_wait_seconds = wait
            raise PermissionDenied("login attempt before the username's delay is over")
        # No get_user(): this backend never logs anybody in, so sessions never name it.
        return None


def locked_out_response(request, original_response=None, credentials=None):
    """The page for a refused attempt: a short wait, or the (username, address) lock."""
    wait = getattr(request, "login_wait_seconds", 0)
    context = {"wait_seconds": wait, "cooloff_timedelta": get_cool_off(request)}
    response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(wait or int(get_cool_off(request).total_seconds()))
    return response


def locked_users(users):
    """(user, failures, seconds to wait) of the given users with recent failed logins."""
    rows = (
        AccessAttempt.objects.filter(
            username__in=[u.username for u in users],
            attempt_time__gte=timezone.now() - get_cool_off(),
        )
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
    )
    failures = {r["username"]: r["failures"] for r in rows}
    return [
        (u, failures[u.username], username_delay(u.username))
        for u in users
        if u.username in failures
    ]


@transaction.atomic(durable=True)
def unlock_login(actor: User, user: User) -> int:
    """Clear the user's failed logins from every address (locks and delay); a ledger event."""
    caps.require(actor, caps.LOGINS_UNLOCK, user)
    deleted, _ = AccessAttempt.objects.filter(username=user.username).delete()
    record_event(
        actor, Action.AUTH_UNLOCKED, user, {"username": user.username, "attempts": deleted}
    )
    return deleted


class SecretThrottled(PermissionDenied):
    """A password or PIN for ``username`` tried while its lock or delay holds (not checked)."""

    def __init__(self, wait_seconds: int):
        self.wait_seconds = max(1, wait_seconds)
        super().__init__(f"尝试次数过多，请 {self.wait_seconds} 秒后再试")


def verify_secret(request, user: User, verify) -> bool:
    """Check a password or PIN of ``user`` given outside the login form (signing on a shared
    terminal), under the same rules as logins: refused unchecked while the (username, address)
    lock or the username's growing delay holds (:class:`SecretThrottled`); a wrong secret counts
    as a failed login of ``user`` from this address (django-axes, and ``auth.login_failed`` in
    the ledger). ``verify`` is called only when allowed; the secret itself is never passed on."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.contrib.auth.signals import user_login_failed

    if request is None:
        raise ValueError("a password or PIN is checked against a request (the lockout needs it)")
    credentials = {"username": user.username}
    wait = username_delay(user.username)
    if wait:
        raise SecretThrottled(wait)
    locked = AxesProxyHandler.is_locked(request, credentials)
    # The caller answers (403 or 429, JSON in the API): axes' middleware must not replace the
    # answer with the login page's lockout page.
    request.axes_locked_out = False
    if locked:
        raise SecretThrottled(int(get_cool_off(request).total_seconds()))
    if verify():
        return True
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    request.axes_locked_out = False
    return False
