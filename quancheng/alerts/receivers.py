"""Alerts raised in answer to what lower apps announce (their signals, connected in apps.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quancheng.orgs.models import Role

from .models import Alert, Severity
from .services import raise_alert

if TYPE_CHECKING:
    from quancheng.ledger.verify import VerificationReport
    from quancheng.orgs.models import User

LEDGER_TAMPERED = "ledger.tampered"


def raise_ledger_tampered_alert(
    sender,
    *,
    report: VerificationReport,
    detail: dict[str, Any],
    actor: User | None = None,
    **kwargs,
) -> Alert:
    """A critical alert when a whole-ledger verification fails (ledger.signals
    ``verification_failed``), in the transaction of its ``ledger.verified`` event."""
    first = report.first
    assert first is not None  # a failed verification names its first problem
    return raise_alert(
        LEDGER_TAMPERED,
        f"账本校验失败：{first.label}（{first.location()}）",
        agency=None,
        severity=Severity.CRITICAL,
        detail=detail,
        object_type="ledger",
        object_id="log",
        audience=[Role.CUSTODIAN, Role.AUDITOR, Role.HEAD, Role.CITY_ADMIN],
        actor=actor,
    )
