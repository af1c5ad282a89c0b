"""What the archive holds about a batch of acts, for the rules A22 and A23 (compliance's
custody, ``compliance/custody.py``); registered as a custody loader in ArchiveConfig.ready().

Reads with at most four queries (one more per further 10,000 items in one batch): the dossiers,
the retentions a rule could find fault with, the holds, and the head's not-applicable decisions.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from quancheng.compliance.custody import (
    Batch,
    DossierRow,
    HoldRow,
    RetentionRow,
    WaiverRow,
    add_months,
)
from quancheng.compliance.timeline import Timeline

from .models import Dossier, Hold, ItemRetention, LongtermWaiver

# Ids per IN list: SQLite allows 32,766 parameters in a statement (250,000 in Debian's build).
CHUNK = 10000


def _longterm(timeline: Timeline, kinds: frozenset[str]) -> bool:
    return any(m.kind in kinds for m in timeline.markers)


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


def load_archive_custody(batch: Batch) -> None:
    """Dossiers, retentions, holds and waivers of the batch's acts, into ``batch.custody``."""
    _load_dossiers(batch)
    _load_retentions(batch)
    _load_holds(batch)


def _load_dossiers(batch: Batch) -> None:
    """1. Dossiers: the act's own (an inspection without a case) or its case's."""
    for pk, act_id, case_id, status, retention_class, retain_until in Dossier.objects.filter(
        batch.in_batch
    ).values_list("pk", "act_id", "case_id", "status", "retention_class", "retain_until"):
        frozen = status == Dossier.Status.FROZEN
        for target in batch.targets(act_id, case_id):
            batch.custody[target].dossier = DossierRow(
                pk, status, retention_class, retain_until, frozen
            )


def _load_retentions(batch: Batch) -> None:
    """2. Retention of the acts' AV and documents: only the rows a rule can find fault with,
    usually none, by the (item kind, item id) index:
    - every row of the items of acts whose dossier is frozen (A22 ¶1: all must be computed);
    - rows disposed of;
    - AV rows ending before the latest "recorded + minimum months" of the batch (a row ending
      later is long enough for every segment of the batch).
    Ids are sent as lists (an index lookup each; a subquery would make PostgreSQL scan), in
    chunks that stay below SQLite's limit on parameters."""
    custody = batch.custody
    item_act = _item_acts(batch.timelines)
    frozen = {a for a, c in custody.items() if c.dossier is not None and c.dossier.frozen}
    bound = _retention_bound(batch.timelines, batch.config.av_min_retention_months)
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


def _load_holds(batch: Batch) -> None:
    """3. Holds on the acts or their cases (a refused one leaves its circumstance open, A23)
    and, for acts with a hold or a long-term marker, the head's not-applicable decisions."""
    custody = batch.custody
    for pk, act_id, case_id, status, reason in Hold.objects.filter(batch.in_batch).values_list(
        "pk", "act_id", "case_id", "status", "reason"
    ):
        for target in batch.targets(act_id, case_id):
            custody[target].holds.append(HoldRow(pk, status, reason))
    flagged = [
        a
        for a, t in batch.timelines.items()
        if custody[a].holds or _longterm(t, batch.config.longterm_marker_kinds)
    ]
    if not flagged:
        return
    for act_id, markers, holds in LongtermWaiver.objects.filter(act_id__in=flagged).values_list(
        "act_id", "markers", "holds"
    ):
        custody[act_id].waivers.append(WaiverRow(list(markers or []), list(holds or [])))
