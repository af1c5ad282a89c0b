"""The act page's synchronised player (多机位同步播放): every segment of the act on one wall-clock
axis, one lane per camera, the axis as the scrubber.

What the page script (web/static/web/act_player.js) gets, as JSON: the axis (the act's period
widened to its recordings), per lane (a device, else the recording officer, else the segment
alone) its segments with their wall-clock start and end and their media URL (the browser proxy
when there is one, served with HTTP Range by ``segment_media``, which checks and logs each
playback under A24), and the document times and current markers to draw on the axis. A segment
the user may not play is drawn but has no URL; its markers are left out (markers describe
content). A segment without a recorded start time cannot be placed and is listed apart.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from quancheng.compliance.models import Marker


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _end(segment) -> dt.datetime | None:
    if segment.ended_at:
        return segment.ended_at
    if segment.started_at and segment.duration_seconds:
        return segment.started_at + dt.timedelta(seconds=segment.duration_seconds)
    return None


def _lane_of(segment) -> tuple[str, str]:
    if segment.device_id:
        device = segment.device
        return f"device-{device.pk}", f"{device.name}（{device}）" if device.name else str(device)
    if segment.officer_id:
        return f"officer-{segment.officer_id}", f"{segment.officer} 的记录"
    return f"segment-{segment.pk}", str(segment)


def player_data(act, record_items: dict) -> dict | None:
    """The player's data for the act page, or None when no recording can be placed."""
    placed, unplaced = [], []
    for segment in record_items["segments"]:
        end = _end(segment)
        if segment.started_at and end and end > segment.started_at and segment.readable:
            placed.append((segment, end))
        else:
            unplaced.append(str(segment))
    if not placed:
        return None
    start = min([act.started_at, *(s.started_at for s, _ in placed)])
    finish = max([act.ended_at or act.started_at, *(end for _, end in placed)])
    lanes: dict[str, dict] = {}
    for segment, end in sorted(placed, key=lambda p: (p[0].started_at, p[0].pk)):
        key, label = _lane_of(segment)
        lane = lanes.setdefault(key, {"key": key, "label": label, "segments": []})
        allowed = bool(getattr(segment, "access_allowed", False))
        lane["segments"].append(
            {
                "id": segment.pk,
                "label": str(segment),
                "start": _ms(segment.started_at),
                "end": _ms(end),
                "src": reverse("segment_media", args=[segment.pk]) if allowed else None,
                "allowed": allowed,
            }
        )
    return {
        "start": _ms(start),
        "end": _ms(finish),
        "lanes": list(lanes.values()),
        "documents": _documents(record_items["documents"]),
        "markers": _markers([s for s, _ in placed if getattr(s, "access_allowed", False)]),
        "unplaced": unplaced,
        "timezone": timezone.get_current_timezone_name(),
    }


def _documents(documents) -> list[dict]:
    """A document's written start and end (A15.4: they must equal the AV's) as axis ticks."""
    ticks = []
    for d in documents:
        for moment, what in ((d.written_started_at, "开始"), (d.written_ended_at, "结束")):
            if moment:
                ticks.append({"at": _ms(moment), "label": f"{d}（文书记载{what}）"})
    return ticks


def _markers(segments) -> list[dict]:
    starts = {s.pk: s.started_at for s in segments}
    markers = Marker.objects.current().filter(segment_id__in=starts)
    return [
        {
            "at": _ms(starts[m.segment_id] + dt.timedelta(seconds=m.offset_seconds)),
            "label": m.get_kind_display(),
            "segment": m.segment_id,
        }
        for m in markers
    ]
