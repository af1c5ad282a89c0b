"""What the archive and access apps hold about a batch of acts, for rules A22–A24.

Those apps sit above this one, so they fill it in: each registers a loader at ready()
(:func:`register_loader`; docs/architecture.md, "Hooks between layers"), and
:func:`load_custody` runs them on a batch of acts. Together they read, for any number of acts,
with at most five queries (never one per act, segment or event; one more per further 10,000
items in one batch):

- archive (``archive/custody.py``): the dossier of each act (its own, or its case's), the
  computed retentions of the act's AV and documents that a rule could find fault with, the
  long-term holds on the act or its case, and the head's not-applicable decisions (A23) of acts
  with a hold or a long-term marker;
- access (``access/custody.py``): the provisions of the act or its case that were handed over,
  with their approvers.

The rows below are what the rules read; the loaders build them.

Someone's refused access is not read here: it is an alert about that person (access/enforce.py),
not a finding against the act's officers.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from .config import Config
from .timeline import Timeline


@dataclass(slots=True)
class DossierRow:
    id: int
    status: str
    retention_class: str
    retain_until: dt.date | None
    frozen: bool  # 归档: its contents and retention are fixed (A22 ¶1)


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
class WaiverRow:
    """The head's decision that A23 does not apply: the markers and refused holds it answers."""

    markers: list[int] = field(default_factory=list)
    holds: list[int] = field(default_factory=list)


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


@dataclass
class Batch:
    """The acts being evaluated, as a loader sees them: it fills ``custody[act_id]``."""

    timelines: dict[int, Timeline]
    config: Config
    custody: dict[int, Custody]
    acts_of_case: dict[int, list[int]]

    @property
    def in_batch(self) -> Q:
        """Rows on an act of the batch or on one of their cases."""
        return Q(act_id__in=list(self.timelines)) | Q(case_id__in=list(self.acts_of_case))

    def targets(self, act_id: int | None, case_id: int | None) -> list[int]:
        """The acts of the batch a row on an act or a case concerns."""
        found = [act_id] if act_id is not None and act_id in self.custody else []
        on_case = self.acts_of_case.get(case_id, []) if case_id is not None else []
        return found + [a for a in on_case if a != act_id]


Loader = Callable[[Batch], None]

LOADERS: dict[str, Loader] = {}


def register_loader(name: str, loader: Loader) -> None:
    """A higher app's custody loader (its AppConfig.ready(); registering again replaces)."""
    LOADERS[name] = loader


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


def load_custody(timelines: dict[int, Timeline], config: Config) -> dict[int, Custody]:
    """Custody of each act of the batch (act id → :class:`Custody`), from every loader."""
    custody = {act_id: Custody() for act_id in timelines}
    if not timelines:
        return custody
    acts_of_case: dict[int, list[int]] = defaultdict(list)
    for act_id, t in timelines.items():
        if t.act.case_id is not None:
            acts_of_case[t.act.case_id].append(act_id)
    batch = Batch(timelines, config, custody, dict(acts_of_case))
    for loader in LOADERS.values():
        loader(batch)
    return custody
