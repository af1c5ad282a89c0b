"""record_events: many events staged by one insert, as record_event would stage each."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from quancheng.ledger.actions import Action
from quancheng.ledger.entry import staged_content
from quancheng.ledger.models import Event
from quancheng.ledger.services import (
    LedgerOutsideTransaction,
    PendingEvent,
    record_event,
    record_events,
)

pytestmark = pytest.mark.django_db


def _content(event):
    """What an event says, but its time."""
    return {key: value for key, value in staged_content(event).items() if key != "time"}


def test_record_events_stages_what_record_event_stages_in_the_order_given(officer, agency):
    blob = "a" * 64  # a body naming a file gets its SM3 partner, as with record_event
    calls = [
        (Action.JOB_RETRIED, officer, {"a": 1}, "", "", None),
        (Action.DEVICE_DOCKED, None, {"b": "中文", "sha256": blob}, "x", "7", agency),
        (Action.JOB_FAILED, None, None, "y", "8", None),
    ]
    with transaction.atomic():
        one_by_one = [
            record_event(officer, action, obj, body, object_type=t, object_id=i, agency=a)
            for action, obj, body, t, i, a in calls
        ]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        together = record_events(officer, [PendingEvent(*call) for call in calls])
    staged = [q for q in queries if q["sql"].startswith('INSERT INTO "ledger_stagedevent"')]
    assert len(staged) == 1
    assert [_content(s) for s in together] == [_content(s) for s in one_by_one]
    assert [s.content_hash == s.compute_content_hash() for s in together] == [True] * 3
    events = [Event.objects.get(staged_id=s.pk) for s in together]
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + 3))
    assert [_content(e) for e in events] == [_content(s) for s in one_by_one]


def test_record_events_refuses_to_run_outside_a_transaction(officer):
    with pytest.raises(LedgerOutsideTransaction):
        record_events(officer, [PendingEvent(Action.JOB_RETRIED, officer, {})])


def test_record_events_refuses_a_free_string_action(officer):
    with pytest.raises(TypeError), transaction.atomic():
        record_events(officer, [PendingEvent("job.retried", officer, {})])  # type: ignore[arg-type]


def test_staged_events_roll_back_with_their_change(officer):
    count = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the rollback inside the block is what is tested
        record_events(officer, [PendingEvent(Action.JOB_FAILED, officer, {})] * 2)
        raise RuntimeError("the change failed")
    assert Event.objects.count() == count
