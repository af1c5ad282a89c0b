"""Working days (工作日) in mainland China, for A21's "2 working days" and other deadlines.

Sources, in order of precedence for a given year:

1. an official schedule (国务院办公厅关于某年部分节假日安排的通知) loaded by an administrator as
   data, passed in as ``schedules`` (year → YearSchedule);
2. the ``chinese-calendar`` package, which carries the State Council's notices up to its last
   release (1.11.0: 2004–2026);
3. neither: the fixed statutory holidays of the 全国年节及纪念日放假办法 (as amended in 2024, in
   force from 2025) and the weekends. Such a day is *provisional* (暂定): only the adjusted days
   (调休, 补休) are unknown until the State Council's notice, so the result may still move once
   the year's notice is loaded, and callers must say so, never silently.

Holidays are days off (法定节假日 and the weekends inside a holiday block); adjusted working days
(调休上班日) are weekend days worked to make up for a holiday. Django-free, so it is tested alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import chinese_calendar
from chinese_calendar import constants as _package_data
from lunar_python import Lunar, Solar

PACKAGE_YEARS = range(
    min(_package_data.holidays).year,
    max(_package_data.holidays).year + 1,
)


class ScheduleError(ValueError):
    """A schedule that cannot be loaded; the message (Chinese) says what is wrong."""


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: its holidays and its adjusted working days."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


Schedules = Mapping[int, YearSchedule]


def _solar(lunar: Lunar) -> dt.date:
    solar = lunar.getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _days(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range(count)]


@cache
def statutory_holidays(year: int) -> frozenset[dt.date]:
    """The 13 fixed holidays of 全国年节及纪念日放假办法 第二条 (2024 amendment) in ``year``:
    元旦 1 January; 春节 除夕 to 正月初三 (4 days); 清明 the day of the solar term; 劳动节
    1–2 May; 端午 五月初五; 中秋 八月十五; 国庆 1–3 October. Lunar dates and the solar term come
    from lunar-python. Weekends inside or next to them and the adjusted working days are the
    State Council's yearly notice's, so they are not here.
    """
    new_year = _solar(Lunar.fromYmd(year, 1, 1))  # 正月初一
    qingming = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return frozenset(
        [
            dt.date(year, 1, 1),
            *_days(new_year - dt.timedelta(days=1), 4),
            dt.date(year, qingming.getMonth(), qingming.getDay()),
            *_days(dt.date(year, 5, 1), 2),
            _solar(Lunar.fromYmd(year, 5, 5)),
            _solar(Lunar.fromYmd(year, 8, 15)),
            *_days(dt.date(year, 10, 1), 3),
        ]
    )


def day_status(day: dt.date, schedules: Schedules | None = None) -> tuple[bool, bool]:
    """(is a working day, provisional) for one date."""
    if isinstance(day, dt.datetime):
        raise TypeError("day_status takes a date; convert a datetime to its local date first")
    schedule = (schedules or {}).get(day.year)
    if schedule is not None:
        return schedule.is_working_day(day), False
    if day.year in PACKAGE_YEARS:
        return chinese_calendar.is_workday(day), False
    return day.weekday() < 5 and day not in statutory_holidays(day.year), True


def is_working_day(day: dt.date, schedules: Schedules | None = None) -> bool:
    """Whether people work on that day (provisional for a year no source covers)."""
    return day_status(day, schedules)[0]


def is_provisional(day: dt.date, schedules: Schedules | None = None) -> bool:
    """Whether neither a loaded schedule nor the package covers the day's year."""
    return day_status(day, schedules)[1]


def add_working_days(
    day: dt.date, n: int, schedules: Schedules | None = None
) -> tuple[dt.date, bool]:
    """The n-th working day after ``day`` (``day`` itself is not counted), and whether the
    result is provisional because a day in between fell in a year no source covers.

    2 working days after Wednesday 2026-09-30 is Friday 2026-10-09 (National Day and
    Mid-Autumn run 10-01…10-07, 10-08 is the first working day).
    """
    if n < 0:
        raise ValueError("n must not be negative")
    provisional = False
    current = day
    remaining = n
    while remaining:
        current += dt.timedelta(days=1)
        working, uncertain = day_status(current, schedules)
        provisional = provisional or uncertain
        if working:
            remaining -= 1
    return current, provisional


def _dates(value, field: str, year: int) -> frozenset[dt.date]:
    if not isinstance(value, list):
        raise ScheduleError(f'“{field}”应为日期列表，例如 ["{year}-01-01"]')
    days = set()
    for item in value:
        try:
            day = dt.date.fromisoformat(item) if isinstance(item, str) else None
        except ValueError:
            day = None
        if day is None:
            raise ScheduleError(f"“{field}”中的“{item}”不是 YYYY-MM-DD 格式的日期")
        if day.year != year:
            raise ScheduleError(f"“{field}”中的日期 {day} 不属于 {year} 年")
        days.add(day)
    return frozenset(days)


def parse_schedule(data: Mapping) -> YearSchedule:
    """A YearSchedule from its JSON form ({"year", "holidays", "workdays", …}), validated."""
    if not isinstance(data, Mapping):
        raise ScheduleError("节假日安排应为 JSON 对象")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise ScheduleError("“year”应为 2000 至 2100 之间的整数年份")
    holidays = _dates(data.get("holidays"), "holidays", year)
    workdays = _dates(data.get("workdays", []), "workdays", year)
    if not holidays:
        raise ScheduleError("“holidays”不能为空：每年至少有元旦、春节等法定节假日")
    both = sorted(holidays & workdays)
    if both:
        raise ScheduleError(f"日期 {both[0]} 不能既是节假日又是调休上班日")
    weekday_workdays = sorted(d for d in workdays if d.weekday() < 5)
    if weekday_workdays:
        raise ScheduleError(
            f"调休上班日 {weekday_workdays[0]} 是周一至周五，本来就是工作日，请核对通知原文"
        )
    return YearSchedule(year=year, holidays=holidays, workdays=workdays)


def package_schedule(year: int) -> YearSchedule:
    """The package's data for a year it covers, in the same form as a loaded schedule."""
    if year not in PACKAGE_YEARS:
        raise ScheduleError(f"chinese-calendar 不含 {year} 年的节假日安排")
    return YearSchedule(
        year=year,
        holidays=frozenset(d for d in _package_data.holidays if d.year == year),
        workdays=frozenset(d for d in _package_data.workdays if d.year == year),
    )


def iso_dates(days: Iterable[dt.date]) -> list[str]:
    return [d.isoformat() for d in sorted(days)]
