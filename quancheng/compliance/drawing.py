"""The act's timeline as a server-rendered SVG (no script: the page's CSP is 'self' only).

Geometry only: this module turns a :class:`~quancheng.compliance.timeline.Timeline` into rows,
bars and marks with coordinates; ``compliance/_timeline.svg`` draws them. Each bar is cut into
slices, each a link to the segment's page playing from the slice's moment (``?t=seconds``), so
that a click on a bar plays the recording from about where it was clicked.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .models import Marker
from .timeline import Timeline

WIDTH = 960
LABEL = 170  # left column with the row names
ROW = 30
TOP = 28  # the time axis
MAX_SLICES = 60


@dataclass
class Row:
    y: float
    label: str
    bars: list[dict] = field(default_factory=list)
    marks: list[dict] = field(default_factory=list)


@dataclass
class Drawing:
    width: int
    height: int
    label_width: int
    rows: list[Row]
    ticks: list[dict]
    gaps: list[dict]
    window: dict
    empty: bool


def _n(value: float) -> str:
    """A coordinate as the SVG's text. Numbers handed to the template would each go through
    Django's localisation (number_format), which cost a third of a long act's page."""
    return f"{value:.1f}".removesuffix(".0")


def _fmt(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M:%S}"


def _bar_title(s) -> str:
    parts = [f"音像记录第{s.id}号", s.device_label, f"{_fmt(s.started_at)}–{_fmt(s.ended_at)}"]
    if s.duration_seconds:
        parts.append(f"时长{round(s.duration_seconds)}秒")
    if s.time_by_hand:
        parts.append("（时间为手工录入）")
    if s.picture_time is not None:
        parts.append(f"画面时间{_fmt(s.picture_time)}")
    elif s.picture_status == "unreadable":
        parts.append("画面时间不可读")
    return " ".join(p for p in parts if p)


def draw(timeline: Timeline, gap_seconds: float, officer_names: dict[int, str]) -> Drawing:  # noqa: C901 - one branch per mark of the timeline drawing
    act = timeline.act
    moments = [act.started_at, act.ended_at]
    for _, (start, end) in timeline.timed_spans:
        moments += [start, end]
    for d in timeline.documents:
        moments += [m for m in (d.written_started_at, d.written_ended_at) if m is not None]
    t0, t1 = min(moments), max(moments)
    span = max((t1 - t0).total_seconds(), 60.0)
    # A little air on both sides.
    t0 -= dt.timedelta(seconds=span * 0.02)
    span *= 1.04
    scale = (WIDTH - LABEL - 10) / span

    def x(moment: dt.datetime) -> float:
        return round(LABEL + (moment - t0).total_seconds() * scale, 1)

    rows: list[Row] = []
    lanes: dict[str, Row] = {}
    for s, (start, end) in timeline.timed_spans:
        if s.lane not in lanes:
            who = officer_names.get(s.officer_id, "") if s.officer_id else ""
            label = " ".join(p for p in (s.device_label, who) if p) or "未知设备"
            lanes[s.lane] = Row(y=TOP + len(lanes) * ROW, label=label)
            rows.append(lanes[s.lane])
        row = lanes[s.lane]
        seconds = (end - start).total_seconds()
        count = max(1, min(MAX_SLICES, math.ceil(seconds / 30)))
        row.bars.append(
            {
                "id": s.id,
                "x": _n(x(start)),
                "width": _n(max(round(x(end) - x(start), 1), 1)),
                "slices": _slices(s, seconds, count, row.y + 6, x),
                "title": _bar_title(s),
                "unreadable": not s.readable,
            }
        )
    labels = dict(Marker.Kind.choices)
    by_segment = {s.id: s for s in timeline.timed_segments}
    for m in timeline.markers:
        segment = by_segment.get(m.segment_id)
        if segment is None or m.at is None:
            continue
        lanes[segment.lane].marks.append(
            {"x": _n(x(m.at)), "title": f"{labels.get(m.kind, m.kind)} {_fmt(m.at)}"}
        )
    doc_row = Row(y=TOP + len(rows) * ROW, label="文书记载时间")
    for d in timeline.documents:
        for moment, which in ((d.written_started_at, "开始"), (d.written_ended_at, "结束")):
            if moment is not None:
                doc_row.marks.append(
                    {"x": _n(x(moment)), "title": f"《{d.doc_type}》记载{which} {_fmt(moment)}"}
                )
    rows.append(doc_row)
    height = TOP + len(rows) * ROW + 8
    gaps = [
        {
            "x": _n(x(a)),
            "width": _n(max(round(x(b) - x(a), 1), 1)),
            "title": f"中断 {_fmt(a)}–{_fmt(b)}",
        }
        for a, b in timeline.gaps(gap_seconds)
    ]
    step = _tick_step(span)
    first = t0.replace(second=0, microsecond=0)
    ticks = []
    moment = first
    while moment <= t0 + dt.timedelta(seconds=span):
        if moment >= t0:
            ticks.append({"x": _n(x(moment)), "label": f"{timezone.localtime(moment):%H:%M}"})
        moment += dt.timedelta(seconds=step)
    return Drawing(
        width=WIDTH,
        height=height,
        label_width=LABEL,
        rows=rows,
        ticks=ticks,
        gaps=gaps,
        window={
            "x": _n(x(act.started_at)),
            "width": _n(max(round(x(act.ended_at) - x(act.started_at), 1), 1)),
            "title": f"执法行为 {_fmt(act.started_at)}–{_fmt(act.ended_at)}",
        },
        empty=not timeline.timed_segments,
    )


def _slices(segment, seconds: float, count: int, y: float, x) -> SafeString:
    """The bar's slices as SVG markup, each a link playing the segment from its moment.

    Made here rather than by a template loop: a long act has hundreds of slices, and rendering
    them through the template engine (about 600 variable lookups and escapes per segment hour)
    was most of the act page's time.
    """
    url = html.escape(reverse("segment_detail", args=[segment.id]))
    local_start = timezone.localtime(segment.started_at)
    parts = []
    for i in range(count):
        offset = seconds * i / count
        start = segment.started_at + dt.timedelta(seconds=offset)
        end = segment.started_at + dt.timedelta(seconds=seconds * (i + 1) / count)
        moment = local_start + dt.timedelta(seconds=offset)
        parts.append(
            f'<a href="{url}?t={int(offset)}"><rect x="{_n(x(start))}" y="{_n(y)}" '
            f'width="{_n(max(round(x(end) - x(start), 1), 0.5))}" height="18">'
            f"<title>音像记录第{int(segment.id)}号 {moment:%H:%M:%S} 起播放</title></rect></a>"
        )
    # Safe: the URL is escaped; everything else is numbers and fixed text.
    return mark_safe("".join(parts))  # noqa: S308


def _tick_step(span_seconds: float) -> int:
    for step in (60, 300, 600, 900, 1800, 3600, 7200, 21600, 86400):
        if span_seconds / step <= 12:
            return step
    return 86400 * 7
