"""The subject view (A20): everything about one enforcement subject, and its timeline.

A20 asks that all text and AV records of one subject be reachable together. The subject page
gathers, within the user's scope (visible_to), the subject's acts and cases and the record items
linked to the subject directly or through one of its acts or cases: AV segments, documents and
data records. Each kind costs a fixed number of queries, however many rows there are: the latest
``SHOWN`` of each kind are listed (with the total), and the timeline merges what is listed in
time order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from quancheng.access.policy import mark_allowed
from quancheng.cases.models import Act, Case
from quancheng.orgs.models import User
from quancheng.records.models import DataRecord, Document, Segment

# Rows listed per kind (the newest); the page says how many there are in all.
SHOWN = 100


@dataclass
class Listing:
    """The newest rows of one kind, and how many there are in all."""

    rows: list
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # act, case, segment, document, datarecord (CSS class and test hook)
    label: str  # 执法行为, 案件, 音像记录, 执法文书, 电子数据
    title: str
    url: str
    details: list[str] = field(default_factory=list)
    thumbnail_url: str = ""
    date_only: bool = False

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.at).date()


@dataclass
class SubjectView:
    acts: Listing
    cases: Listing
    segments: Listing
    documents: Listing
    data_records: Listing
    timeline: list[TimelineEntry]


def _listing(queryset) -> Listing:
    rows = list(queryset[: SHOWN + 1])
    if len(rows) <= SHOWN:
        return Listing(rows, len(rows))
    return Listing(rows[:SHOWN], queryset.count())


def _linked_to(subject) -> Q:
    """Items of the subject: linked to it, or to one of its acts or cases.

    As three conditions on the item's own columns, each answered by its index: an OR that
    reached into the joined act and case rows made the server read every segment (0.6 s of the
    page at a tenth of a city, growing with the city). A subject has tens of acts and cases.
    """
    acts = list(Act.objects.filter(subject=subject).values_list("pk", flat=True))
    cases = list(Case.objects.filter(subject=subject).values_list("pk", flat=True))
    return Q(subject=subject) | Q(act_id__in=acts) | Q(case_id__in=cases)


def subject_view(user: User, subject) -> SubjectView:
    acts = _listing(
        Act.objects.visible_to(user)
        .filter(subject=subject)
        .select_related("subject", "compliance")
        .prefetch_related(Prefetch("officers", queryset=User.objects.order_by("pk")))
        .order_by("-started_at", "-pk")
    )
    cases = _listing(
        Case.objects.visible_to(user)
        .filter(subject=subject)
        .select_related("subject", "compliance")
        .order_by("-filed_on", "-pk")
    )
    linked = _linked_to(subject)
    segments = _listing(
        Segment.objects.visible_to(user)
        .filter(linked)
        .select_related("officer", "device", "act")
        .annotate(at=Coalesce("started_at", "created_at"))
        .order_by(F("at").desc(), "-pk")
    )
    mark_allowed(user, segments.rows)  # thumbnails only where the policy allows (A24)
    documents = _listing(
        Document.objects.visible_to(user)
        .filter(linked)
        .select_related("act")
        .annotate(at=Coalesce("written_started_at", "created_at"))
        .order_by(F("at").desc(), "-pk")
    )
    data_records = _listing(
        DataRecord.objects.visible_to(user)
        .filter(linked)
        .select_related("kind", "act")
        .order_by("-recorded_at", "-pk")
    )
    return SubjectView(
        acts=acts,
        cases=cases,
        segments=segments,
        documents=documents,
        data_records=data_records,
        timeline=timeline(acts.rows, cases.rows, segments.rows, documents.rows, data_records.rows),
    )


def _case_moment(case: Case) -> dt.datetime:
    # A case is filed on a date (立案日期): placed at the start of that day, shown without time.
    return dt.datetime.combine(case.filed_on, dt.time.min, tzinfo=timezone.get_current_timezone())


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def timeline(acts, cases, segments, documents, data_records) -> list[TimelineEntry]:
    """All of them in time order (oldest first; ties: acts before what was recorded in them)."""
    entries: list[TimelineEntry] = []
    for act in acts:
        officers = "、".join(str(o) for o in act.officers.all())
        entries.append(
            TimelineEntry(
                act.started_at,
                "act",
                "执法行为",
                act.get_kind_display(),
                act.get_absolute_url(),
                [f"{_local(act.started_at)}–{_local(act.ended_at)} {act.place}", officers],
            )
        )
    for case in cases:
        entries.append(
            TimelineEntry(
                _case_moment(case),
                "case",
                "案件",
                f"立案 {case.number}",
                case.get_absolute_url(),
                [case.cause, f"阶段：{case.get_stage_display()}"],
                date_only=True,
            )
        )
    for s in segments:
        details = [s.officer and f"执法人员：{s.officer}", s.device and f"设备：{s.device}"]
        if not s.act_id:
            details.append("待关联执法行为")
        entries.append(
            TimelineEntry(
                s.at,
                "segment",
                "音像记录",
                str(s),
                s.get_absolute_url(),
                [d for d in details if d],
                thumbnail_url=(
                    reverse("segment_thumbnail", args=[s.pk])
                    if s.thumbnail_id and s.access_allowed
                    else ""
                ),
            )
        )
    for d in documents:
        entries.append(
            TimelineEntry(
                d.at, "document", "执法文书", str(d), d.get_absolute_url(), [d.original_filename]
            )
        )
    for r in data_records:
        entries.append(
            TimelineEntry(
                r.recorded_at, "datarecord", "电子数据", r.kind.name, r.get_absolute_url()
            )
        )
    order = {"case": 0, "act": 1, "segment": 2, "document": 3, "datarecord": 4}
    entries.sort(key=lambda e: (e.at, order[e.kind]))
    return entries
