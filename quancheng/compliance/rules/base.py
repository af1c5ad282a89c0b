"""What every rule is made of, and the context a rule reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.compliance.config import Config
from quancheng.compliance.custody import Custody
from quancheng.compliance.timeline import ExplanationRow, Interval, Timeline
from quancheng.registration.deadlines import deadline_for_end

ERROR = "error"
WARNING = "warning"

# How far a rule can be checked with the data the platform holds today.
FULL = "full"
PARTIAL = "partial"
NOT_YET = "not_yet"
CHECKABLE_LABELS = {FULL: "完全可查", PARTIAL: "部分可查", NOT_YET: "待建"}


@dataclass
class Registration:
    registered_at: dt.datetime
    on_time: bool
    deadline: dt.date
    late_request_id: int | None
    # The head's approval of the late registration (A21 ¶1: 事先批准延期移交).
    approved_at: dt.datetime | None = None
    approved_until: dt.date | None = None


@dataclass
class Context:
    """What a rule sees of one act."""

    timeline: Timeline
    config: Config
    now: dt.datetime
    registration: Registration | None = None
    # The A21 deadline (quancheng.registration.deadlines.Deadline); None while the act runs.
    deadline: Any = None
    # What the archive and access apps hold about the act (A22–A24).
    custody: Custody = field(default_factory=Custody)
    # The loaded holiday schedules (year → YearSchedule), read once per batch.
    schedules: dict = field(default_factory=dict)

    def registration_due_by(self) -> dt.datetime:
        """The A21 deadline counted from the act's end (whether registered or not)."""

        return deadline_for_end(timezone.localdate(self.act.ended_at), self.schedules).due_by

    @property
    def act(self):
        return self.timeline.act

    @property
    def has_av(self) -> bool:
        return bool(self.timeline.segments)

    def accepted_exemptions(self) -> list[ExplanationRow]:
        """A13 work records the agency head accepted (they allow AV to stop)."""
        return [
            e
            for e in self.timeline.explanations
            if e.kind == "a13_work_record" and e.review == "accepted"
        ]

    def exempt(self, interval: Interval | None = None) -> bool:
        """An accepted A13 work record covers the whole act, or the given stretch."""
        for e in self.accepted_exemptions():
            if e.gap_started_at is None or e.gap_ended_at is None:
                return True
            if (
                interval is not None
                and e.gap_started_at < interval[1]
                and interval[0] < e.gap_ended_at
            ):
                return True
        return False


@dataclass
class Hit:
    """One thing a rule found; ``key`` tells several hits of one rule on one act apart."""

    key: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    missing_record: bool = False
    severity: str | None = None  # None: the rule's own


@dataclass(frozen=True)
class Rule:
    id: str
    articles: tuple[str, ...]  # article numbers for traceability, e.g. ("A15",)
    reference: str  # as cited in messages, e.g. 第十五条第（二）项
    severity: str
    message: str  # Chinese template over a hit's params
    check: Callable[[Context], Iterable[Hit]]
    title: str
    checkable: str = FULL
    note: str = ""  # what cannot be checked yet, and why

    @property
    def checkable_label(self) -> str:
        return CHECKABLE_LABELS[self.checkable]

    def render(self, hit: Hit) -> str:
        text = f"{self.message.format(**hit.params)}（{self.reference}）"
        by_hand = hit.evidence.get(MANUAL_TIME_KEY)
        if by_hand:
            named = "、".join(f"第{pk}号" for pk in by_hand)
            text += f"（{named}音像记录的时间为手工录入）"
        return text


# The evidence key naming the hit's segments whose time a person entered (records/timing.py):
# the finding says so, since a time written down is weaker than the device's record.
MANUAL_TIME_KEY = "manual_time_segments"


def note_manual_times(hit: Hit, timeline: Timeline) -> Hit:
    """Name, in the hit's evidence, the segments it cites whose time was entered by hand."""
    by_hand = {s.id for s in timeline.segments if s.time_by_hand}
    cited = [pk for pk in hit.evidence.get("segments", []) if pk in by_hand]
    if cited:
        hit.evidence[MANUAL_TIME_KEY] = cited
    return hit


def local(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


def hms(seconds: float) -> str:
    seconds = round(seconds)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}小时{minutes}分{secs}秒"
    if minutes:
        return f"{minutes}分{secs}秒"
    return f"{secs}秒"


def marker_labels(kinds: Iterable[str]) -> str:
    from quancheng.compliance.models import Marker

    return "、".join(str(Marker.Kind(k).label) for k in kinds)


def missing_markers(ctx: Context, kinds: Iterable[str]) -> list[str]:
    present = {m.kind for m in ctx.timeline.markers}
    return [k for k in kinds if k not in present]


def kind_label(kind: str) -> str:

    return str(Act.Kind(kind).label)


def missing_document_groups(ctx: Context) -> list[list[str]]:
    present = {d.doc_type for d in ctx.timeline.documents}
    return [
        group
        for group in ctx.config.required_documents(ctx.act.kind)
        if not present.intersection(group)
    ]


def doc_names(types: Iterable[str]) -> str:
    return "或".join(f"《{t}》" for t in types)


# What officers must show and do on camera before a party (A16.3, A17.3).
PARTY_MARKERS = ["identity_stated", "certificate_shown", "rights_told", "party_signing"]


def document_and_party_hits(ctx: Context, *, party: bool):
    """Hits for the act kind's missing documents and, when ``party`` and there is AV, for the
    party-facing moments nobody marked (A16, A17 share this)."""
    for index, group in enumerate(missing_document_groups(ctx)):
        yield Hit(
            key=f"docs:{index}",
            params={"missing": f"缺少执法文书{doc_names(group)}"},
            missing_record=True,
        )
    if party and ctx.has_av:
        missing = missing_markers(ctx, PARTY_MARKERS)
        if missing:
            yield Hit(
                key="markers",
                params={"missing": f"音像记录中未标记：{marker_labels(missing)}"},
                evidence={"segments": [s.id for s in ctx.timeline.segments], "missing": missing},
            )
