"""Where the A27 alerts of the records' life come from (docs/alerts.md).

- ``record.missing_av``: an act whose AV was required but is absent (an active A11-mandatory
  "absent" or A16-service "av" finding); raised and closed by the rule engine as the finding
  opens and closes (``sync_missing_av_alert``, called from compliance/evaluate.py).
- ``record.gap``: an act whose recording was interrupted without an explanation (an active
  A11-gap finding: part of the act not recorded); raised and closed the same way
  (``sync_gap_alert``).
- ``registration.overdue``: an act whose records were not registered within 2 working days
  (A21); raised by the daily check ``raise_overdue_registration_alerts`` (task
  ``quancheng.alerts.tasks.check_overdue_registrations``) and closed by it once registered.
Lost records and alterations (``fixity.missing``, ``fixity.mismatch``, ``ledger.tampered``)
are raised by the fixity sweeps and the ledger verification; access and disposal alerts by the
access and archive apps, with the kinds named in docs/alerts.md.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.orgs.models import Role

from .models import CUSTODIAN_HEAD_AUDITOR, Alert, Severity
from .services import close_alerts_for, raise_alert

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MISSING_AV = "record.missing_av"
GAP = "record.gap"
OVERDUE = "registration.overdue"
ACCESS_DENIED = "access.denied"
ACCESS_OUTSIDE_APPROVAL = "access.outside_approval"
DISPOSAL_REFUSED = "disposal.refused"

# Findings that mean "AV was required and there is none" (rule id, key).
MISSING_AV_FINDINGS = {("A11-mandatory", "absent"), ("A16-service", "av")}


def missing_av_findings(findings) -> list:
    """The active findings among ``findings`` that say required AV is absent."""
    from quancheng.compliance.models import Finding

    return [
        f
        for f in findings
        if (f.rule_id, f.key) in MISSING_AV_FINDINGS and f.status in Finding.ACTIVE
    ]


def sync_missing_av_alert(act: Act, findings) -> None:
    """Raise the act's ``record.missing_av`` alert while such a finding is active; close it
    when none is (closed, or accepted by the head). Inside the caller's transaction."""
    active = missing_av_findings(findings)
    if not active:
        close_alerts_for(MISSING_AV, obj=act, note="相关检查发现已关闭或已认可")
        return
    local = timezone.localtime(act.ended_at)
    raise_alert(
        MISSING_AV,
        f"应当音像记录而未记录：{act.get_kind_display()}（{local:%Y-%m-%d %H:%M}，{act.place}）",
        obj=act,
        agency=act.agency,
        severity=Severity.CRITICAL,
        detail={
            "act": act.pk,
            "findings": [f.pk for f in active],
            "rules": sorted({f.rule_id for f in active}),
            "ended_at": act.ended_at.isoformat(),
        },
        audience=CUSTODIAN_HEAD_AUDITOR,
    )


def gap_findings(findings) -> list:
    """The active A11-gap findings among ``findings``: interruptions not explained."""
    from quancheng.compliance.models import Finding

    return [f for f in findings if f.rule_id == "A11-gap" and f.status in Finding.ACTIVE]


def sync_gap_alert(act: Act, findings) -> None:
    """Raise the act's ``record.gap`` alert while an unexplained gap is active; close it when
    none is (explained, closed, or the answer accepted). Inside the caller's transaction."""
    active = gap_findings(findings)
    if not active:
        close_alerts_for(GAP, obj=act, note="音像记录中断已说明或已认可")
        return
    local = timezone.localtime(act.started_at)
    raise_alert(
        GAP,
        f"音像记录中断未说明：{act.get_kind_display()}（{local:%Y-%m-%d %H:%M}，{act.place}）",
        obj=act,
        agency=act.agency,
        severity=Severity.WARNING,
        detail={"act": act.pk, "findings": [f.pk for f in active], "gaps": len(active)},
        audience=CUSTODIAN_HEAD_AUDITOR,
    )


def raise_overdue_registration_alerts(now: dt.datetime | None = None) -> dict[str, int]:
    """The daily A21 check:
    1. a ``registration.overdue`` alert for each act not registered by its deadline (an open
       alert is not raised twice), and the act evaluated so its A21-deadline finding shows;
    2. open ones closed for acts registered since.
    The counts raised and closed."""
    from quancheng.compliance.evaluate import evaluate_all
    from quancheng.registration.deadlines import loaded_schedules, overdue_cutoff

    now = now or timezone.now()
    schedules = loaded_schedules()
    cutoff = overdue_cutoff(now, schedules)
    open_ids = {
        int(pk)
        for pk in Alert.objects.open()
        .filter(kind=OVERDUE, object_type=Act._meta.label_lower)
        .values_list("object_id", flat=True)
    }
    raised = []
    overdue = Act.objects.filter(registration__isnull=True, ended_at__lt=cutoff)
    for act in overdue.select_related("agency").order_by("ended_at", "pk").iterator():
        if act.pk in open_ids:
            continue
        ended = timezone.localtime(act.ended_at)
        raise_alert(
            OVERDUE,
            f"执法记录逾期未登记：{act.get_kind_display()}（{ended:%Y-%m-%d %H:%M}结束，"
            f"{act.place}）",
            obj=act,
            agency=act.agency,
            severity=Severity.WARNING,
            detail={"act": act.pk, "ended_at": act.ended_at.isoformat()},
            audience=CUSTODIAN_HEAD_AUDITOR,
        )
        raised.append(act.pk)
    if raised:
        evaluate_all(Act.objects.filter(pk__in=raised), now=now)
    registered = Act.objects.filter(pk__in=open_ids, registration__isnull=False)
    closed = sum(
        close_alerts_for(OVERDUE, obj=act, note="记录已登记") for act in registered.only("pk")
    )
    return {"raised": len(raised), "closed": closed}


BREAK_GLASS = "auth.break_glass"


def raise_break_glass_alert(sender, *, user: User, reason: str, event: str, **kwargs) -> Alert:
    """A critical alert each time the break-glass account is opened or signs in (三员分立:
    docs/security.md); one open alert per account, every use a ledger event of its own."""
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
    (orgs.devices.device_undocked, sent by the daily check)."""
    last = device.last_docked_at
    since = timezone.localtime(last).strftime("%Y-%m-%d %H:%M") if last else "从未对接"
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
