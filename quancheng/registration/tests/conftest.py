"""Acts at fixed dates of the 2026 calendar, and a controlled clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quancheng.cases.models import Act

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    """An aware datetime in Asia/Shanghai: at(2026, 9, 30, 16, 0)."""
    return dt.datetime(*args, tzinfo=SH)  # type: ignore[misc]  # args: year..second, never tzinfo


@pytest.fixture
def make_act(agency, subject, officer, colleague):
    """make_act(ended_at) → an inspection of 渝中区 by officer and colleague that ended then.

    Straight to the table: the acts lie at fixed calendar dates, and the officers' certificates
    (valid a year around the real today) must not decide whether the test can run.
    """

    def make(ended_at, agency=agency, officers=(officer, colleague), subject=subject):
        act = Act.objects.create(
            agency=agency,
            kind=Act.Kind.INSPECTION,
            started_at=ended_at - dt.timedelta(hours=1),
            ended_at=ended_at,
            place="渝中区邹容路100号",
            subject=subject,
        )
        act.officers.set(officers)
        return act

    return make


@pytest.fixture
def clock():
    """clock(moment): move the frozen clock there (and keep it until the test ends)."""
    travellers = []

    def move(moment):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield move
    for traveller in travellers:
        traveller.stop()
