"""What the archive and access apps hold about a batch of acts, for rules A22–A24.

:func:`load_custody` reads, for any number of acts, with at most five queries (never one per
act, segment or event, and no list of item ids sent): the dossier of each act (its own, or its
case's), the computed retentions of the act's AV and documents that a rule could find fault
with, the long-term holds on the act or its case (only for acts whose recordings are marked as
kept long-term), the ``access.denied`` ledger events on the act and its items, and the
registered provisions of the act or its case with their approvers.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import CharField, Q
from django.db.models.functions import Cast
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


def _item_acts(timelines: dict[int, Timeline], wanted: set) -> dict[tuple[str, int], int]:
    """The act of each wanted (kind, id) item of the batch."""
    segments = {pk for kind, pk in wanted if kind == "segment"}
    documents = {pk for kind, pk in wanted if kind == "document"}
    item_act: dict[tuple[str, int], int] = {}
    for act_id, t in timelines.items():
        for s in t.segments:
            if s.id in segments:
                item_act["segment", s.id] = act_id
        for d in t.documents:
            if d.id in documents:
                item_act["document", d.id] = act_id
    return item_act


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

    # 2. Retention of the acts' AV and documents: only the rows a rule can find fault with
    #    (subqueries, so no list of ids is sent), usually none:
    #    - every row of the items of acts whose dossier is frozen (A22 ¶1: all must be computed);
    #    - rows disposed of;
    #    - AV rows ending before the latest "recorded + minimum months" of the batch (a row
    #      ending later is long enough for every segment of the batch).
    frozen = [a for a, c in custody.items() if c.dossier is not None and c.dossier.frozen]
    # The batch's items as subqueries, built once (the list of act ids is prepared once).
    batch_segments = Segment.objects.filter(act_id__in=ids)
    batch_documents = Document.objects.filter(act_id__in=ids)
    segments, documents = batch_segments.values("pk"), batch_documents.values("pk")
    wanted = Q(item_kind="segment", item_id__in=segments) & Q(disposed=True)
    wanted |= Q(item_kind="document", item_id__in=documents) & Q(disposed=True)
    bound = _retention_bound(timelines, config.av_min_retention_months)
    if bound is not None:
        wanted |= Q(item_kind="segment", item_id__in=segments, retain_until__lt=bound)
    if frozen:
        wanted |= Q(
            item_kind="segment",
            item_id__in=Segment.objects.filter(act_id__in=frozen).values("pk"),
        )
        wanted |= Q(
            item_kind="document",
            item_id__in=Document.objects.filter(act_id__in=frozen).values("pk"),
        )
    rows = list(
        ItemRetention.objects.filter(wanted).values_list(
            "item_kind", "item_id", "retain_until", "disposed", "on_hold"
        )
    )
    item_act = _item_acts(timelines, {(kind, pk) for kind, pk, *_ in rows}) if rows else {}
    for kind, item_id, retain_until, disposed, on_hold in rows:
        act_id = item_act.get((kind, item_id))
        if act_id is not None:
            custody[act_id].retentions[(kind, item_id)] = RetentionRow(
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

    # 4. Refused accesses to the acts and their items: the ledger's (object type, object id)
    #    index, with the ids as text from subqueries.
    as_text = Cast("pk", output_field=CharField())
    objects = Q(object_type=ACT_TYPE, object_id__in=[str(a) for a in ids])
    for label, items in ((SEGMENT_TYPE, batch_segments), (DOCUMENT_TYPE, batch_documents)):
        item_ids = items.annotate(text=as_text).values("text")
        objects |= Q(object_type=label, object_id__in=item_ids)
    denied = list(
        Event.objects.filter(objects, action=ACCESS_DENIED)
        .order_by("seq")
        .values_list("seq", "time", "actor_label", "object_type", "object_id")
    )
    if denied:
        wanted_items = {(ITEM_TYPES[t], int(i)) for _, _, _, t, i in denied if t != ACT_TYPE}
        item_act = {**item_act, **_item_acts(timelines, wanted_items)}
        for seq, time, actor_label, object_type, object_id in denied:
            if object_type == ACT_TYPE:
                act_id = int(object_id)
            else:
                act_id = item_act.get((ITEM_TYPES[object_type], int(object_id)))
            if act_id in custody:
                custody[act_id].denied.append(
                    DeniedRow(seq, time, actor_label, object_type, object_id)
                )

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
