"""Where the alerts of the records' life come from (docs/alerts.md), and the alerts this app
raises itself on what the apps below it announce.

The apps above raise their kinds themselves, through ``services.raise_alert``:

- ``record.missing_av`` and ``record.gap`` (A27: acts or parts of acts not recorded): the rule
  engine, as the findings open and close (``compliance/alerts.py``);
- ``registration.overdue`` (A21): a daily check, registered here by the registration app at
  ready() (``register_check``; ``registration/alerts.py``) and run by the task
  ``quancheng.alerts.tasks.check_overdue_registrations``;
- lost records and alterations (``fixity.missing``, ``fixity.mismatch``, ``ledger.tampered``)
  by the fixity sweeps and the ledger verification; access and disposal alerts by the access and
  archive apps, with the kinds named in docs/alerts.md.

This app names the kinds and runs the registered checks, so that it imports none of the apps
that raise them (docs/architecture.md, "Hooks between layers").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from quancheng.orgs.models import Role

from .models import Alert, Severity
from .services import raise_alert

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MISSING_AV = "record.missing_av"
GAP = "record.gap"
OVERDUE = "registration.overdue"
ACCESS_DENIED = "access.denied"
ACCESS_OUTSIDE_APPROVAL = "access.outside_approval"
DISPOSAL_REFUSED = "disposal.refused"
SELF_ADDED = "officers.self_added"

# A periodic check: given the time (None: now), raises and closes its kind's alerts and returns
# the counts, e.g. {"raised": 1, "closed": 0}.
Check = Callable[[dt.datetime | None], dict[str, int]]

CHECKS: dict[str, Check] = {}


def register_check(kind: str, check: Check) -> None:
    """The check that raises ``kind`` (an app's AppConfig.ready(); registering again replaces)."""
    CHECKS[kind] = check


def run_check(kind: str, now: dt.datetime | None = None) -> dict[str, int]:
    """Run the check registered for ``kind``; a LookupError when no app registered one."""
    try:
        check = CHECKS[kind]
    except KeyError:
        raise LookupError(f"no check registered for the alert kind {kind!r}") from None
    return check(now)


BREAK_GLASS = "auth.break_glass"


def raise_break_glass_alert(sender, *, user: User, reason: str, event: str, **kwargs) -> Alert:
    """A critical alert each time the break-glass account is opened or signs in (三员分立:
    docs/security.md); one open alert per account, every use a ledger event of its own.

    Opening sends it in the opening's transaction; a sign-in (Django's ``user_logged_in``,
    which holds none) in a transaction of its own."""
    if event == "login":
        with transaction.atomic(durable=True):
            return _raise_break_glass_alert(user, reason, event)
    return _raise_break_glass_alert(user, reason, event)


def _raise_break_glass_alert(user: User, reason: str, event: str) -> Alert:
    what = "启用" if event == "opened" else "登录"
    return raise_alert(
        BREAK_GLASS,
        f"应急账号{user.username}已{what}",
        severity=Severity.CRITICAL,
        detail={"user": user.get_username(), "event": event, "reason": reason},
        obj=user,
        audience=[Role.SECURITY_ADMIN, Role.AUDIT_ADMIN],
    )


# --- announced by lower apps (connected in apps.py; docs/architecture.md) ---------------------

UNREADABLE = "records.unreadable"
UNDOCKED = "device.undocked"


def raise_unreadable_file_alert(
    sender, *, segment, actor: User | None, file: str, error: str, source: str, **kwargs
) -> Alert:
    """A file received by ingest or upload that cannot be parsed (kept byte for byte as an
    unreadable segment): a warning to the custodian (records.signals.unreadable_file_received)."""
    return raise_alert(
        UNREADABLE,
        f"无法解析的音像文件：{segment.original_filename}",
        obj=segment,
        severity=Severity.WARNING,
        detail={
            "file": file,
            "sha256": segment.blob_id,
            "size": segment.blob.size,
            "error": error,
            "source": source,
        },
        audience=[Role.CUSTODIAN.value],
        actor=actor,
    )


def raise_marked_unreadable_alert(sender, *, segment, error: str, **kwargs) -> Alert:
    """A segment the media job found unreadable: to the custodian and the head
    (records.signals.segment_marked_unreadable)."""
    return raise_alert(
        UNREADABLE,
        f"音像记录无法解析：{segment}",
        obj=segment,
        detail={"sha256": segment.blob_id, "error": error, "filename": str(segment)},
        audience=[Role.CUSTODIAN.value, Role.HEAD.value],
    )


def raise_undocked_alert(sender, *, device, days: int, **kwargs) -> Alert:
    """A device not docked for ``days`` days (A19): a warning to the custodian
    (orgs.devices.device_undocked, sent by the daily check, which holds no transaction: each
    alert in one of its own)."""
    last = device.last_docked_at
    since = timezone.localtime(last).strftime("%Y-%m-%d %H:%M") if last else "从未对接"
    with transaction.atomic(durable=True):
        return raise_alert(
            UNDOCKED,
            f"{device} 已超过 {days} 天未对接（最近对接：{since}）",
            obj=device,
            severity=Severity.WARNING,
            detail={
                "serial_number": device.serial_number,
                "last_docked_at": last.isoformat() if last else None,
                "days": days,
            },
            audience=[Role.CUSTODIAN.value],
        )


def raise_self_added_alert(sender, *, actor: User, obj, added, **kwargs) -> None:
    """cases ``officers_changed``: adding oneself to an act or case opens its records without an
    approval (A24), so the head and the custodian are told; in the change's transaction."""
    if actor.pk not in added:
        return
    raise_alert(
        SELF_ADDED,
        f"{actor} 将本人添加为“{obj}”的执法人员",
        obj=obj,
        detail={"user": actor.get_username()},
        audience=[Role.HEAD.value, Role.CUSTODIAN.value],
        actor=actor,
    )
