"""The daily A21 check (docs/alerts.md): ``registration.overdue`` alerts for acts whose records
were not registered within 2 working days.

Registered as the source of that kind in the alerts app's registry at ready()
(``alerts.sources.register_check``); the alerts task ``check_overdue_registrations`` runs it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from quancheng.alerts.models import CUSTODIAN_HEAD_AUDITOR, Alert, Severity
from quancheng.alerts.services import close_alerts_for, raise_alert
from quancheng.alerts.sources import OVERDUE
from quancheng.cases.models import Act

from .deadlines import loaded_schedules, overdue_cutoff
from .signals import acts_overdue


def raise_overdue_registration_alerts(now: dt.datetime | None = None) -> dict[str, int]:
    """The daily A21 check:
    1. a ``registration.overdue`` alert for each act not registered by its deadline (an open
       alert is not raised twice), and the act announced (``acts_overdue``: compliance evaluates
       it so its A21-deadline finding shows);
    2. open ones closed for acts registered since.
    The counts raised and closed. Run by the daily task, outside any transaction: each alert is
    raised or closed in one of its own."""
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
        with transaction.atomic(durable=True):
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
        acts_overdue.send(Act, act_ids=raised, now=now)
    registered = Act.objects.filter(pk__in=open_ids, registration__isnull=False)
    closed = 0
    for act in registered.only("pk"):
        with transaction.atomic(durable=True):
            closed += close_alerts_for(OVERDUE, obj=act, note="记录已登记")
    return {"raised": len(raised), "closed": closed}
