"""The A27 alerts the rule engine raises (docs/alerts.md): acts not recorded, parts not recorded.

- ``record.missing_av``: an act whose AV was required but is absent (an active A11-mandatory
  "absent" or A16-service "av" finding);
- ``record.gap``: an act whose recording was interrupted without an explanation (an active
  A11-gap finding: part of the act not recorded).
Raised and closed as the findings open and close (``evaluate.py`` calls the ``sync_*``
functions in its transaction). The alerts app sits below this one: these call its services.
"""

from __future__ import annotations

from django.utils import timezone

from quancheng.alerts.models import CUSTODIAN_HEAD_AUDITOR, Severity
from quancheng.alerts.services import close_alerts_for, raise_alert
from quancheng.alerts.sources import GAP, MISSING_AV
from quancheng.cases.models import Act

from .models import Finding

# Findings that mean "AV was required and there is none" (rule id, key).
MISSING_AV_FINDINGS = {("A11-mandatory", "absent"), ("A16-service", "av")}


def missing_av_findings(findings) -> list:
    """The active findings among ``findings`` that say required AV is absent."""
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
