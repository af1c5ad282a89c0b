"""Association (关联): linking an AV segment to the enforcement act it records.

A segment belongs to an act when

1. the act is of the segment's district,
2. the segment's officer is among the act's officers, and
3. the segment's corrected (true) time lies within the act's window, widened on both sides by
   ``QC_ASSOCIATION_TOLERANCE_SECONDS``.

When several acts qualify, the one overlapping the segment longest wins (then the one whose start
is nearest the segment's, then the older act). A segment that matches nothing waits in the
custodian's queue (待关联) to be linked by hand.

Automatic association only ever links a segment that has no act, and leaves alone any segment a
person has linked or unlinked by hand (the ledger says which): re-running it never moves what a
person decided.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.ledger.models import Event, StagedEvent
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import agencies_visible_to

from .items import link_item
from .models import Segment

if TYPE_CHECKING:
    from quancheng.orgs.models import User


# The reason written into the ledger's segment.linked event of an automatic link; any other
# reason marks a link made by a person.
AUTO_LINK_REASON = "自动关联：设备、执法人员与时间窗口匹配"
LINK_ACTIONS = ("segment.linked", "segment.unlinked")


def tolerance() -> dt.timedelta:
    return dt.timedelta(seconds=settings.QC_ASSOCIATION_TOLERANCE_SECONDS)


def segment_window(segment: Segment) -> tuple[dt.datetime, dt.datetime] | None:
    """The segment's corrected start and end; None when it has no time."""
    if segment.started_at is None:
        return None
    return segment.started_at, segment.ended_at or segment.started_at


def overlap_seconds(start: dt.datetime, end: dt.datetime, act: Act) -> float:
    """How long the segment and the act overlap (negative: the gap between them)."""
    return (min(end, act.ended_at) - max(start, act.started_at)).total_seconds()


def matching_acts(segment: Segment) -> list[Act]:
    """Acts the segment fits (rules 1–3 above), best first."""
    window = segment_window(segment)
    if window is None or segment.officer_id is None:
        return []
    start, end = window
    slack = tolerance()
    acts = Act.objects.filter(
        agency__district=segment.agency.district,
        officers=segment.officer_id,
        started_at__lte=start + slack,
        ended_at__gte=end - slack,
    ).distinct()
    return sorted(
        acts,
        key=lambda act: (
            -overlap_seconds(start, end, act),
            abs((act.started_at - start).total_seconds()),
            act.pk,
        ),
    )


def handled_by_hand(segment_ids: Iterable[int]) -> set[int]:
    """Of these segments, those a person linked or unlinked (by the ledger's link events)."""
    ids = [str(pk) for pk in segment_ids]
    handled: set[int] = set()
    # Committed events still waiting for the integrator count too (StagedEvent, docs/ledger.md).
    events = [
        event
        for model in (Event, StagedEvent)
        for event in model.objects.filter(
            object_type=Segment._meta.label_lower, object_id__in=ids, action__in=LINK_ACTIONS
        ).only("object_id", "action", "body")
    ]
    for event in events:
        by_hand = (
            event.action == "segment.unlinked"
            or json.loads(event.body).get("reason") != AUTO_LINK_REASON
        )
        if by_hand:
            handled.add(int(event.object_id))
    return handled


def associate(actor: User, segment: Segment) -> Act | None:
    """Link the segment to its act if exactly the rules find one; the act, or None if it waits.

    A segment already linked, or one a person has linked or unlinked, is left as it is.
    """
    if segment.act_id is not None or not segment.readable:
        return None
    if segment.pk in handled_by_hand([segment.pk]):
        return None
    acts = matching_acts(segment)
    if not acts:
        return None
    link_item(actor, segment, acts[0], reason=AUTO_LINK_REASON)
    return acts[0]


@dataclass
class AssociationResult:
    linked: list[tuple[Segment, Act]] = field(default_factory=list)
    waiting: list[Segment] = field(default_factory=list)


def associate_waiting(actor: User, agency=None) -> AssociationResult:
    """Try automatic association again for every waiting segment the actor may change.

    Useful after acts were registered late: segments ingested before their act existed find it
    now. Segments a person has handled stay where they are.
    """
    result = AssociationResult()
    waiting = Segment.objects.unlinked().filter(
        agency__in=agencies_visible_to(actor), readable=True
    )
    if agency is not None:
        waiting = waiting.filter(agency=agency)
    waiting = list(waiting.select_related("agency"))
    skip = handled_by_hand(s.pk for s in waiting)
    for segment in waiting:
        if segment.pk in skip:
            result.waiting.append(segment)
            continue
        act = associate(actor, segment)
        if act is None:
            result.waiting.append(segment)
        else:
            result.linked.append((segment, act))
    return result


def queue_candidates(segment: Segment, user: User | None = None) -> list[Act]:
    """Acts offered for linking a waiting segment by hand: same district, overlapping day.

    The day is the segment's (corrected) day in Beijing time, or the day it was ingested when it
    has no time. An officer is offered only acts they took part in.
    """
    moment = segment.started_at or segment.created_at
    day = timezone.localdate(moment)
    zone = timezone.get_current_timezone()
    day_start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    day_end = day_start + dt.timedelta(days=1)
    acts = Act.objects.filter(
        Q(started_at__lt=day_end) & Q(ended_at__gte=day_start),
        agency__district=segment.agency.district,
    )
    if user is not None:
        acts = acts.visible_to(user)
        if is_officer(user):
            acts = acts.filter(officers=user)
    return list(acts.select_related("subject", "case").distinct().order_by("started_at", "pk"))


def is_officer(user: User) -> bool:
    """Officers see and link only their own segments in the queue (the table's row)."""
    return not caps.can(user, caps.RECORDS_QUEUE_ALL)
