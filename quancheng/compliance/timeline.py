"""The timeline of an act (时间轴): every record of the act on one time axis.

All AV segments linked to the act (every officer's body camera, fixed-site cameras), with their
corrected times (the device's clock offset already applied at ingest); the documents with the
times written in them; the data records; the markers and explanations. From them: the coverage
of the act's window (union of segments) overall and per officer, the gaps between the first
and the last recorded moment, and overlaps of one device with itself.

:func:`build_timelines` loads many acts with a fixed number of queries (one per kind of row,
never one per segment); :func:`build_timeline` is the one-act case.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from quancheng.cases.models import Act
from quancheng.documents.models import DocumentDraft
from quancheng.records.models import DataRecord, Document, Segment

from .models import Explanation, Marker

Interval = tuple[dt.datetime, dt.datetime]
# The keyword by which a data kind's schema maps its fields to document fields (A12).
DOCUMENT_FIELDS = "x-document-fields"


@dataclass(slots=True)
class SegmentRow:
    id: int
    device_id: int | None
    device_label: str
    device_kind: str
    officer_id: int | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    clock_offset_seconds: int
    readable: bool
    media_kind: str
    label_place: str
    label_party: str
    label_case_number: str
    label_cause: str
    is_evidence: bool = False
    created_at: dt.datetime | None = None
    duration_seconds: float | None = None
    time_source: str = ""  # Segment.TimeSource: "device", "manual" (手工录入) or ""
    # The picture's own clock read from the burned-in OSD (content/osd.py): the reading's
    # status ("" when never read), the clock at the first frame (device time, offset not
    # applied) and the device number shown.
    picture_status: str = ""
    picture_started_at: dt.datetime | None = None
    picture_device_number: str = ""

    @property
    def time_by_hand(self) -> bool:
        return self.time_source == Segment.TimeSource.MANUAL

    @property
    def picture_time(self) -> dt.datetime | None:
        """The picture's clock at the first frame with the device offset applied like the
        file's time (comparable with ``started_at``); None unless read."""
        if self.picture_started_at is None:
            return None
        return self.picture_started_at - dt.timedelta(seconds=self.clock_offset_seconds)

    @property
    def picture_difference(self) -> float | None:
        """Seconds the picture's clock is ahead of the file's time (negative: behind)."""
        if self.picture_time is None or self.started_at is None:
            return None
        return (self.picture_time - self.started_at).total_seconds()

    @property
    def timed(self) -> bool:
        return self.started_at is not None and self.ended_at is not None

    @property
    def lane(self) -> str:
        """Which bar row it is drawn in: its device, else its officer."""
        if self.device_id is not None:
            return f"device:{self.device_id}"
        if self.officer_id is not None:
            return f"officer:{self.officer_id}"
        return "unknown"


@dataclass(slots=True)
class DocumentRow:
    id: int
    doc_type: str
    number: str
    written_started_at: dt.datetime | None
    written_ended_at: dt.datetime | None
    # What was written in it, when it was made on the platform (its draft's fields).
    fields: dict = field(default_factory=dict)
    # Made on the platform (it has a draft): its fields are known. An uploaded scan or a
    # terminal's PDF is known only by what was entered with it (type, number, written times).
    made_on_platform: bool = False


@dataclass(slots=True)
class DataRow:
    id: int
    kind: str
    recorded_at: dt.datetime
    created_at: dt.datetime | None = None  # its arrival on the platform
    subject_id: int | None = None
    data: dict = field(default_factory=dict)
    # data field → document field, declared by the data kind ("x-document-fields", A12)
    document_fields: dict = field(default_factory=dict)


@dataclass(slots=True)
class MarkerRow:
    id: int
    segment_id: int
    kind: str
    offset_seconds: float
    at: dt.datetime | None  # absolute time: segment start + offset


@dataclass(slots=True)
class ExplanationRow:
    id: int
    kind: str
    reason: str
    review: str
    gap_started_at: dt.datetime | None
    gap_ended_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(slots=True)
class OfficerRow:
    id: int
    name: str
    certificate_number: str
    certificate_valid_from: dt.date | None
    certificate_valid_until: dt.date | None


@dataclass
class Timeline:
    act: Act
    officers: list[OfficerRow] = field(default_factory=list)
    segments: list[SegmentRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)
    data_records: list[DataRow] = field(default_factory=list)
    markers: list[MarkerRow] = field(default_factory=list)
    explanations: list[ExplanationRow] = field(default_factory=list)

    # --- derived ---------------------------------------------------------------------------

    @property
    def window(self) -> Interval:
        return self.act.started_at, self.act.ended_at

    @property
    def timed_segments(self) -> list[SegmentRow]:
        return [s for s in self.segments if s.timed]

    @property
    def timed_spans(self) -> list[tuple[SegmentRow, Interval]]:
        """The timed segments, each with its (start, end)."""
        return [
            (s, (s.started_at, s.ended_at))
            for s in self.segments
            if s.started_at is not None and s.ended_at is not None
        ]

    @property
    def covered(self) -> list[Interval]:
        """The union of the segments' intervals, sorted and merged."""
        return union(span for _, span in self.timed_spans)

    @property
    def recorded_span(self) -> Interval | None:
        """From the first recorded moment to the last one."""
        covered = self.covered
        if not covered:
            return None
        return covered[0][0], covered[-1][1]

    def spans_by_camera(self) -> dict[str, tuple[str, Interval]]:
        """Each camera's (lane's) label and its first-to-last recorded moment, plus the officers'
        cameras together: a document is compared with the cameras that filmed it, never with
        the union that includes a fixed camera running longer (A15.4)."""
        rows: dict[str, list[tuple[SegmentRow, Interval]]] = defaultdict(list)
        for s, span in self.timed_spans:
            rows[s.lane].append((s, span))
            if s.device_kind != "fixed_camera":
                rows["officers"].append((s, span))
        if len(rows) == 2 and "officers" in rows:
            del rows["officers"]  # one camera only: the same span twice
        return {
            lane: (
                "执法人员的执法记录仪"
                if lane == "officers"
                else lane_rows[0][0].device_label or lane,
                (
                    min(span[0] for _, span in lane_rows),
                    max(span[1] for _, span in lane_rows),
                ),
            )
            for lane, lane_rows in rows.items()
        }

    def gaps(self, minimum_seconds: float = 0) -> list[Interval]:
        """Interruptions: uncovered stretches between the first and the last recorded moment."""
        covered = self.covered
        return [
            (a_end, b_start)
            for (_, a_end), (b_start, _) in itertools.pairwise(covered)
            if (b_start - a_end).total_seconds() > minimum_seconds
        ]

    def coverage_seconds(self, segments: Iterable[SegmentRow] | None = None) -> float:
        """Seconds of the act's window covered by the union of the segments."""
        start, end = self.window
        rows = self.segments if segments is None else segments
        spans = [
            (s.started_at, s.ended_at)
            for s in rows
            if s.started_at is not None and s.ended_at is not None
        ]
        return sum(
            (
                (min(b, end) - max(a, start)).total_seconds()
                for a, b in union(spans)
                if min(b, end) > max(a, start)
            ),
            0.0,
        )

    @property
    def window_seconds(self) -> float:
        start, end = self.window
        return max((end - start).total_seconds(), 0.0)

    def coverage_ratio(self, segments: Iterable[SegmentRow] | None = None) -> float:
        if self.window_seconds == 0:
            return 1.0 if self.segments else 0.0
        return self.coverage_seconds(segments) / self.window_seconds

    def coverage_by_officer(self) -> dict[int | None, float]:
        """The share of the window each officer's segments cover (None: no officer known)."""
        by_officer: dict[int | None, list[SegmentRow]] = defaultdict(list)
        for s in self.segments:
            by_officer[s.officer_id].append(s)
        return {officer: self.coverage_ratio(rows) for officer, rows in by_officer.items()}

    def overlaps(self) -> list[tuple[SegmentRow, SegmentRow]]:
        """Pairs of segments of one device whose times overlap: one camera cannot record twice
        at once, so either the times or the files are wrong (A27: 弄虚作假, 剪接)."""
        by_device: dict[int, list[tuple[SegmentRow, Interval]]] = defaultdict(list)
        for s, span in self.timed_spans:
            if s.device_id is not None:
                by_device[s.device_id].append((s, span))
        pairs = []
        for rows in by_device.values():
            rows.sort(key=lambda row: (row[1][0], row[0].id))
            for (a, a_span), (b, b_span) in itertools.pairwise(rows):
                if b_span[0] < a_span[1]:
                    pairs.append((a, b))
        return pairs

    def markers_of(self, kind: str) -> list[MarkerRow]:
        return [m for m in self.markers if m.kind == kind]

    def documents_of(self, types: Iterable[str]) -> list[DocumentRow]:
        wanted = set(types)
        return [d for d in self.documents if d.doc_type in wanted]

    def segment(self, pk: int) -> SegmentRow | None:
        return next((s for s in self.segments if s.id == pk), None)


def union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(intervals):
        if end < start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _load_document_fields(timelines: dict[int, Timeline]) -> None:
    """The fields written in documents made on the platform (one query)."""

    rows = {d.id: d for t in timelines.values() for d in t.documents}
    if not rows:
        return
    for document_id, data in DocumentDraft.objects.filter(document_id__in=list(rows)).values_list(
        "document_id", "data"
    ):
        rows[document_id].fields = data if isinstance(data, dict) else {}
        rows[document_id].made_on_platform = True


def build_timeline(act: Act) -> Timeline:
    return build_timelines([act])[act.pk]


def build_timelines(acts: Sequence[Act]) -> dict[int, Timeline]:
    """Timelines of many acts in seven queries, whatever the number of acts or segments."""
    timelines = {act.pk: Timeline(act=act) for act in acts}
    ids = list(timelines)
    if not ids:
        return timelines

    # 1. Officers (through table joined to users: one query).
    through = Act.officers.through
    for row in (
        through.objects.filter(act_id__in=ids)
        .order_by("user_id")
        .values_list(
            "act_id",
            "user_id",
            "user__full_name",
            "user__certificate_number",
            "user__certificate_valid_from",
            "user__certificate_valid_until",
        )
    ):
        act_id, user_id, name, certificate_number, valid_from, valid_until = row
        timelines[act_id].officers.append(
            OfficerRow(user_id, name, certificate_number or "", valid_from, valid_until)
        )

    # 2. Segments, with their devices.
    segment_start: dict[int, dt.datetime | None] = {}
    for values in (
        Segment.objects.filter(act_id__in=ids)
        .order_by("started_at", "pk")
        .values_list(
            "act_id",
            "pk",
            "device_id",
            "device__serial_number",
            "device__kind",
            "officer_id",
            "started_at",
            "ended_at",
            "clock_offset_seconds",
            "readable",
            "media_kind",
            "label_place",
            "label_party",
            "label_case_number",
            "label_cause",
            "is_evidence",
            "created_at",
            "duration_seconds",
            "time_source",
            "osd_reading__status",
            "osd_reading__picture_started_at",
            "osd_reading__device_number",
        )
    ):
        (
            act_id,
            pk,
            device_id,
            serial,
            device_kind,
            officer_id,
            started_at,
            ended_at,
            clock_offset_seconds,
            readable,
            media_kind,
            label_place,
            label_party,
            label_case_number,
            label_cause,
            is_evidence,
            created_at,
            duration_seconds,
            time_source,
            picture_status,
            picture_started_at,
            picture_device,
        ) = values
        timelines[act_id].segments.append(
            SegmentRow(
                pk,
                device_id,
                serial or "",
                device_kind or "",
                officer_id,
                started_at,
                ended_at,
                clock_offset_seconds,
                readable,
                media_kind,
                label_place,
                label_party,
                label_case_number,
                label_cause,
                is_evidence,
                created_at,
                duration_seconds,
                time_source,
                picture_status=picture_status or "",
                picture_started_at=picture_started_at,
                picture_device_number=picture_device or "",
            )
        )
        segment_start[pk] = started_at

    # 3. Documents with their written times.
    for act_id, pk, doc_type, number, written_started_at, written_ended_at in (
        Document.objects.filter(act_id__in=ids)
        .order_by("written_started_at", "pk")
        .values_list("act_id", "pk", "doc_type", "number", "written_started_at", "written_ended_at")
    ):
        timelines[act_id].documents.append(
            DocumentRow(pk, doc_type, number, written_started_at, written_ended_at)
        )
    _load_document_fields(timelines)

    # 4. Data records.
    for act_id, pk, kind, recorded_at, created_at, subject_id, data, schema in (
        DataRecord.objects.filter(act_id__in=ids)
        .order_by("recorded_at", "pk")
        .values_list(
            "act_id",
            "pk",
            "kind__code",
            "recorded_at",
            "created_at",
            "subject_id",
            "data",
            "kind__schema",
        )
    ):
        mapping = (schema or {}).get(DOCUMENT_FIELDS, {}) if isinstance(schema, dict) else {}
        timelines[act_id].data_records.append(
            DataRow(pk, kind, recorded_at, created_at, subject_id, data, document_fields=mapping)
        )

    # 5. Markers still in force, on the segments of these acts.
    for act_id, pk, segment_id, kind, offset in (
        Marker.objects.current()
        .filter(segment__act_id__in=ids)
        .order_by("segment_id", "offset_seconds", "pk")
        .values_list("segment__act_id", "pk", "segment_id", "kind", "offset_seconds")
    ):
        start = segment_start.get(segment_id)
        at = start + dt.timedelta(seconds=offset) if start is not None else None
        timelines[act_id].markers.append(MarkerRow(pk, segment_id, kind, offset, at))

    # 6. Explanations.
    for act_id, pk, kind, reason, review, gap_started_at, gap_ended_at, created_at in (
        Explanation.objects.filter(act_id__in=ids)
        .order_by("requested_at", "pk")
        .values_list(
            "act_id",
            "pk",
            "kind",
            "reason",
            "review",
            "gap_started_at",
            "gap_ended_at",
            "requested_at",
        )
    ):
        timelines[act_id].explanations.append(
            ExplanationRow(pk, kind, reason, review, gap_started_at, gap_ended_at, created_at)
        )
    return timelines
