"""The A21 deadline: 2 working days after the on-site act ends.

Interpretation (documented in docs/registration.md): the act's end date is its ``ended_at`` in
Asia/Shanghai; the period's last day is the 2nd working day after that date (the end date itself
is not counted, whatever the hour); registration is due by the end of that last day, i.e. before
00:00 Asia/Shanghai of the following calendar day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from quancheng.lib.workdays import Schedules, YearSchedule, add_working_days

from .models import HolidaySchedule

# A21 ¶1: 现场执法过程结束后2个工作日内.
WORKING_DAYS = 2


@dataclass(frozen=True)
class Deadline:
    ended_on: dt.date  # the act's end date, Asia/Shanghai
    last_day: dt.date  # the last day of the period
    due_by: dt.datetime  # aware: the first instant after the period
    provisional: bool  # some day in the period is in a year no calendar source covers

    def is_past(self, moment: dt.datetime | None = None) -> bool:
        return (moment or timezone.now()) >= self.due_by


def loaded_schedules() -> dict[int, YearSchedule]:
    """The schedules an administrator has loaded, by year (they override the package)."""
    return {s.year: s.as_year_schedule() for s in HolidaySchedule.objects.all()}


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def due_by_for(last_day: dt.date) -> dt.datetime:
    """Due by the end of the last day: the next day's 00:00, Asia/Shanghai."""
    return _start_of_day(last_day + dt.timedelta(days=1))


def deadline_for_end(ended_on: dt.date, schedules: Schedules | None = None) -> Deadline:
    if schedules is None:
        schedules = loaded_schedules()
    last_day, provisional = add_working_days(ended_on, WORKING_DAYS, schedules)
    return Deadline(
        ended_on=ended_on,
        last_day=last_day,
        due_by=due_by_for(last_day),
        provisional=provisional,
    )


def working_day_deadline(act, schedules: Schedules | None = None) -> Deadline:
    """The registration deadline of an act (A21 ¶1)."""
    return deadline_for_end(timezone.localdate(act.ended_at), schedules)


def overdue_cutoff(moment: dt.datetime | None = None, schedules: Schedules | None = None):
    """The instant before which an act must have ended for its deadline to have passed.

    The deadline never moves earlier when the end date moves later, so the acts whose deadline
    has passed are exactly those that ended before the first end date whose deadline has not.
    """
    moment = moment or timezone.now()
    if schedules is None:
        schedules = loaded_schedules()
    day = timezone.localdate(moment)
    while deadline_for_end(day - dt.timedelta(days=1), schedules).due_by > moment:
        day -= dt.timedelta(days=1)
    return _start_of_day(day)
