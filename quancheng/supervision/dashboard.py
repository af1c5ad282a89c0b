"""The home page dashboard (工作概况): alerts for the user, key figures of their scope, links.

A fixed number of queries whatever the data: counts are GROUP BY queries, lists are limited.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from quancheng.alerts.models import KIND_LABELS, Alert
from quancheng.alerts.services import alert_counts_for
from quancheng.compliance.models import Completeness
from quancheng.compliance.queries import UNCHECKED
from quancheng.orgs.devices import undocked_devices
from quancheng.orgs.models import Device
from quancheng.orgs.scoping import agencies_visible_to

from .models import ACT_LEVEL, ALL_KINDS, StatCount, StatRule
from .rollups import apply_marks, month_of

if TYPE_CHECKING:
    from quancheng.orgs.models import User


RECENT_ALERTS = 8
GAP_RULE = "A11-gap"  # an interruption not explained (A11)
LATE_RULE = "A21-deadline"  # registered late or not at all (A21)


def alert_counts(user: User) -> list[tuple[str, str, int]]:
    """Open alerts addressed to the user, by kind: (kind, label, count), most first."""
    counts = alert_counts_for(user)["by_kind"]
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(kind, KIND_LABELS.get(kind, kind), n) for kind, n in rows]


def alert_link(alert: Alert) -> str:
    """Where an alert points: its act's page, or the alert list."""
    if alert.object_type == "cases.act" and alert.object_id.isdigit():
        return reverse("act_detail", args=[int(alert.object_id)])
    return reverse("alert_list")


def recent_alerts(user: User) -> list[tuple[Alert, str]]:
    alerts = Alert.objects.visible_to(user).open().select_related("agency")[:RECENT_ALERTS]
    return [(alert, alert_link(alert)) for alert in alerts]


def key_figures(user: User, now: dt.datetime | None = None) -> dict:
    """This month's acts and how completely the checked ones were recorded; open problems in
    scope. Read from the statistics rollups; each figure has the link to the list behind it."""
    apply_marks()
    now = timezone.localtime(now or timezone.now())
    month = month_of(now)
    cells = StatCount.objects.filter(officer=ACT_LEVEL, kind=ALL_KINDS)
    rules = StatRule.objects.filter(officer=ACT_LEVEL, kind=ALL_KINDS)
    if not (getattr(user, "is_authenticated", False) and user.sees_whole_city):
        visible = agencies_visible_to(user)
        cells, rules = cells.filter(agency__in=visible), rules.filter(agency__in=visible)
    sums = cells.aggregate(
        month_acts=Sum("acts", filter=Q(month=month)),
        month_checked=Sum("checked", filter=Q(month=month)),
        month_complete=Sum("complete", filter=Q(month=month)),
        total_acts=Sum("acts"),
        total_missing=Sum("mandatory_missing"),
    )
    names = {"month_acts": "acts", "month_checked": "checked", "month_complete": "complete"}
    names.update(total_acts="all_acts", total_missing="missing")
    figures = {names[alias]: value or 0 for alias, value in sums.items()}
    figures["unchecked"] = figures["acts"] - figures["checked"]
    # Of the acts checked: an act not checked yet is neither complete nor incomplete.
    figures["complete_rate"] = (
        round(100 * figures["complete"] / figures["checked"], 1) if figures["checked"] else None
    )
    by_rule = dict(
        rules.filter(rule_id__in=[GAP_RULE, LATE_RULE])
        .values("rule_id")
        .order_by("rule_id")
        .annotate(n=Sum("acts"))
        .values_list("rule_id", "n")
    )
    figures["gaps"] = by_rule.get(GAP_RULE, 0)
    figures["late"] = by_rule.get(LATE_RULE, 0)
    figures["undocked"] = undocked_devices(Device.objects.visible_to(user), now=now).count()
    figures["links"] = _links(now.date())
    return figures


def _links(today: dt.date) -> dict:
    """The list behind each figure: the act list (or device list) with the filters that select
    exactly the rows counted."""
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    acts = reverse("act_list")
    month = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    return {
        "acts": f"{acts}?{urlencode(month)}",
        "complete": f"{acts}?{urlencode({**month, 'completeness': Completeness.COMPLETE})}",
        "unchecked": f"{acts}?{urlencode({**month, 'completeness': UNCHECKED})}",
        "missing": f"{acts}?{urlencode({'completeness': Completeness.MANDATORY_MISSING})}",
        "gaps": f"{acts}?{urlencode({'finding': GAP_RULE})}",
        "late": f"{acts}?{urlencode({'finding': LATE_RULE})}",
        "undocked": f"{reverse('device_list')}?undocked=1",
    }


def dashboard_for(user: User) -> dict:
    return {
        "alert_counts": alert_counts(user),
        "recent_alerts": recent_alerts(user),
        "figures": key_figures(user),
    }
