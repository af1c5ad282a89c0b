"""The home page dashboard (工作概况): alerts for the user, key figures of their scope, links.

A fixed number of queries whatever the data: counts are GROUP BY queries, lists are limited.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from quancheng.alerts.models import KIND_LABELS, Alert
from quancheng.alerts.services import alert_counts_for
from quancheng.cases.models import Act
from quancheng.compliance.models import Completeness, Finding
from quancheng.orgs.devices import undocked_devices
from quancheng.orgs.models import Device

RECENT_ALERTS = 8


def alert_counts(user) -> list[tuple[str, str, int]]:
    """Open alerts addressed to the user, by kind: (kind, label, count), most first."""
    counts = alert_counts_for(user)["by_kind"]
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(kind, KIND_LABELS.get(kind, kind), n) for kind, n in rows]


def alert_link(alert: Alert) -> str:
    """Where an alert points: its act's page, or the alert list."""
    if alert.object_type == "cases.act" and alert.object_id.isdigit():
        return reverse("act_detail", args=[int(alert.object_id)])
    return reverse("alert_list")


def recent_alerts(user) -> list[tuple[Alert, str]]:
    alerts = Alert.objects.visible_to(user).open().select_related("agency")[:RECENT_ALERTS]
    return [(alert, alert_link(alert)) for alert in alerts]


def key_figures(user, now: dt.datetime | None = None) -> dict:
    """This month's acts and how completely they were recorded; open problems in scope."""
    now = timezone.localtime(now or timezone.now())
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month = Act.objects.visible_to(user).filter(started_at__gte=month_start)
    figures = month.aggregate(
        acts=Count("id"),
        complete=Count("id", filter=Q(compliance__status=Completeness.COMPLETE)),
    )
    figures["complete_rate"] = (
        round(100 * figures["complete"] / figures["acts"], 1) if figures["acts"] else None
    )
    findings = (
        Finding.objects.visible_to(user)
        .active()
        .aggregate(
            gaps=Count("id", filter=Q(rule_id="A11-gap")),
            late=Count("id", filter=Q(rule_id="A21-deadline")),
            missing=Count("act_id", distinct=True, filter=Q(missing_record=True)),
        )
    )
    figures.update(findings)
    figures["undocked"] = undocked_devices(Device.objects.visible_to(user), now=now).count()
    return figures


def dashboard_for(user) -> dict:
    return {
        "alert_counts": alert_counts(user),
        "recent_alerts": recent_alerts(user),
        "figures": key_figures(user),
    }
