"""Loading a year's official holiday schedule (节假日安排) as data; each load is a ledger event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.lib.workdays import ScheduleError, iso_dates, parse_schedule
from quancheng.orgs import capabilities as caps

from .models import HolidaySchedule

if TYPE_CHECKING:
    from quancheng.orgs.models import User


@transaction.atomic(durable=True)
def load_schedule(actor: User, data: Mapping) -> tuple[HolidaySchedule, str]:
    """Create or replace a year's schedule (_load_schedule says how)."""
    return _load_schedule(actor, data)


def _load_schedule(actor: User, data: Mapping) -> tuple[HolidaySchedule, str]:
    """Create or replace the schedule of data["year"]; (schedule, "created" | "replaced" |
    "unchanged").

    data: {"year": 2027, "source": "通知名称与文号", "holidays": [...], "workdays": [...]}.
    Raises ScheduleError (Chinese message) on bad data; nothing is written then.
    """
    caps.require(actor, caps.SCHEDULES_LOAD)
    parsed = parse_schedule(data)
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ScheduleError("“source”不能为空：请写明通知名称与文号")
    values = {
        "holidays": iso_dates(parsed.holidays),
        "workdays": iso_dates(parsed.workdays),
        "source": source.strip(),
    }
    schedule = HolidaySchedule.objects.select_for_update().filter(year=parsed.year).first()
    created = schedule is None
    before = None
    if schedule is None:
        schedule = HolidaySchedule(year=parsed.year)
    else:
        before = {k: getattr(schedule, k) for k in values}
        if before == values:
            return schedule, "unchanged"
    for key, value in values.items():
        setattr(schedule, key, value)
    schedule.loaded_by = actor
    schedule.loaded_at = timezone.now()
    schedule.save()
    body = {"year": parsed.year, **values}
    if before is not None:
        body["before"] = before
    record_event(
        actor,
        Action.HOLIDAY_SCHEDULE_LOADED if created else Action.HOLIDAY_SCHEDULE_REPLACED,
        schedule,
        body,
    )
    return schedule, "created" if created else "replaced"


@transaction.atomic(durable=True)
def remove_schedule(actor: User, schedule: HolidaySchedule) -> None:
    """Remove a loaded year: the package (or weekends alone, provisional) applies again."""
    _remove_schedule(actor, schedule)


def _remove_schedule(actor: User, schedule: HolidaySchedule) -> None:
    """remove_schedule inside the caller's transaction (the admin's change view holds one)."""
    caps.require(actor, caps.SCHEDULES_LOAD)
    schedule = HolidaySchedule.objects.select_for_update().get(pk=schedule.pk)
    record_event(
        actor,
        Action.HOLIDAY_SCHEDULE_REMOVED,
        schedule,
        {
            "year": schedule.year,
            "holidays": schedule.holidays,
            "workdays": schedule.workdays,
            "source": schedule.source,
        },
    )
    schedule.delete()
