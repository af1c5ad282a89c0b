"""Redacted copies for provision (脱敏副本, A24 ¶2 and 个人信息保护法 art. 6: provide no more
personal information than the purpose needs): bystanders' faces blurred, chosen audio muted.

1. **Request** (``request_redaction``): the provision's requester or the agency's custodian asks
   for a redacted copy of one AV segment of a provision not yet handed over, with the audio
   ranges to mute. Event ``redaction.requested`` (the original's SHA-256 and the parameters).
2. **Production** in the background (``produce``, task ``produce_redacted_copy``): claimed once
   (``redaction.production_started``), the original streamed through
   :func:`quancheng.redaction.video.redact_video`, the result stored as a blob of its own through
   ``put_record_file``: ``redaction.produced`` with its SHA-256 and size, the parameters, the
   detector's name, package version and model hash, and what was done (frames, faces, tracks,
   seconds muted). Or ``redaction.failed``.
3. **Review**: the head of the agency plays the copy (``redaction.played``, logged by the media
   route) and then approves or refuses it (``redaction.approved`` / ``redaction.refused``); an
   approval without a playback by that head is refused, and nobody reviews their own request.
4. **Release**: registering the provision as provided (``provisions.register_provided``) fixes
   which bytes went out per item, the approved copy's for a redacted segment, in
   ``Provision.copies_provided`` and in the ``provision.registered`` event. A segment whose copy
   was asked for but not approved blocks the registration: its original must not go out instead.

The original segment and its blob are never written.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from quancheng.jobs.leases import current_job
from quancheng.jobs.workdirs import work_dir
from quancheng.ledger.actions import Action
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.records.media import _readable_path
from quancheng.records.models import Segment
from quancheng.records.refs import ref_of
from quancheng.records.services import put_record_file, register_blob
from quancheng.redaction.video import Params, RedactionError

from .extraction import clean_text
from .models import Provision, RedactedCopy

if TYPE_CHECKING:
    from quancheng.orgs.models import User


logger = logging.getLogger(__name__)

MAX_MUTE_RANGES = 50
OPEN_STATUSES = (
    RedactedCopy.Status.REQUESTED,
    RedactedCopy.Status.PRODUCING,
    RedactedCopy.Status.REVIEW,
)
_TIME = r"(?:(\d+):)?(\d+(?:\.\d+)?)"
_RANGE = re.compile(rf"^\s*{_TIME}\s*[-–~至到]\s*{_TIME}\s*$")


def _error(message: str, code: str, field: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _seconds(minutes: str | None, seconds: str) -> float:
    return int(minutes or 0) * 60 + float(seconds)


def parse_mute_ranges(raw, duration: float | None = None) -> tuple[tuple[float, float], ...]:
    """Audio ranges to mute, from text (one ``起-止`` per line, seconds or ``分:秒``) or a list of
    ``[start, end]`` pairs (the API). Sorted; each within the recording when its length is known."""
    if isinstance(raw, str):
        pairs = []
        for line in filter(None, (p.strip() for p in re.split(r"[\n,，;；]", raw))):
            match = _RANGE.match(line)
            if not match:
                example = "例：12-15 或 1:05-1:20"
                raise _error(f"静音时段格式无效：{line}（{example}）", "invalid", "mute")
            m1, s1, m2, s2 = match.groups()
            pairs.append((_seconds(m1, s1), _seconds(m2, s2)))
    else:
        try:
            pairs = [(float(a), float(b)) for a, b in raw or []]
        except (TypeError, ValueError) as e:
            raise _error("静音时段格式无效", "invalid", "mute") from e
    if len(pairs) > MAX_MUTE_RANGES:
        raise _error(f"静音时段最多{MAX_MUTE_RANGES}段", "too_many", "mute")
    for start, end in pairs:
        if not 0 <= start < end:
            raise _error(f"静音时段无效：{start:g}-{end:g}（开始须早于结束）", "invalid", "mute")
        if duration and start >= duration:
            message = f"静音时段 {start:g}-{end:g} 超出记录时长（{duration:.0f} 秒）"
            raise _error(message, "out_of_range", "mute")
    return tuple(sorted((round(a, 3), round(b, 3)) for a, b in pairs))


def may_request(user: User, provision: Provision) -> bool:
    """Who registers the provision asks for its copies: the requester or the custodian."""
    return caps.can(user, caps.PROVISION_REGISTER, provision)


def is_reviewer(user: User, copy: RedactedCopy) -> bool:
    """The head of the provision's agency reviews its copies (as they decide the provision)."""
    return caps.can(user, caps.REQUESTS_DECIDE, copy.provision)


def may_play(user: User, copy: RedactedCopy) -> bool:
    """The requester, the custodian and the head of the agency see the copy once it exists."""
    if copy.blob_id is None:
        return False
    return is_reviewer(user, copy) or may_request(user, copy.provision)


def may_download(user: User, copy: RedactedCopy) -> bool:
    """Only an approved copy is handed over."""
    return copy.status == RedactedCopy.Status.APPROVED and may_play(user, copy)


def request_redaction(
    actor: User, provision: Provision, segment: Segment, *, mute="", threshold: float | None = None
) -> RedactedCopy:
    """Step 1: ask for a redacted copy of one segment of the provision."""
    if not may_request(actor, provision):
        raise PermissionDenied("只有对外提供的申请人或记录管理专人可以申请脱敏副本")
    if provision.status not in (Provision.Status.REQUESTED, Provision.Status.APPROVED):
        raise _error(
            f"该对外提供已{provision.get_status_display()}，不能再申请脱敏副本", "closed", "status"
        )
    if {"kind": "segment", "id": segment.pk} not in provision.items:
        raise _error("所选音像记录不在本次对外提供的条目中", "not_in_provision", "segment")
    if not segment.readable:
        raise _error("该音像记录无法解析，不能制作脱敏副本", "unreadable", "segment")
    params = Params(mute=parse_mute_ranges(mute, segment.duration_seconds))
    if threshold is not None:
        params = dataclasses.replace(params, threshold=_threshold(threshold))
    with transaction.atomic(durable=True):
        copy = RedactedCopy.objects.create(
            agency=provision.agency,
            provision=provision,
            segment=segment,
            params=params.as_body(),
            requested_by=actor,
        )
        record_event(
            actor,
            Action.REDACTION_REQUESTED,
            copy,
            {
                "provision": provision.pk,
                "segment": segment.pk,
                "original": segment.blob_id,
                "params": copy.params,
            },
        )
        schedule_production(copy)
    return copy


def _threshold(value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as e:
        raise _error("检测阈值无效", "invalid", "threshold") from e
    if not 0.05 <= value <= 0.9:
        raise _error("检测阈值须在 0.05 到 0.9 之间", "invalid", "threshold")
    return value


def schedule_production(copy: RedactedCopy) -> None:
    """Queue the production after the commit (a queue that is down leaves it requested)."""
    from .tasks_redaction import produce_redacted_copy

    pk = copy.pk
    transaction.on_commit(lambda: produce_redacted_copy.enqueue(pk), robust=True)


# --- production (the background task's body) ---------------------------------------------------


def claim(copy_id: int) -> RedactedCopy | None:
    """Take a requested copy for production; None when another worker has it. The same job, run
    again after its worker died (jobs/leases.py), takes it back and starts over."""
    job = current_job()
    claimable = models.Q(status=RedactedCopy.Status.REQUESTED)
    if job is not None:
        claimable |= models.Q(status=RedactedCopy.Status.PRODUCING, production_job=job.task_id)
    with transaction.atomic(durable=True):
        won = (
            RedactedCopy.objects.filter(pk=copy_id)
            .filter(claimable)
            .update(
                status=RedactedCopy.Status.PRODUCING,
                production_started_at=timezone.now(),
                production_job=job.task_id if job else "",
                progress=1,
            )
        )
        if not won:
            return None
        copy = RedactedCopy.objects.select_related("segment", "agency").get(pk=copy_id)
        body = {"job": job.task_id, "attempt": job.attempt} if job else {}
        record_event(None, Action.REDACTION_PRODUCTION_STARTED, copy, body)
    return copy


def produce(copy_id: int) -> RedactedCopy | None:
    """Make, store and record the redacted copy of a requested one."""
    # Heavy (PyAV, onnxruntime): loaded only when a copy is redacted.
    from quancheng.redaction.faces import detector_version
    from quancheng.redaction.video import redact_video

    copy = claim(copy_id)
    if copy is None:
        return None
    params = _params(copy.params)

    def progress(done: float) -> None:
        # Operational state, not content: no event (start and result have theirs).
        RedactedCopy.objects.filter(pk=copy_id).update(progress=max(1, min(99, int(done * 100))))

    try:
        with work_dir("redaction") as work, _readable_path(copy.segment.blob_id, work) as source:
            target = Path(work) / "redacted.mp4"
            stats = redact_video(source, target, params, progress=progress)
            size = target.stat().st_size
            info = put_record_file(target)
        detector = detector_version()
    except RedactionError as e:
        return mark_failed(copy.pk, str(e))
    except Exception as e:  # shown to the requester, who may ask again
        logger.exception("redacted copy %s: production failed", copy_id)
        return mark_failed(copy.pk, f"制作失败：{e}")
    with transaction.atomic(durable=True):
        copy = RedactedCopy.objects.select_for_update().get(pk=copy.pk)
        blob = register_blob(info, copy.agency)
        copy.status = RedactedCopy.Status.REVIEW
        copy.blob = blob
        copy.detector = detector
        copy.stats = stats.as_body()
        copy.produced_at = timezone.now()
        copy.progress = 100
        copy.error = ""
        fields = ["status", "blob", "detector", "stats", "produced_at", "progress", "error"]
        copy.save(update_fields=fields)
        original = Segment.objects.values_list("blob_id", flat=True).get(pk=copy.segment_id)
        record_event(
            None,
            Action.REDACTION_PRODUCED,
            copy,
            {
                "original": original,
                "sha256": blob.sha256,
                "size": size,
                "params": copy.params,
                "detector": detector,
                "stats": copy.stats,
            },
        )
    return copy


def _params(body: dict) -> Params:
    return Params(
        **{**body, "mute": tuple(tuple(r) for r in body.get("mute", []))},
    )


@transaction.atomic(durable=True)
def mark_failed(copy_id: int, message: str) -> RedactedCopy:
    """The copy could not be produced: it fails with ``message``; a ledger event."""
    return _mark_failed(copy_id, message)


def _mark_failed(copy_id: int, message: str) -> RedactedCopy:
    require_own_transaction("access.redaction._mark_failed")
    copy = RedactedCopy.objects.select_for_update().get(pk=copy_id)
    copy.status = RedactedCopy.Status.FAILED
    copy.error = message[:2000]
    copy.save(update_fields=["status", "error"])
    record_event(None, Action.REDACTION_FAILED, copy, {"error": copy.error})
    return copy


def abandon(copy_id: int, reason: str) -> None:
    """The production job was given up after its worker died on every attempt (in the reaper's
    transaction: jobs.leases.reap)."""
    if RedactedCopy.objects.filter(pk=copy_id, status__in=OPEN_STATUSES[:2]).exists():
        _mark_failed(copy_id, f"制作中断：{reason}，已达重试上限；可重新申请")


# --- review and release -------------------------------------------------------------------------


def record_access(
    actor: User, copy: RedactedCopy, action: Action, served: str, extra: dict
) -> None:
    """A playback or download of the copy: record content, so an event of its own."""
    allowed = may_download if action == Action.REDACTION_DOWNLOADED else may_play
    if not allowed(actor, copy):
        raise PermissionDenied("无权查看该脱敏副本")
    with transaction.atomic(durable=True):
        record_event(actor, action, copy, {"sha256": copy.blob_id, "range": served, **extra})


def has_played(user: User, copy: RedactedCopy) -> bool:
    return Event.objects.filter(
        action="redaction.played",
        actor=user,
        object_type=RedactedCopy._meta.label_lower,
        object_id=str(copy.pk),
    ).exists()


def decide_redaction(
    actor: User, copy: RedactedCopy, *, approve: bool, note: str = ""
) -> RedactedCopy:
    """Step 3: the head, having played the copy, approves or refuses it; never the requester."""
    note = clean_text(note, "note", "审核意见", required=not approve)
    return approvals.decide("redaction", copy, actor, approve=approve, note=note)


def apply_decision(copy: RedactedCopy, actor: User, approve: bool, note: str) -> RedactedCopy:
    """The copy's own outcome (``approvals.decide`` calls it, in its transaction): approving
    needs the head to have played it."""
    require_own_transaction("apply_decision")  # inside approvals.decide()
    if approve and not has_played(actor, copy):
        raise _error("请先播放审查脱敏副本，再予批准", "not_played", "status")
    copy.status = RedactedCopy.Status.APPROVED if approve else RedactedCopy.Status.REFUSED
    copy.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record_event(
        actor,
        Action.REDACTION_APPROVED if approve else Action.REDACTION_REFUSED,
        copy,
        {"note": note, "sha256": copy.blob_id, "segment": copy.segment_id},
    )
    return copy


def copies_to_release(provision: Provision, items) -> list[dict]:
    """What goes out per item (in the registration's transaction): the latest approved copy of a
    redacted segment, the original otherwise. A segment with a copy asked for but none approved
    is refused: its original must not go out in its place."""
    copies = {}
    blocked = []
    for copy in provision.redacted_copies.order_by("requested_at", "pk"):
        if copy.status == RedactedCopy.Status.APPROVED:
            copies[copy.segment_id] = copy
    for copy in provision.redacted_copies.all():
        if copy.segment_id not in copies:
            blocked.append(copy)
    if blocked:
        names = "、".join(f"音像记录{c.segment_id}（{c.get_status_display()}）" for c in blocked)
        raise _error(
            f"以下音像记录申请了脱敏副本但尚未经机构负责人审核批准：{names}",
            "redaction_not_approved",
            "status",
        )
    out = []
    for item in items:
        kind, pk = ref_of(item)
        released = copies.get(pk) if kind == "segment" else None
        if released is not None:
            assert released.blob is not None  # an approved copy was produced
            sha256, sm3 = released.blob_id, released.blob.sm3
        elif getattr(item, "blob_id", None):
            sha256, sm3 = item.blob_id, item.blob.sm3
        else:  # a data record: the digests of its canonical JSON
            sha256, sm3 = getattr(item, "sha256", ""), getattr(item, "sm3", "")
        out.append(
            {
                "kind": kind,
                "id": pk,
                "sha256": sha256,
                "sm3": sm3 or None,  # issue 19: both digests (None while pending)
                "redacted_copy": released.pk if released else None,
            }
        )
    return out
