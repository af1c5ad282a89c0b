"""An integrator killed (kill -9) in the middle of a batch: nothing of that batch stays, and a
second integrator takes the lease over once it has expired and integrates every committed event
exactly once, in one order; the ledger verifies. Real processes on a separate installation, on
the suite's database (SQLite or PostgreSQL)."""

from pathlib import Path

import pytest

from quancheng.jobs.tests.instance import kill, new_instance, wait_for

LEASE_SECONDS = 2
BATCH = 50
EVENTS = 180

STAGE = f"""
import json
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_atomic
ids = [record_atomic(None, Action.JOB_RETRIED, None, {{"i": i}}, object_type="t",
                     object_id=str(i)).pk for i in range({EVENTS})]
print(json.dumps(ids))
"""

STATE = """
import json
from quancheng.ledger.models import Event, LedgerHead, StagedEvent
head = LedgerHead.objects.filter(id=1).first()
print(json.dumps({
    "head": head.seq if head else 0,
    "staged": list(StagedEvent.objects.order_by("id").values_list("id", flat=True)),
    "integrated": list(Event.objects.filter(staged_id__isnull=False).order_by("seq")
                       .values_list("seq", "staged_id")),
}))
"""


def stalling_integrator(marker: str) -> None:
    """A real integrator that stops for good inside its second batch, after that batch's
    events are inserted (uncommitted) and before its tree rows: the moment the test kills it."""
    import threading

    from quancheng.ledger import integrator

    real = integrator._insert_subtrees
    calls = []

    def stall(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            Path(marker).write_text("mid-batch")
            threading.Event().wait()
        return real(*args, **kwargs)

    integrator._insert_subtrees = stall
    integrator.Integrator(interval=0.05).run()


@pytest.fixture
def instance(migrated_template, tmp_path):
    instance = new_instance(
        migrated_template,
        tmp_path / "var",
        QC_LEDGER_INTEGRATE_ON_COMMIT="False",
        QC_LEDGER_INTEGRATOR_LEASE_SECONDS=LEASE_SECONDS,
        QC_LEDGER_INTEGRATOR_BATCH=BATCH,
    )
    yield instance
    instance.drop()


def test_an_integrator_killed_mid_batch_is_finished_by_another(instance, tmp_path):
    start = instance.python(STATE)["head"]
    staged = instance.python(STAGE)
    assert instance.python(STATE)["staged"] == staged  # committed, waiting

    marker = tmp_path / "stalled"
    code = (
        "from quancheng.ledger.tests.test_integrator_killed import stalling_integrator; "
        f"stalling_integrator({str(marker)!r})"
    )
    victim = instance.popen(code, tmp_path / "victim.log")
    try:
        wait_for(lambda: marker.exists() or victim.poll() is not None, "the second batch")
        assert marker.exists(), (tmp_path / "victim.log").read_text()
    finally:
        kill(victim)

    # The first batch is committed; nothing of the second survived the kill.
    state = instance.python(STATE)
    assert state["head"] == start + BATCH
    assert state["staged"] == staged[BATCH:]
    assert [s for _, s in state["integrated"]] == staged[:BATCH]

    # A second integrator waits for the dead one's lease to expire, then finishes.
    out = instance.manage("ledger_integrator", "--until-idle", "--interval", "0.1").stdout
    assert f"integrated {len(staged) - BATCH} events" in out

    state = instance.python(STATE)
    assert state["staged"] == []
    assert state["head"] == start + len(staged)
    # Every committed event exactly once, in one order (the staging order), without gaps.
    assert [s for _, s in state["integrated"]] == staged
    assert [q for q, _ in state["integrated"]] == list(range(start + 1, start + len(staged) + 1))
    instance.manage("verify_ledger")  # exits non-zero unless chain, tree and checkpoints verify
