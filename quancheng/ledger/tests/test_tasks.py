"""Background work goes through the database queue and a worker picks it up."""

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus

from quancheng.ledger.actions import Action
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_atomic
from quancheng.ledger.tasks import verify_ledger_chain

pytestmark = pytest.mark.django_db


def test_a_queued_verification_is_run_by_the_db_worker(officer, monkeypatch):
    # The worker closes stale connections between tasks; inside the test's transaction that
    # would close the test's own connection (PostgreSQL), so it is left open here.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    record_atomic(officer, Action.JOB_RETRIED, officer, {})
    result = verify_ledger_chain.enqueue()
    assert result.status == TaskResultStatus.READY
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value is None
    event = Event.objects.filter(action="ledger.chain_verified").latest("seq")
    assert '"outcome":"ok"' in event.body


def test_the_command_reports_an_intact_chain(officer, capsys):
    record_atomic(officer, Action.JOB_RETRIED, officer, {})
    call_command("verify_ledger")
    assert "intact" in capsys.readouterr().out
