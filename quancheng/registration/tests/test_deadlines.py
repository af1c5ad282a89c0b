"""The A21 deadline of an act: its end date in Asia/Shanghai plus 2 working days."""

import datetime as dt

import pytest

from quancheng.registration.deadlines import (
    deadline_for_end,
    overdue_cutoff,
    working_day_deadline,
)
from quancheng.registration.models import HolidaySchedule

from .conftest import at

D = dt.date

pytestmark = pytest.mark.django_db


def test_deadline_across_national_day(make_act):
    act = make_act(at(2026, 9, 30, 16, 0))
    deadline = working_day_deadline(act)
    assert deadline.ended_on == D(2026, 9, 30)
    assert deadline.last_day == D(2026, 10, 9)
    assert deadline.due_by == at(2026, 10, 10, 0, 0)
    assert not deadline.provisional


def test_deadline_across_the_spring_festival(make_act):
    act = make_act(at(2026, 2, 13, 11, 0))
    assert working_day_deadline(act).last_day == D(2026, 2, 24)


def test_end_date_is_taken_in_shanghai_time(make_act):
    # 2026-09-30 17:30 UTC is 2026-10-01 01:30 in Shanghai: the act ended on a holiday.
    act = make_act(dt.datetime(2026, 9, 30, 17, 30, tzinfo=dt.UTC))
    deadline = working_day_deadline(act)
    assert deadline.ended_on == D(2026, 10, 1)
    # 10-08 (Thu), 10-09 (Fri): 10-10 is a make-up Saturday but only two days are counted.
    assert deadline.last_day == D(2026, 10, 9)


def test_act_ending_the_day_before_a_make_up_saturday(make_act):
    # Friday 10-09 → Saturday 10-10 (worked) and Monday 10-12.
    act = make_act(at(2026, 10, 9, 23, 59))
    assert working_day_deadline(act).last_day == D(2026, 10, 12)


def test_due_by_the_end_of_the_last_day():
    deadline = deadline_for_end(D(2026, 11, 27))
    assert deadline.last_day == D(2026, 12, 1)
    assert not deadline.is_past(at(2026, 12, 1, 23, 59, 59))
    assert deadline.is_past(at(2026, 12, 2, 0, 0))


def test_2027_is_provisional_until_its_schedule_is_loaded(db, make_act, city_admin):
    from quancheng.registration.schedules import load_schedule

    # Thursday 2027-02-04; provisional: 除夕 Friday 02-05 … 初三 Monday 02-08 are off, so
    # Tuesday 02-09 and Wednesday 02-10.
    act = make_act(at(2027, 2, 4, 10, 0))
    deadline = working_day_deadline(act)
    assert (deadline.last_day, deadline.provisional) == (D(2027, 2, 10), True)
    # A made-up schedule (not the official one): 02-05 and 02-08…02-11 off, Saturday 02-06
    # worked. 1st working day after 02-04: 02-06; 2nd: 02-12.
    load_schedule(
        city_admin,
        {
            "year": 2027,
            "source": "测试用安排",
            "holidays": ["2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"],
            "workdays": ["2027-02-06"],
        },
    )
    deadline = working_day_deadline(act)
    assert (deadline.last_day, deadline.provisional) == (D(2027, 2, 12), False)
    assert HolidaySchedule.objects.get().year == 2027


def test_overdue_cutoff_separates_past_and_open_deadlines(db):
    # On Monday 2026-10-12 at 09:00: acts that ended 10-08 or earlier are past their deadline
    # (10-08 → 10-09, 10-10); one that ended Friday 10-09 is due by the end of 10-12.
    moment = at(2026, 10, 12, 9, 0)
    cutoff = overdue_cutoff(moment)
    assert cutoff == at(2026, 10, 9, 0, 0)
    assert deadline_for_end(D(2026, 10, 8)).is_past(moment)
    assert not deadline_for_end(D(2026, 10, 9)).is_past(moment)


def test_overdue_cutoff_after_a_long_holiday(db):
    # On 2026-10-09 at 12:00 the acts of 09-29 are overdue (due 10-08 end), 09-30's are not.
    assert overdue_cutoff(at(2026, 10, 9, 12, 0)) == at(2026, 9, 30, 0, 0)
