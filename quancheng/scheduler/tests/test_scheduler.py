"""The periodic scheduler, on a controlled clock (time-machine): no sleeping."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from quancheng.scheduler.models import ScheduledJob
from quancheng.scheduler.scheduler import configured_jobs, enqueue_due, seconds_until_next

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
FIXITY = "quancheng.fixity.tasks.run_fixity_sweep"
CHECKPOINT = "quancheng.ledger.tasks.make_ledger_checkpoint"


@pytest.fixture(autouse=True)
def schedule(settings):
    settings.QC_SCHEDULE = {
        "fixity_sweep": (FIXITY, 86400),
        "ledger_checkpoint": (CHECKPOINT, 3600),
    }


def queued() -> list[str]:
    return sorted(r.task_path.rsplit(".", 1)[-1] for r in DBTaskResult.objects.all())


def test_everything_is_due_on_the_first_run():
    with time_machine.travel(START, tick=False):
        assert sorted(enqueue_due()) == ["fixity_sweep", "ledger_checkpoint"]
    assert queued() == ["make_ledger_checkpoint", "run_fixity_sweep"]
    row = ScheduledJob.objects.get(name="fixity_sweep")
    assert row.last_enqueued_at == START
    assert row.last_task_id == str(DBTaskResult.objects.get(task_path=FIXITY).id)


def test_jobs_run_at_their_intervals():
    with time_machine.travel(START, tick=False) as traveller:
        enqueue_due()
        traveller.shift(dt.timedelta(minutes=59))
        assert enqueue_due() == []
        traveller.shift(dt.timedelta(minutes=1))
        assert enqueue_due() == ["ledger_checkpoint"]
        traveller.shift(dt.timedelta(hours=23))
        assert enqueue_due() == ["fixity_sweep", "ledger_checkpoint"]
    assert DBTaskResult.objects.filter(task_path=CHECKPOINT).count() == 3
    assert DBTaskResult.objects.filter(task_path=FIXITY).count() == 2


def test_a_restart_does_not_run_everything_again():
    """The last run times are in the database, not in the scheduler process."""
    with time_machine.travel(START, tick=False):
        enqueue_due()
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        call_command("run_scheduler", "--once", stdout=io.StringIO())
    assert DBTaskResult.objects.count() == 2


def test_two_schedulers_do_not_double_enqueue():
    """A second scheduler (another machine) sees the first one's row: nothing is due."""
    with time_machine.travel(START, tick=False):
        first = enqueue_due()
        second = enqueue_due()
    assert len(first) == 2 and second == []
    assert DBTaskResult.objects.count() == 2


def test_an_interval_of_zero_switches_a_job_off(settings):
    settings.QC_SCHEDULE = {"fixity_sweep": (FIXITY, 0), "ledger_checkpoint": (CHECKPOINT, 3600)}
    with time_machine.travel(START, tick=False):
        assert enqueue_due() == ["ledger_checkpoint"]
    assert [j.name for j in configured_jobs()] == ["ledger_checkpoint"]


def test_seconds_until_next():
    with time_machine.travel(START, tick=False) as traveller:
        assert seconds_until_next() == 0
        enqueue_due()
        traveller.shift(dt.timedelta(minutes=45))
        assert seconds_until_next() == pytest.approx(15 * 60)
        traveller.shift(dt.timedelta(hours=2))
        assert seconds_until_next() == 0


def test_nothing_enabled(settings):
    settings.QC_SCHEDULE = {"fixity_sweep": (FIXITY, 0)}
    assert seconds_until_next() is None
    assert enqueue_due() == []


def test_a_negative_interval_is_refused(settings):
    settings.QC_SCHEDULE = {"fixity_sweep": (FIXITY, -5)}
    with pytest.raises(ValueError, match="fixity_sweep"):
        enqueue_due()


def test_the_command_once_reports_what_it_enqueued():
    out = io.StringIO()
    with time_machine.travel(START, tick=False):
        call_command("run_scheduler", "--once", stdout=out)
    assert "enqueued fixity_sweep" in out.getvalue()
    assert "enqueued ledger_checkpoint" in out.getvalue()


class _OneRound:
    """Stands in for the stop event: the loop runs once, and the wait it asks for is kept."""

    def __init__(self):
        self.waits = []

    def is_set(self):
        return bool(self.waits)

    def set(self):  # pragma: no cover - signals are not sent in tests
        self.waits.append(None)

    def wait(self, timeout):
        self.waits.append(timeout)


def test_the_loop_enqueues_then_waits_for_the_next_due_job(monkeypatch):
    from quancheng.scheduler.management.commands import run_scheduler

    event = _OneRound()
    monkeypatch.setattr(run_scheduler, "Event", lambda: event)
    monkeypatch.setattr(run_scheduler, "set_handler", lambda *args: None)
    # Closing stale connections would close the test's own (PostgreSQL).
    monkeypatch.setattr(run_scheduler, "close_old_connections", lambda: None)
    out = io.StringIO()
    with time_machine.travel(START, tick=False):
        call_command("run_scheduler", stdout=out)
    assert "enqueued fixity_sweep" in out.getvalue() and "scheduler stopped" in out.getvalue()
    assert event.waits == [run_scheduler.MAX_SLEEP]  # next job in an hour: look again in 60 s
    assert DBTaskResult.objects.count() == 2
