"""The demo's clock: the services stamp "now" on what they record (registration times, ledger
events, approvals), so a year of demo work is made by moving the clock to each moment of the
year and calling the services there, in order (time-machine, the same library the tests use).

Only the demo's own process is moved, and only while it builds; the clock stands still at each
moment (``tick=False``), so the same plan gives the same times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import time_machine
from django.utils import timezone

from quancheng.lib import transactions


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour:minute`` in Beijing time (aware)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    """Run the block with the clock standing at ``moment``."""
    with time_machine.travel(moment, tick=False):
        yield


@dataclass(order=True)
class _Step:
    moment: dt.datetime
    order: int
    run: Callable[[], None] = field(compare=False)


class Timeline:
    """Steps to run each at its own moment, in the order of their moments (then of adding)."""

    def __init__(self) -> None:
        self.steps: list[_Step] = []

    def add(self, moment: dt.datetime, run: Callable[[], None]) -> None:
        self.steps.append(_Step(moment, len(self.steps), run))

    def run(
        self,
        until: dt.datetime,
        progress: Callable[[int, int], None] | None = None,
        batch: int = 50,
    ) -> None:
        """Run every step due by ``until``, each at its moment; later steps are dropped.

        ``batch`` steps share one transaction (``lib.transactions.batch``: the durable services
        join it), and the ledger integrates their events together after the commit, which
        is most of the demo's speed on SQLite.
        """
        due = sorted(s for s in self.steps if s.moment <= until)
        for first in range(0, len(due), batch):
            with transactions.batch():
                for step in due[first : first + batch]:
                    with at(step.moment):
                        step.run()
            if progress is not None:
                progress(min(first + batch, len(due)), len(due))
        self.steps = []
