"""Long-term holds (长期保存, A23): requested, approved by the agency head, lifted likewise.

A23 keeps records long-term (and copied to offline media) when the party objects, complains or
petitions; when officers were evaded, refused, obstructed, insulted or attacked; in mass incidents
or major emergencies; or as other important evidence. Here:

1. an officer or the custodian requests a hold on a case or an act, with one of the four reasons;
2. the head of the same agency (never the requester) approves or refuses;
3. while active, the hold's items are ``on_hold`` (never due for disposal), each is queued for a
   copy to offline media (离线备份, the custodian's list) and, on S3, under legal hold;
4. lifting is requested and approved the same way; the legal hold goes OFF only for blobs no
   other active hold covers.

Every step is a ledger event in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.compliance.hooks import schedule_evaluation
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.records.refs import items_of_act, items_of_case, kind_of, ref_of
from quancheng.records.sm3 import file_digests

from .models import Hold, OfflineCopyJob
from .retention import recompute_for_items

if TYPE_CHECKING:
    from quancheng.orgs.models import User


class HoldRefused(ValueError):
    """A hold step outside the rules; the message is shown to the user."""


def _require_head_of(user: User, hold: Hold) -> None:
    if not caps.can(user, caps.REQUESTS_DECIDE, hold):
        raise PermissionDenied("只有本机构负责人可以审批长期保存")


def items_of_hold(hold: Hold) -> list[models.Model]:
    return items_of_case(hold.case) if hold.case_id else items_of_act(hold.act)


def _body(hold: Hold, **extra) -> dict:
    return {
        "case": hold.case_id,
        "act": hold.act_id,
        "reason": hold.reason,
        "status": hold.status,
        **extra,
    }


def request_hold(user: User, *, reason: str, note: str, case=None, act=None) -> Hold:
    """Step 1: a hold requested by an officer or the custodian on a case or an act."""
    caps.require(user, caps.HOLD_REQUEST)
    if (case is None) == (act is None):
        raise HoldRefused("请选择一个案件或一个执法行为")
    if reason not in Hold.Reason.values:
        raise HoldRefused("请选择第二十三条规定的长期保存事由")
    note = (note or "").strip()
    if not note:
        raise HoldRefused("请填写说明")
    agency = (case or act).agency
    caps.require(user, caps.HOLD_REQUEST, agency)
    with transaction.atomic(durable=True):
        # The same rows disposal locks: a disposal in progress sees this request, or waits.
        _lock_source(case, act)
        hold = Hold.objects.create(
            agency=agency, case=case, act=act, reason=reason, note=note, requested_by=user
        )
        record_event(user, Action.HOLD_REQUESTED, hold, _body(hold, note=note))
        _check_acts_again(hold)
    return hold


def _lock_source(case, act) -> None:

    query = models.Q(case_id=case.pk) if case is not None else models.Q(pk=act.pk)
    list(Act.objects.select_for_update().filter(query).order_by("pk").values_list("pk"))


def decide_hold(user: User, hold: Hold, *, approve: bool, note: str = "") -> Hold:
    """Step 2: the head approves (the hold becomes active) or refuses."""
    return approvals.decide("hold", hold, user, approve=approve, note=note)


def apply_hold_decision(hold: Hold, user: User, approve: bool, note: str) -> Hold:
    """The hold's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_hold_decision")  # inside approvals.decide()
    if not approve:
        hold.status = Hold.Status.REFUSED
        hold.save()
        record_event(user, Action.HOLD_REFUSED, hold, _body(hold, note=note))
        # A refusal leaves the circumstance unresolved: A23-longterm says so (a finding
        # until the head approves a hold or decides it does not apply).
        _check_acts_again(hold)
        return hold
    hold.status = Hold.Status.ACTIVE
    hold.save()
    record_event(user, Action.HOLD_APPROVED, hold, _body(hold, note=note))
    items = items_of_hold(hold)
    queue_offline_copies(hold, items)
    recompute_for_items([ref_of(i) for i in items], actor=user)
    _check_acts_again(hold)
    return hold


def _check_acts_again(hold: Hold) -> None:
    """A23-longterm reads whether an act or its case is held: its acts are checked again."""
    acts = [hold.act_id] if hold.act_id else []
    if hold.case is not None:
        acts += list(hold.case.acts.values_list("pk", flat=True))
    schedule_evaluation(*acts)


def queue_offline_copies(hold: Hold, items: list[models.Model]) -> int:
    """Step 3: one offline copy job per item (idempotent); in the caller's transaction."""
    require_own_transaction("archive.holds.queue_offline_copies")
    created = 0
    for item in items:
        sha256 = str(getattr(item, "blob_id", None) or getattr(item, "sha256", ""))
        _, new = OfflineCopyJob.objects.get_or_create(
            hold=hold,
            item_kind=kind_of(item),
            item_id=item.pk,
            defaults={"agency": hold.agency, "sha256": sha256},
        )
        created += new
    if created:
        record_event(None, Action.HOLD_OFFLINE_COPIES_QUEUED, hold, {"count": created})
    return created


def request_lift(user: User, hold: Hold, *, reason: str) -> Hold:
    """Step 4a: ask to lift an active hold."""
    caps.require(user, caps.HOLD_LIFT_REQUEST, hold.agency)
    reason = (reason or "").strip()
    if not reason:
        raise HoldRefused("请填写解除理由")
    with transaction.atomic(durable=True):
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if hold.status != Hold.Status.ACTIVE:
            raise HoldRefused("只有保存中的长期保存可以申请解除")
        hold.status = Hold.Status.LIFT_REQUESTED
        hold.lift_reason = reason
        hold.lift_requested_by = user
        hold.save()
        record_event(user, Action.HOLD_LIFT_REQUESTED, hold, _body(hold, lift_reason=reason))
    return hold


def decide_lift(user: User, hold: Hold, *, approve: bool, note: str = "") -> Hold:
    """Step 4b: the head lifts the hold, or refuses (the hold stays active)."""
    return approvals.decide("hold_lift", hold, user, approve=approve, note=note)


def apply_lift_decision(hold: Hold, user: User, approve: bool, note: str) -> Hold:
    """The lift request's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_lift_decision")  # inside approvals.decide()
    if not approve:
        hold.status = Hold.Status.ACTIVE
        hold.save()
        record_event(user, Action.HOLD_LIFT_REFUSED, hold, _body(hold, note=note))
        return hold
    hold.status = Hold.Status.LIFTED
    hold.lifted_by = user
    hold.lifted_at = timezone.now()
    hold.save()
    record_event(user, Action.HOLD_LIFTED, hold, _body(hold, note=note))
    recompute_for_items([ref_of(i) for i in items_of_hold(hold)], actor=user)
    _check_acts_again(hold)
    return hold


def mark_offline_copy_done(user: User, job: OfflineCopyJob, *, medium_label: str) -> OfflineCopyJob:
    """The custodian copied the item to offline media labelled ``medium_label``."""
    caps.require(user, caps.HOLD_OFFLINE_COPY, job.agency)
    medium_label = (medium_label or "").strip()
    if not medium_label:
        raise HoldRefused("请填写介质编号")
    with transaction.atomic(durable=True):
        job = OfflineCopyJob.objects.select_for_update().get(pk=job.pk)
        if job.status == OfflineCopyJob.Status.DONE:
            raise HoldRefused("该离线备份已登记")
        job.status = OfflineCopyJob.Status.DONE
        job.medium_label = medium_label
        job.done_by = user
        job.done_at = timezone.now()
        job.save()
        record_event(
            user,
            Action.OFFLINE_COPY_DONE,
            job,
            {
                "hold": job.hold_id,
                "kind": job.item_kind,
                "id": job.item_id,
                **file_digests(job.sha256),
                "medium_label": medium_label,
            },
        )
    return job


def pending_for_head(user: User) -> models.QuerySet[Hold]:
    """Hold requests and lift requests awaiting this head's decision (the approvals inbox's two
    sections)."""
    return approvals.awaiting("hold", user) | approvals.awaiting("hold_lift", user)
