"""What the archive and access apps hold about a batch of acts, for rules A22–A24.

:func:`load_custody` reads, for any number of acts, with at most five queries (never one per
act, segment or event; one more per further 10,000 items in one batch): the dossier of each act
(its own, or its case's), the computed retentions of the act's AV and documents that a rule
could find fault with, the long-term holds on the act or its case, the head's not-applicable
decisions (A23) of acts with a hold or a long-term marker, and the provisions of the act or its
case that were handed over, with their approvers.

Someone's refused access is not read here: it is an alert about that person (access/enforce.py),
not a finding against the act's officers.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from quancheng.access.models import Provision
from quancheng.archive.longterm import WaiverRow
from quancheng.archive.models import Dossier, Hold, ItemRetention, LongtermWaiver
from quancheng.orgs.models import Role

from .config import Config
from .timeline import Timeline

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
class ProvisionRow:
    id: int
    recipient: str
    provided_on: dt.date
    approved_by_id: int | None
    approver_label: str
    approved_by_head: bool  # the head (机构负责人) of the provision's own agency
    approved_before: bool = True  # approved on or before the day it was provided


@dataclass
class Custody:
    dossier: DossierRow | None = None
    # (item kind, item id) → its computed retention; items without a row are not computed.
    retentions: dict[tuple[str, int], RetentionRow] = field(default_factory=dict)
    holds: list[HoldRow] = field(default_factory=list)
    # The head's not-applicable decisions on the act (A23; archive LongtermWaiver).
    waivers: list[WaiverRow] = field(default_factory=list)
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


def load_custody(timelines: dict[int, Timeline], config: Config) -> dict:  # noqa: C901 - one batch query per custody source, kept together
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

    # 3. Holds on the acts or their cases (a refused one leaves its circumstance open, A23) and,
    #    for acts with a hold or a long-term marker, the head's not-applicable decisions.
    for pk, act_id, case_id, status, reason in Hold.objects.filter(in_batch).values_list(
        "pk", "act_id", "case_id", "status", "reason"
    ):
        for target in targets(act_id, case_id):
            custody[target].holds.append(HoldRow(pk, status, reason))
    flagged = [
        a
        for a, t in timelines.items()
        if custody[a].holds or _longterm(t, config.longterm_marker_kinds)
    ]
    if flagged:
        for act_id, markers, holds in LongtermWaiver.objects.filter(act_id__in=flagged).values_list(
            "act_id", "markers", "holds"
        ):
            custody[act_id].waivers.append(WaiverRow(list(markers or []), list(holds or [])))

    # 4. Provisions handed over to outside bodies (A24 ¶2), with their approvers.
    for row in (
        Provision.objects.filter(in_batch, status=Provision.Status.PROVIDED)
        .order_by("provided_on", "pk")
        .values_list(
            "pk",
            "act_id",
            "case_id",
            "agency_id",
            "recipient",
            "provided_on",
            "decided_by_id",
            "decided_by__full_name",
            "decided_by__role",
            "decided_by__agency_id",
            "decided_at",
        )
    ):
        pk, act_id, case_id, agency_id, recipient, provided_on, approver, name = row[:8]
        role, approver_agency, approved_at = row[8:]
        is_head = role == Role.HEAD and approver_agency == agency_id
        before = approved_at is not None and timezone.localdate(approved_at) <= provided_on
        for target in targets(act_id, case_id):
            custody[target].provisions.append(
                ProvisionRow(pk, recipient, provided_on, approver, name or "", is_head, before)
            )
    return custody
