"""Use cases of compliance: markers, explanations, answering and deciding findings.

Each change is a ledger event in the same transaction, and queues the act's re-evaluation
after the commit (hooks.schedule_evaluation).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.records.models import Segment

from .evaluate import refresh_completeness
from .hooks import schedule_evaluation
from .models import Explanation, Finding, Marker

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MAX_TEXT = 5000


def _error(message: str, code: str, field_name: str = "__all__") -> ValidationError:
    return ValidationError({field_name: [ValidationError(message, code=code)]})


def _text(value: str, field_name: str, label: str, required: bool = True, limit=MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _error(f"请填写{label}", "required", field_name)
    if len(value) > limit:
        raise _error(f"{label}不能超过{limit}个字", "too_long", field_name)
    return value


# --- markers (标记) ---------------------------------------------------------------------------


def segment_length(segment: Segment) -> float | None:
    """A segment's length in seconds: its measured duration, else end minus start, else None."""
    if segment.duration_seconds is not None:
        return segment.duration_seconds
    if segment.started_at and segment.ended_at:
        return (segment.ended_at - segment.started_at).total_seconds()
    return None


def add_marker(
    actor: User, segment: Segment, kind: str, offset_seconds: float, note: str = ""
) -> Marker:
    """Mark a moment in a recording (e.g. 表明身份 at 00:42); a ledger event on the segment.

    Only someone who may view the segment marks it: the rules judge recordings by markers."""
    caps.require(actor, caps.MARKER_CHANGE, segment)
    if kind not in Marker.Kind.values:
        raise _error("请选择标记类型", "invalid_kind", "kind")
    try:
        offset = float(offset_seconds)
    except (TypeError, ValueError):
        raise _error("时间点应为秒数", "invalid_offset", "offset_seconds") from None
    # A marker names a moment of the recording: it must lie within the recording's duration,
    # so a segment whose duration is unknown (unreadable) cannot carry one.
    length = segment_length(segment)
    if length is None:
        raise _error(
            "该音像记录时长不明（文件无法解析），不能添加标记", "duration_unknown", "offset_seconds"
        )
    if offset < 0 or offset != offset or offset > length:
        limit = f"时间点应在音像记录时长之内（0 至 {length:g} 秒之间）"
        raise _error(limit, "out_of_range", "offset_seconds")
    note = _text(note, "note", "备注", required=False, limit=500)
    with transaction.atomic(durable=True):
        marker = Marker.objects.create(
            segment=segment, kind=kind, offset_seconds=offset, note=note, created_by=actor
        )
        record_event(
            actor,
            Action.MARKER_ADDED,
            segment,
            {"marker": marker.pk, "kind": kind, "offset_seconds": offset, "note": note},
        )
        schedule_evaluation(segment.act_id)
    return marker


def withdraw_marker(actor: User, marker: Marker, reason: str) -> Marker:
    """Withdraw a wrong marker (it stays, withdrawn, beside the ledger event)."""
    segment = marker.segment
    caps.require(actor, caps.MARKER_CHANGE, segment)
    reason = _text(reason, "reason", "撤销原因", limit=500)
    with transaction.atomic(durable=True):
        marker = Marker.objects.select_for_update().get(pk=marker.pk)
        if marker.withdrawn_at is not None:
            raise _error("该标记已撤销", "already_withdrawn")
        marker.withdrawn_at = timezone.now()
        marker.withdrawn_by = actor
        marker.withdraw_reason = reason
        marker.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
        record_event(
            actor, Action.MARKER_WITHDRAWN, segment, {"marker": marker.pk, "reason": reason}
        )
        schedule_evaluation(segment.act_id)
    return marker


# --- explanations (说明) ----------------------------------------------------------------------


def add_explanation(
    actor: User,
    act: Act,
    kind: str,
    text: str,
    reason: str = "",
    gap_started_at: dt.datetime | None = None,
    gap_ended_at: dt.datetime | None = None,
) -> Explanation:
    """A written gap explanation (A11 ¶2) or an A13 work record, by an officer of the act (or
    the custodian); both are made after the act; a work record goes to the head for review."""
    caps.require(actor, caps.ACT_EXPLAIN, act)
    if kind not in Explanation.Kind.values:
        raise _error("请选择说明类型", "invalid_kind", "kind")
    text = _text(text, "text", "说明内容")
    now = timezone.now()
    if act.ended_at > now:
        raise _error("应当在执法活动结束后制作说明", "act_not_ended")
    if kind == Explanation.Kind.A13_WORK_RECORD:
        if reason not in Explanation.Reason.values or not reason:
            raise _error("请写明无法使用音像记录的原因", "reason_required", "reason")
    else:
        reason = ""
    if (gap_started_at is None) != (gap_ended_at is None):
        raise _error("请同时填写中断开始和结束时间，或都不填", "gap_incomplete", "gap_started_at")
    if gap_started_at is not None and gap_ended_at is not None and gap_ended_at <= gap_started_at:
        raise _error("中断结束时间应晚于开始时间", "gap_order", "gap_ended_at")
    review = (
        Explanation.Review.PENDING
        if kind == Explanation.Kind.A13_WORK_RECORD
        else Explanation.Review.NOT_NEEDED
    )
    with transaction.atomic(durable=True):
        explanation = Explanation.objects.create(
            act=act,
            kind=kind,
            reason=reason,
            text=text,
            gap_started_at=gap_started_at,
            gap_ended_at=gap_ended_at,
            requested_by=actor,
            requested_at=now,
            review=review,
        )
        record_event(
            actor,
            Action.EXPLANATION_ADDED,
            act,
            {
                "explanation": explanation.pk,
                "kind": kind,
                "reason": reason,
                "text": text,
                "gap": [
                    gap_started_at.isoformat() if gap_started_at else None,
                    gap_ended_at.isoformat() if gap_ended_at else None,
                ],
            },
        )
        schedule_evaluation(act)
    return explanation


def review_explanation(
    actor: User, explanation: Explanation, accept: bool, note: str = ""
) -> Explanation:
    """The head of the act's agency accepts or returns an A13 work record (第十三条：报本机构
    主要负责人审核)."""
    note = _text(note, "note", "审核意见", required=not accept)
    return approvals.decide("a13_review", explanation, actor, approve=accept, note=note)


def apply_review(explanation: Explanation, actor: User, accept: bool, note: str) -> Explanation:
    """The work record's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_review")  # inside approvals.decide()
    explanation.review = Explanation.Review.ACCEPTED if accept else Explanation.Review.RETURNED
    explanation.save(update_fields=["review", "decided_by", "decided_at", "decision_note"])
    record_event(
        actor,
        Action.EXPLANATION_ACCEPTED if accept else Action.EXPLANATION_RETURNED,
        explanation.act,
        {"explanation": explanation.pk, "note": note},
    )
    schedule_evaluation(explanation.act)
    return explanation


# --- findings (检查发现) ----------------------------------------------------------------------


def answer_finding(actor: User, finding: Finding, answer: str) -> Finding:
    """An officer of the act (or the custodian) answers an open or returned finding."""
    act = finding.act
    caps.require(actor, caps.ACT_EXPLAIN, act)
    answer = _text(answer, "answer", "答复")
    with transaction.atomic(durable=True):
        finding = Finding.objects.select_for_update().get(pk=finding.pk)
        if finding.status not in (Finding.Status.OPEN, Finding.Status.RETURNED):
            raise _error(f"该检查发现{finding.get_status_display()}，不能答复", "not_open")
        finding.status = Finding.Status.ANSWERED
        finding.answer = answer
        finding.answered_by = actor
        finding.answered_at = timezone.now()
        finding.updated_at = finding.answered_at
        finding.save(update_fields=["status", "answer", "answered_by", "answered_at", "updated_at"])
        record_event(
            actor,
            Action.FINDING_ANSWERED,
            finding,
            {"act": act.pk, "rule": finding.rule_id, "key": finding.key, "answer": answer},
            agency=act.agency,
        )
        refresh_completeness(act)
        schedule_evaluation(act)
    return finding


def decide_finding(actor: User, finding: Finding, accept: bool, note: str = "") -> Finding:
    """The head of the act's agency accepts or returns an answered finding."""
    act = finding.act
    caps.require(actor, caps.ACT_REVIEW, act)
    note = _text(note, "note", "审核意见", required=not accept)
    with transaction.atomic(durable=True):
        finding = Finding.objects.select_for_update().get(pk=finding.pk)
        if finding.status != Finding.Status.ANSWERED:
            raise _error(f"该检查发现{finding.get_status_display()}，不能审核", "not_answered")
        finding.status = Finding.Status.ACCEPTED if accept else Finding.Status.RETURNED
        finding.decided_by = actor
        finding.decided_at = timezone.now()
        finding.decision_note = note
        finding.updated_at = finding.decided_at
        finding.save(
            update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"]
        )
        record_event(
            actor,
            Action.FINDING_ACCEPTED if accept else Action.FINDING_RETURNED,
            finding,
            {"act": act.pk, "rule": finding.rule_id, "key": finding.key, "note": note},
            agency=act.agency,
        )
        refresh_completeness(act)
        schedule_evaluation(act)
    return finding
