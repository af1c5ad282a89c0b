"""Working-day arithmetic against the State Council's 2026 schedule, as chinese-calendar has it."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.lib.workdays import (
    PACKAGE_YEARS,
    ScheduleError,
    YearSchedule,
    add_working_days,
    day_status,
    is_provisional,
    is_working_day,
    package_schedule,
    parse_schedule,
    statutory_holidays,
)

D = dt.date

# A made-up 2027 schedule (not the official one): 2027-01-01 off, Saturday 2027-01-02 worked.
FAKE_2027 = {
    2027: YearSchedule(
        year=2027,
        holidays=frozenset({D(2027, 1, 1), D(2027, 2, 8), D(2027, 2, 9)}),
        workdays=frozenset({D(2027, 1, 2)}),
    )
}


def test_package_covers_2026_but_not_2027():
    assert 2026 in PACKAGE_YEARS
    assert 2027 not in PACKAGE_YEARS


def test_two_working_days_after_national_day_eve():
    # 2026-10-01…10-07 off (National Day with Mid-Autumn); 10-08 and 10-09 are working days.
    assert add_working_days(D(2026, 9, 30), 2) == (D(2026, 10, 9), False)
    assert add_working_days(D(2026, 9, 30), 1) == (D(2026, 10, 8), False)


def test_make_up_saturday_counts_as_a_working_day():
    # Saturday 2026-10-10 is an adjusted working day (调休上班).
    assert is_working_day(D(2026, 10, 10))
    assert add_working_days(D(2026, 10, 9), 1) == (D(2026, 10, 10), False)
    # Saturday 2026-02-14 before the Spring Festival too, and 2026-02-28 after it.
    assert is_working_day(D(2026, 2, 14))
    assert is_working_day(D(2026, 2, 28))
    # An ordinary Saturday is not.
    assert not is_working_day(D(2026, 10, 17))


def test_two_working_days_across_the_spring_festival():
    # Friday 2026-02-13; Saturday 02-14 worked; 02-15…02-23 off; Tuesday 02-24 back at work.
    assert add_working_days(D(2026, 2, 13), 2) == (D(2026, 2, 24), False)
    assert add_working_days(D(2026, 2, 14), 1) == (D(2026, 2, 24), False)


def test_ordinary_weekend_is_skipped():
    # Friday 2026-11-27 → Monday 11-30, Tuesday 12-01.
    assert add_working_days(D(2026, 11, 27), 2) == (D(2026, 12, 1), False)


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert add_working_days(D(2026, 10, 3), 0) == (D(2026, 10, 3), False)
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_days(D(2026, 10, 3), -1)


def test_a_year_no_source_covers_is_provisional_but_knows_the_fixed_holidays():
    # Thursday 2026-12-31 → Friday 2027-01-01 is 元旦, Monday 01-04, Tuesday 01-05.
    assert add_working_days(D(2026, 12, 31), 2) == (D(2027, 1, 5), True)
    assert is_provisional(D(2027, 1, 1))
    assert day_status(D(2027, 1, 1)) == (False, True)
    assert day_status(D(2027, 1, 4)) == (True, True)
    # A result reached without touching 2027 is exact.
    assert add_working_days(D(2026, 12, 28), 2) == (D(2026, 12, 30), False)


def test_a_loaded_schedule_makes_the_year_exact():
    assert add_working_days(D(2026, 12, 31), 2, FAKE_2027) == (D(2027, 1, 4), False)
    # With 01-01 off and Saturday 01-02 worked: 1 working day after 12-31 is 01-02.
    assert add_working_days(D(2026, 12, 31), 1, FAKE_2027) == (D(2027, 1, 2), False)
    assert day_status(D(2027, 1, 1), FAKE_2027) == (False, False)


def test_a_loaded_schedule_overrides_the_package_for_its_year():
    override = {2026: YearSchedule(2026, frozenset({D(2026, 11, 30)}), frozenset())}
    assert is_working_day(D(2026, 11, 30))
    assert not is_working_day(D(2026, 11, 30), override)
    # The override replaces the whole year: the package's National Day is no longer known.
    assert is_working_day(D(2026, 10, 8), override)


def test_datetimes_are_refused():
    with pytest.raises(TypeError):
        day_status(dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC))


def test_package_schedule_matches_the_package():
    schedule = package_schedule(2026)
    assert D(2026, 10, 10) in schedule.workdays
    assert D(2026, 2, 17) in schedule.holidays
    with pytest.raises(ScheduleError):
        package_schedule(2027)


def test_parse_schedule_accepts_the_documented_format():
    schedule = parse_schedule(
        {
            "year": 2027,
            "source": "示例",
            "holidays": ["2027-01-01", "2027-02-08"],
            "workdays": ["2027-01-02"],
        }
    )
    assert schedule.holidays == {D(2027, 1, 1), D(2027, 2, 8)}
    assert schedule.workdays == {D(2027, 1, 2)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON 对象"),
        ({"year": "2027", "holidays": ["2027-01-01"]}, "整数年份"),
        ({"year": True, "holidays": ["2027-01-01"]}, "整数年份"),
        ({"year": 2027, "holidays": "2027-01-01"}, "日期列表"),
        ({"year": 2027, "holidays": ["2027-1-1x"]}, "YYYY-MM-DD"),
        ({"year": 2027, "holidays": [20270101]}, "YYYY-MM-DD"),
        ({"year": 2027, "holidays": ["2026-12-31"]}, "不属于 2027 年"),
        ({"year": 2027, "holidays": []}, "不能为空"),
        ({"year": 2027, "holidays": ["2027-01-02"], "workdays": ["2027-01-02"]}, "既是"),
        ({"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-04"]}, "周一至周五"),
    ],
)
def test_parse_schedule_refuses_bad_input(data, message):
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(data)


@given(
    st.dates(min_value=D(2004, 1, 1), max_value=D(2031, 12, 31)),
    st.integers(min_value=0, max_value=30),
)
def test_add_working_days_lands_on_the_nth_working_day(start, n):
    end, provisional = add_working_days(start, n)
    days = [start + dt.timedelta(days=i) for i in range(1, (end - start).days + 1)]
    working = [d for d in days if is_working_day(d)]
    assert len(working) == n
    assert n == 0 or is_working_day(end)
    assert provisional == any(is_provisional(d) for d in days)


def test_the_fixed_statutory_holidays_of_2027_from_the_lunar_calendar():
    # 春节: 正月初一 is Saturday 2027-02-06, so 除夕 02-05 … 初三 02-08; 清明 04-05; 端午 06-09;
    # 中秋 09-15.
    assert sorted(statutory_holidays(2027)) == [
        D(2027, 1, 1),
        D(2027, 2, 5),
        D(2027, 2, 6),
        D(2027, 2, 7),
        D(2027, 2, 8),
        D(2027, 4, 5),
        D(2027, 5, 1),
        D(2027, 5, 2),
        D(2027, 6, 9),
        D(2027, 9, 15),
        D(2027, 10, 1),
        D(2027, 10, 2),
        D(2027, 10, 3),
    ]
    # 除夕 Friday 02-05 and 初三 Monday 02-08 are off; Tuesday 02-09 is a (provisional) workday.
    assert add_working_days(D(2027, 2, 4), 1) == (D(2027, 2, 9), True)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_computed_holidays_agree_with_the_state_councils_notices(year):
    # Where the package carries the notices (2024 amendment in force), every computed holiday is
    # a day off in them: the lunar conversion and the solar term are right.
    holidays = statutory_holidays(year)
    assert len(holidays) == 13
    assert not [d for d in holidays if is_working_day(d)]
