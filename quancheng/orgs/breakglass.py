"""The break-glass account (应急账号): the only superuser, made only from the command line.

三员分立 (GB/T 22239-2019 level 3, docs/security.md) leaves no all-powerful administrator. When
the three cannot act (the security administrator locked out, every administrator gone), an
operator with shell access on the server opens a break-glass account with ``manage.py
break_glass open --reason …``: a superuser holding only the table's ``superuser`` rows (never
record content, orgs/capabilities.py), with a one-time password printed once.

Opening, every login and closing are ledger events; opening and every login also announce
:data:`break_glass_used`, to which the alerts app answers with a critical alert to the security
and audit administrators (a lower app announces, a higher app reacts).
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event

from .models import Role, User

# Sent with ``user`` (the break-glass account), ``reason`` and ``event`` ("opened", "login").
break_glass_used = Signal()

USERNAME_PREFIX = "breakglass-"


class BreakGlassError(ValueError):
    pass


def open_break_glass(reason: str, *, operator: str) -> tuple[User, str]:
    """A new break-glass account and its one-time password; ``operator`` is the shell user."""
    reason = (reason or "").strip()
    if not reason:
        raise BreakGlassError("必须说明启用应急账号的原因")
    password = secrets.token_urlsafe(18)
    with transaction.atomic(durable=True):
        username = f"{USERNAME_PREFIX}{timezone.now():%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
        user = User(
            username=username,
            full_name="应急账号",
            role=Role.BREAK_GLASS,
            is_superuser=True,
            is_staff=True,
            agency=None,
        )
        user.set_password(password)
        user.save()
        record_event(
            None,
            Action.AUTH_BREAK_GLASS_OPENED,
            user,
            {"username": username, "reason": reason, "operator": operator},
        )
        break_glass_used.send(User, user=user, reason=reason, event="opened")
    return user, password


def close_break_glass(username: str, *, operator: str) -> User:
    """Deactivate a break-glass account (it stays, for the record)."""
    with transaction.atomic(durable=True):
        user = (
            User.objects.select_for_update()
            .filter(username=username, role=Role.BREAK_GLASS)
            .first()
        )
        if user is None:
            raise BreakGlassError(f"没有名为 {username} 的应急账号")
        if not user.is_active:
            raise BreakGlassError(f"应急账号 {username} 已停用")
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
        record_event(
            None, Action.AUTH_BREAK_GLASS_CLOSED, user, {"username": username, "operator": operator}
        )
    return user


def open_accounts():
    return User.objects.filter(role=Role.BREAK_GLASS, is_active=True).order_by("date_joined")
