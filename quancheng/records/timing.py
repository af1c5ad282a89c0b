"""A segment's time entered by hand (手工录入拍摄时间) when its file carries none.

Every rule of 渝卫发〔2019〕70号 that reads AV reads its time: A15.2 (recording from arrival), A15.4
(document times equal the AV's), A18 (AV includes 执法时间), A21 ¶2 (labelled with the time).
A file whose container and name carry no usable time (a phone's clip with its clock unset, a
recorder that writes none) would fail all of them for ever. The officer who recorded it, or the
records custodian (记录管理专人, A19), then enters its start time and device with a reason. The
end follows from the probed duration, never typed. The entry is a ledger event, the reason is
kept on the segment, and every place that shows the segment's time says "时间为手工录入", so a
reviewer can weigh it: a time a person wrote down is not the device's record.

A time the device recorded is never overwritten by hand: a wrong device clock is corrected by
the device's clock offset (docs/ingest.md), which keeps both times.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Device
from quancheng.orgs.scoping import agencies_visible_to

from .models import Segment
from .probe import EARLIEST_PLAUSIBLE
from .signals import act_records_changed

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MAX_REASON = 1000
# A start in the future beyond this is a typing error (clocks of the entering computer differ
# by seconds, not minutes).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def needs_time(segment: Segment) -> bool:
    """Whether a time may be entered: the file carries none (or a person entered one before)."""
    return segment.started_at is None or segment.time_by_hand


def enter_segment_time(
    actor: User,
    segment: Segment,
    *,
    started_at: dt.datetime | None,
    device: Device | None,
    reason: str,
) -> Segment:
    """Set a segment's start (true time) and device by hand, with the reason; a ledger event."""
    caps.require(actor, caps.SEGMENT_ENTER_TIME, segment)
    started_at, device, reason = _check_input(segment, started_at, device, reason)
    with transaction.atomic(durable=True):
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        if not needs_time(segment):  # probed in the meantime
            raise _error("started_at", "该文件已记载拍摄时间，不能手工修改", "time_from_file")
        assert segment.duration_seconds  # checked by _check_input; a probe ends needs_time
        before = _times(segment)
        segment.started_at = started_at
        segment.ended_at = started_at + dt.timedelta(seconds=segment.duration_seconds)
        segment.device_started_at = None  # the device recorded nothing
        segment.clock_offset_seconds = 0
        segment.device = device
        if segment.officer_id is None:
            segment.officer = device.officer_on(timezone.localdate(started_at))
        segment.time_source = Segment.TimeSource.MANUAL
        segment.time_entry_reason = reason
        segment.save(
            update_fields=[
                "started_at",
                "ended_at",
                "device_started_at",
                "clock_offset_seconds",
                "device",
                "officer",
                "time_source",
                "time_entry_reason",
            ]
        )
        record_event(
            actor,
            Action.SEGMENT_TIME_ENTERED,
            segment,
            {"before": before, "after": _times(segment), "reason": reason},
        )
        act_records_changed.send(Segment, acts=(segment.act_id,))  # the rules read the time
    return segment


def _check_input(
    segment: Segment, started_at: dt.datetime | None, device: Device | None, reason: str
) -> tuple[dt.datetime, Device, str]:
    """Everything is refused before anything is written; the start, device and reason, cleaned."""
    if not needs_time(segment):
        raise _error("started_at", "该文件已记载拍摄时间，不能手工修改", "time_from_file")
    if not segment.readable or not segment.duration_seconds:
        raise _error(
            "started_at",
            "该文件无法解析或时长不明，无法据开始时间确定结束时间，不能录入时间",
            "duration_unknown",
        )
    reason = (reason or "").strip()
    if not reason:
        raise _error("reason", "请填写手工录入时间的原因（例如：设备未设置时钟）", "required")
    if len(reason) > MAX_REASON:
        raise _error("reason", f"原因不能超过{MAX_REASON}个字", "too_long")
    if started_at is None:
        raise _error("started_at", "请填写开始时间", "required")
    if timezone.is_naive(started_at):
        raise _error("started_at", "开始时间须带时区", "naive_datetime")
    if started_at < EARLIEST_PLAUSIBLE:
        raise _error("started_at", "开始时间不合理（早于2001年）", "implausible")
    if started_at > timezone.now() + FUTURE_TOLERANCE:
        raise _error("started_at", "开始时间不能晚于现在", "time_in_future")
    if device is None:
        raise _error("device", "请选择拍摄设备", "required")
    if device.agency.district != segment.agency.district:
        raise _error("device", "设备不存在或不属于本辖区", "not_found")
    return started_at, device, reason


def devices_for(user: User, segment: Segment):
    """The devices a person may name for the segment (its district's, in the person's scope)."""
    return (
        Device.objects.filter(agency__in=agencies_visible_to(user))
        .filter(agency__district=segment.agency.district)
        .order_by("serial_number")
    )


def _times(segment: Segment) -> dict:
    def iso(moment):
        return moment.isoformat() if moment else None

    return {
        "started_at": iso(segment.started_at),
        "ended_at": iso(segment.ended_at),
        "device": segment.device.serial_number if segment.device else None,
        "officer": segment.officer_id,
        "time_source": segment.time_source,
    }
