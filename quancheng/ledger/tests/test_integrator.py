"""Staged appends and the integrator (issue 21, point 1): a change's transaction stages its
event without a shared lock; one integrator at a time binds seq, chain and tree, exactly once."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from quancheng.ledger import leases, services
from quancheng.ledger.actions import Action
from quancheng.ledger.integrator import (
    LEASE,
    IntegrationTimeout,
    StagedEventTampered,
    integrate_pending,
    wait_for_event,
)
from quancheng.ledger.models import (
    Event,
    LedgerHead,
    LedgerIsAppendOnly,
    NamedLease,
    NotYetIntegrated,
    StagedEvent,
)
from quancheng.ledger.services import record_atomic, record_event, record_sequenced_event
from quancheng.ledger.verify import verify_ledger

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def head_seq() -> int:
    return LedgerHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0


@pytest.fixture
def staged_only(settings, monkeypatch):
    """Events stay staged until an integrator runs: no integration after commit, and none at
    once inside the test case's transaction either (as if each atomic block committed)."""
    settings.QC_LEDGER_INTEGRATE_ON_COMMIT = False
    monkeypatch.setattr(services, "_in_test_case_transaction", lambda: False)


@pytest.fixture
def postgres_only():
    """Skip before any other fixture writes (a transactional test's flush on SQLite would hit
    the ledger's no-DELETE triggers)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time whatever the ledger does")


def stage(n: int, tag: str = "t") -> list[StagedEvent]:
    out = []
    for i in range(n):
        out.append(
            record_atomic(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type=tag, object_id=str(i)
            )
        )
    return out


@pytest.mark.django_db
def test_a_commit_stages_its_event_and_the_integrator_binds_it(staged_only, organisation):
    integrate_pending("tester")  # the organisation's own events
    before = head_seq()
    tip = LedgerHead.objects.filter(id=1).values_list("hash", flat=True).first()
    staged = stage(5)
    # Committed, not integrated: the head did not move, the rows wait with their content hash.
    assert head_seq() == before
    assert StagedEvent.objects.count() == 5
    assert all(s.content_hash == s.compute_content_hash() for s in StagedEvent.objects.all())
    with pytest.raises(NotYetIntegrated):
        staged[0].seq  # noqa: B018 - the property raises

    assert integrate_pending("tester") == 5
    assert StagedEvent.objects.count() == 0
    events = list(Event.objects.filter(seq__gt=before).order_by("seq"))
    # One order, the staging order; each staged row integrated once.
    assert [e.staged_id for e in events] == [s.pk for s in staged]
    assert [s.seq for s in staged] == list(range(before + 1, before + 6))
    assert events[0].prev_hash == (tip or "0" * 64)
    assert verify_ledger().ok


@pytest.mark.django_db
def test_an_event_rolls_back_with_its_change(staged_only):
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the rollback inside the block is what is tested
        record_event(None, Action.JOB_FAILED, None, {}, object_type="t", object_id="1")
        raise RuntimeError("the change fails")
    assert not StagedEvent.objects.filter(action=Action.JOB_FAILED).exists()
    integrate_pending("tester")
    assert not Event.objects.filter(action=Action.JOB_FAILED).exists()


@pytest.mark.django_db
def test_batches_integrate_in_staging_order_across_transactions(staged_only, settings):
    settings.QC_LEDGER_INTEGRATOR_BATCH = 3
    staged = stage(8)
    before = head_seq()
    assert integrate_pending("tester") == 8  # three batches: 3, 3, 2
    seqs = [wait_for_event(s, timeout=0).seq for s in staged]
    assert seqs == list(range(before + 1, before + 9))
    assert verify_ledger().ok


@pytest.mark.django_db
def test_a_staged_row_goes_only_with_its_event_and_never_changes(staged_only):
    [staged] = stage(1)
    with pytest.raises(LedgerIsAppendOnly):
        StagedEvent.objects.filter(pk=staged.pk).delete()
    # Bypassing the application: the database triggers refuse too.
    table = StagedEvent._meta.db_table
    for sql in (f"DELETE FROM {table}", f"UPDATE {table} SET body = '{{}}'"):  # noqa: S608
        with (
            pytest.raises((DatabaseError, IntegrityError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert StagedEvent.objects.filter(pk=staged.pk).exists()
    integrate_pending("tester")
    assert not StagedEvent.objects.filter(pk=staged.pk).exists()


@pytest.mark.django_db
def test_a_staged_row_whose_content_changed_is_not_integrated(staged_only):
    before = head_seq()
    [good] = stage(1)
    forged = StagedEvent(
        time=T0, actor_label="system", action="test.forged", body="{}", content_hash="0" * 64
    )
    forged.save()
    with pytest.raises(StagedEventTampered):
        integrate_pending("tester")
    # Nothing of the batch was written, the good event included.
    assert head_seq() == before
    assert StagedEvent.objects.filter(pk=good.pk).exists()


@pytest.mark.django_db
def test_one_holder_at_a_time_and_take_over_after_expiry(staged_only, settings):
    settings.QC_LEDGER_INTEGRATOR_LEASE_SECONDS = 10
    stage(2)
    with time_machine.travel(T0, tick=False):
        assert integrate_pending("first") == 2
        first = NamedLease.objects.get(name=LEASE)
        assert first.holder == "first"
        stage(1)
        # The first holder is alive (lease not expired): a second integrator stands by.
        assert integrate_pending("second") is None
        assert StagedEvent.objects.count() == 1
    with time_machine.travel(T0 + dt.timedelta(seconds=11), tick=False):
        assert integrate_pending("second") == 1
        second = NamedLease.objects.get(name=LEASE)
        assert second.holder == "second" and second.generation == first.generation + 1
    assert verify_ledger().ok


@pytest.mark.django_db
def test_waiting_for_an_event_times_out_while_another_holds_the_lease(staged_only):
    with transaction.atomic():
        leases.hold(LEASE, "someone-else", 3600, wait=True)
    [staged] = stage(1)
    with pytest.raises(IntegrationTimeout):
        wait_for_event(staged, timeout=0)
    with transaction.atomic():
        leases.let_go(LEASE, "someone-else")
    # Nobody holds it now: the waiter integrates it itself.
    event = wait_for_event(staged, timeout=0)
    assert event.staged_id == staged.pk and staged.seq == event.seq


@pytest.mark.django_db
def test_a_commit_integrates_its_events_when_no_integrator_runs(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "_in_test_case_transaction", lambda: False)
    before = head_seq()
    with django_capture_on_commit_callbacks(execute=True) as hooks, transaction.atomic():
        staged = [
            record_event(None, Action.JOB_RETRIED, None, {"i": i}, object_type="t", object_id="c")
            for i in range(3)
        ]
        assert head_seq() == before
    assert len(hooks) == 1  # one hook per transaction, however many events
    assert head_seq() == before + 3
    assert [s.seq for s in staged] == [before + 1, before + 2, before + 3]
    assert not StagedEvent.objects.exists()
    # A standing integrator holds the lease: commits leave their events to it.
    with transaction.atomic():
        leases.hold(LEASE, "standing", 3600, wait=True)
    with django_capture_on_commit_callbacks(execute=True):
        [later] = stage(1)
    assert head_seq() == before + 3 and later.event is None


@pytest.mark.django_db
def test_the_seq_is_unreadable_inside_the_staging_transaction(agency):
    with transaction.atomic():
        staged = record_event(None, Action.JOB_RETRIED, agency, {})
        with pytest.raises(NotYetIntegrated):
            staged.seq  # noqa: B018 - the property raises
        sequenced = record_sequenced_event(None, Action.INSTALLATION_BACKED_UP, agency, {})
        assert sequenced.seq == Event.objects.get(action=Action.INSTALLATION_BACKED_UP).seq
    assert staged.seq == sequenced.seq - 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_agencys_open_transaction_never_holds_up_anothers(
    postgres_only, staged_only, agency, other_agency
):
    """Writer A stages an event and keeps its transaction open; writer B, of another agency,
    stages and commits meanwhile, and so does the integrator. Controlled by events, not by a
    clock: while B runs, the server is asked whether B's backend waits for a lock (it would
    wait on A for ever); A goes on only once B has committed or was seen waiting."""
    integrate_pending("tester")  # the organisation's own events
    staged_a, release_a = threading.Event(), threading.Event()
    b_started, b_done = threading.Event(), threading.Event()
    b_pid, results = [], {}

    def writer_a():
        try:
            with transaction.atomic():
                record_event(None, Action.DATAKIND_UPDATED, agency, {})
                staged_a.set()
                release_a.wait()
        finally:
            connections.close_all()

    def writer_b():
        try:
            connection.ensure_connection()
            b_pid.append(connection.connection.info.backend_pid)
            b_started.set()
            results["b"] = record_atomic(None, Action.DATAKIND_DELETED, other_agency, {})
            results["integrated"] = integrate_pending("tester")
        finally:
            b_done.set()
            connections.close_all()

    def waits_for_a_lock(pid: int) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
        return row is not None and row[0] == "Lock"

    thread_a = threading.Thread(target=writer_a)
    thread_a.start()
    try:
        staged_a.wait()
        thread_b = threading.Thread(target=writer_b)
        thread_b.start()
        b_started.wait()
        blocked = False
        while not b_done.wait(0.005):
            if waits_for_a_lock(b_pid[0]):
                blocked = True
                break
    finally:
        release_a.set()
        thread_a.join()
        thread_b.join()
    assert not blocked, "agency B's transaction waited for agency A's lock"
    assert results["integrated"] == 1
    b = results["b"]
    assert not Event.objects.filter(action=Action.DATAKIND_UPDATED).exists()
    assert b.seq == head_seq()
    assert integrate_pending("tester") == 1
    assert Event.objects.get(action=Action.DATAKIND_UPDATED).seq == head_seq()
    assert verify_ledger().ok


@pytest.mark.django_db
def test_a_batch_costs_the_same_statements_whatever_its_size(staged_only, settings):
    """The integrator writes a batch in a fixed number of statements (SQL over the staged rows,
    no model instance per event): 1,200 events cost no more database calls than 3 (on SQLite an
    executemany is one call into the library, on PostgreSQL arrays make one statement)."""
    from django.test.utils import CaptureQueriesContext

    from quancheng.ledger.integrator import integrate_batch

    settings.QC_LEDGER_INTEGRATOR_BATCH = 5000
    stage(1, tag="first")  # the head exists from here on
    integrate_pending("tester")
    counts = {}
    for n in (3, 1200):
        stage(n, tag=f"size{n}")
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            leases.hold(LEASE, "tester", 60, wait=True)
            assert integrate_batch() == n
        counts[n] = len(queries)
    assert counts[1200] == counts[3]
    assert verify_ledger().ok


@pytest.mark.django_db
def test_staging_an_event_is_one_insert(staged_only, officer):
    """A staged append is its row's INSERT and nothing else: the actor's agency is taken by id,
    never loaded (no SELECT per event)."""
    from django.contrib.auth import get_user_model
    from django.test.utils import CaptureQueriesContext

    actor = get_user_model().objects.get(pk=officer.pk)  # its agency not loaded
    case = get_user_model().objects.get(pk=officer.pk)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            staged = record_event(actor, Action.JOB_RETRIED, None, {"x": 1}, object_type="t")
            record_event(actor, Action.DEVICE_DOCKED, case, {})
        inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
        assert len(queries) == len(inserts) == 2, [q["sql"] for q in queries]
    integrate_pending("tester")
    event = wait_for_event(staged, timeout=0)
    assert event.agency_id == officer.agency_id
    assert Event.objects.get(action=Action.DEVICE_DOCKED).agency_id == officer.agency_id
