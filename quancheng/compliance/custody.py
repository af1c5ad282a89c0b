"""What the archive and access apps hold about a batch of acts, for rules A22–A24.

:func:`load_custody` reads, for any number of acts, with five queries (never one per act,
segment or event; two more per further 10,000 items in one batch): the dossier of each act
(its own, or its case's), the computed retentions of the act's AV and documents that a rule
could find fault with, the long-term holds on the act or its case (only for acts whose
recordings are marked as kept long-term), the ``access.denied`` ledger events on the act and
its items, and the registered provisions of the act or its case with their approvers.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from quancheng.access.models import Provision
from quancheng.archive.models import Dossier, Hold, ItemRetention
from quancheng.ledger.models import Event
from quancheng.orgs.models import Role
from quancheng.records.models import Document, Segment

from .config import Config
from .timeline import Timeline

# The ledger action the access policy writes when it refuses a view, a playback or a download
# (docs/alerts.md; the same code is the alert kind).
ACCESS_DENIED = "access.denied"
SEGMENT_TYPE = Segment._meta.label_lower
DOCUMENT_TYPE = Document._meta.label_lower
ITEM_TYPES = {SEGMENT_TYPE: "segment", DOCUMENT_TYPE: "document"}
ACT_TYPE = "cases.act"
# Ids per IN list: SQLite allows 32,766 parameters in a statement (250,000 in Debian's build).
CHUNK = 10000


@dataclass(slots=True)
class DossierRow:
    id: int
    status: str
    retention_class: str
    retain_until: dt.date | None

    @property
    def frozen(self) -> bool:
        return self.status == Dossier.Status.FROZEN


@dataclass(slots=True)
class RetentionRow:
    retain_until: dt.date | None  # None: permanent
    disposed: bool
    on_hold: bool


@dataclass(slots=True)
class HoldRow:
    id: int
    status: str
    reason: str


@dataclass(slots=True)
class DeniedRow:
    seq: int
    time: dt.datetime
    actor_label: str
    object_type: str
    object_id: str


@dataclass(slots=True)
class ProvisionRow:
    id: int
    recipient: str
    provided_on: dt.date
    approved_by_id: int
    approver_label: str
    approved_by_head: bool  # the head (机构负责人) of the provision's own agency


@dataclass
class Custody:
    dossier: DossierRow | None = None
    # (item kind, item id) → its computed retention; items without a row are not computed.
    retentions: dict[tuple[str, int], RetentionRow] = field(default_factory=dict)
    holds: list[HoldRow] = field(default_factory=list)
    denied: list[DeniedRow] = field(default_factory=list)
    provisions: list[ProvisionRow] = field(default_factory=list)


def _longterm(timeline: Timeline, kinds: frozenset[str]) -> bool:
    return any(m.kind in kinds for m in timeline.markers)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def recorded_on(segment) -> dt.date | None:
    """The day a segment was recorded (its start, else when it was registered)."""
    moment = segment.started_at or segment.created_at
    return timezone.localdate(moment) if moment is not None else None


def _retention_bound(timelines: dict[int, Timeline], months: int) -> dt.date | None:
    """The latest day a segment of the batch must be kept to (one local date computed)."""
    moments = [
        moment
        for t in timelines.values()
        for s in t.segments
        if (moment := s.started_at or s.created_at) is not None
    ]
    return add_months(timezone.localdate(max(moments)), months) if moments else None


def _item_acts(timelines: dict[int, Timeline]) -> dict[tuple[str, int], int]:
    """The act of each segment and document of the batch."""
    item_act: dict[tuple[str, int], int] = {}
    for act_id, t in timelines.items():
        for s in t.segments:
            item_act["segment", s.id] = act_id
        for d in t.documents:
            item_act["document", d.id] = act_id
    return item_act


def _chunks(item_act: dict[tuple[str, int], int]) -> list[tuple[list[int], list[int]]]:
    """The batch's segment and document ids, in pieces of at most CHUNK ids each (one piece,
    also when there are none, for a batch of ordinary size)."""
    segments = [pk for kind, pk in item_act if kind == "segment"]
    documents = [pk for kind, pk in item_act if kind == "document"]
    count = max(1, -(-max(len(segments), len(documents)) // CHUNK))
    return [
        (segments[i * CHUNK : (i + 1) * CHUNK], documents[i * CHUNK : (i + 1) * CHUNK])
        for i in range(count)
    ]


def load_custody(timelines: dict[int, Timeline], config: Config) -> dict:
    """Custody of each act of the batch (act id → :class:`Custody`)."""
    custody = {act_id: Custody() for act_id in timelines}
    if not timelines:
        return custody
    ids = list(timelines)
    case_of = {act_id: t.act.case_id for act_id, t in timelines.items()}
    acts_of_case: dict[int, list[int]] = defaultdict(list)
    for act_id, case_id in case_of.items():
        if case_id is not None:
            acts_of_case[case_id].append(act_id)
    in_batch = Q(act_id__in=ids) | Q(case_id__in=list(acts_of_case))

    def targets(act_id, case_id) -> list[int]:
        """The acts of the batch a row on an act or a case concerns."""
        found = [act_id] if act_id in custody else []
        return found + [a for a in acts_of_case.get(case_id, []) if a != act_id]

    # 1. Dossiers: the act's own (an inspection without a case) or its case's.
    for pk, act_id, case_id, status, retention_class, retain_until in Dossier.objects.filter(
        in_batch
    ).values_list("pk", "act_id", "case_id", "status", "retention_class", "retain_until"):
        for target in targets(act_id, case_id):
            custody[target].dossier = DossierRow(pk, status, retention_class, retain_until)

    # 2. Retention of the acts' AV and documents: only the rows a rule can find fault with,
    #    usually none, by the (item kind, item id) index:
    #    - every row of the items of acts whose dossier is frozen (A22 ¶1: all must be computed);
    #    - rows disposed of;
    #    - AV rows ending before the latest "recorded + minimum months" of the batch (a row
    #      ending later is long enough for every segment of the batch).
    #    Ids are sent as lists (an index lookup each; a subquery would make PostgreSQL scan),
    #    in chunks that stay below SQLite's limit on parameters.
    item_act = _item_acts(timelines)
    frozen = {a for a, c in custody.items() if c.dossier is not None and c.dossier.frozen}
    bound = _retention_bound(timelines, config.av_min_retention_months)
    for segments, documents in _chunks(item_act):
        faulty = Q(disposed=True) if bound is None else Q(disposed=True) | Q(retain_until__lt=bound)
        wanted = Q(item_kind="segment", item_id__in=segments) & faulty
        wanted |= Q(item_kind="document", item_id__in=documents, disposed=True)
        for kind, pks in (("segment", segments), ("document", documents)) if frozen else ():
            wanted |= Q(
                item_kind=kind, item_id__in=[pk for pk in pks if item_act[kind, pk] in frozen]
            )
        for kind, item_id, retain_until, disposed, on_hold in ItemRetention.objects.filter(
            wanted
        ).values_list("item_kind", "item_id", "retain_until", "disposed", "on_hold"):
            custody[item_act[kind, item_id]].retentions[(kind, item_id)] = RetentionRow(
                retain_until, disposed, on_hold
            )

    # 3. Holds, only for acts whose recordings show why they must be kept long-term (A23).
    flagged = [a for a, t in timelines.items() if _longterm(t, config.longterm_marker_kinds)]
    if flagged:
        flagged_cases = [case_of[a] for a in flagged if case_of[a] is not None]
        for pk, act_id, case_id, status, reason in Hold.objects.filter(
            Q(act_id__in=flagged) | Q(case_id__in=flagged_cases)
        ).values_list("pk", "act_id", "case_id", "status", "reason"):
            for target in targets(act_id, case_id):
                custody[target].holds.append(HoldRow(pk, status, reason))

    # 4. Refused accesses to the acts and their items, by the ledger's (object type, object
    #    id) index (ids as text, in chunks as above).
    for number, (segments, documents) in enumerate(_chunks(item_act)):
        objects = Q(object_type=SEGMENT_TYPE, object_id__in=[str(pk) for pk in segments])
        objects |= Q(object_type=DOCUMENT_TYPE, object_id__in=[str(pk) for pk in documents])
        if number == 0:
            objects |= Q(object_type=ACT_TYPE, object_id__in=[str(a) for a in ids])
        for seq, time, actor_label, object_type, object_id in (
            Event.objects.filter(objects, action=ACCESS_DENIED)
            .order_by("seq")
            .values_list("seq", "time", "actor_label", "object_type", "object_id")
        ):
            if object_type == ACT_TYPE:
                act_id = int(object_id)
            else:
                act_id = item_act[ITEM_TYPES[object_type], int(object_id)]
            custody[act_id].denied.append(DeniedRow(seq, time, actor_label, object_type, object_id))
    for c in custody.values():
        c.denied.sort(key=lambda d: d.seq)

    # 5. Provisions to outside bodies (A24 ¶2), with their approvers.
    for row in (
        Provision.objects.filter(in_batch)
        .order_by("provided_on", "pk")
        .values_list(
            "pk",
            "act_id",
            "case_id",
            "agency_id",
            "recipient",
            "provided_on",
            "approved_by_id",
            "approved_by__full_name",
            "approved_by__username",
            "approved_by__role",
            "approved_by__agency_id",
        )
    ):
        pk, act_id, case_id, agency_id, recipient, provided_on, approver, name, username = row[:9]
        role, approver_agency = row[9:]
        is_head = role == Role.HEAD and approver_agency == agency_id
        for target in targets(act_id, case_id):
            custody[target].provisions.append(
                ProvisionRow(pk, recipient, provided_on, approver, name or username, is_head)
            )
    return custody
