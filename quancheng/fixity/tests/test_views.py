"""The fixity page and its start button (and the task the button queues)."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from quancheng.fixity.models import FixitySweep
from quancheng.fixity.sweep import run_sweep
from quancheng.ledger.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_close_connections(monkeypatch):
    # The worker closes stale connections between tasks; inside the test's transaction that
    # would close the test's own connection (PostgreSQL), so it is left open here.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def test_the_page_shows_sweeps_and_their_progress(client, custodian, store, put_blobs):
    put_blobs(store, n=3)
    run_sweep()
    client.force_login(custodian)

    page = client.get(reverse("fixity_sweeps"))

    assert page.status_code == 200
    assert "完整性校验" in page.text
    assert "已完成" in page.text and "100.0%" in page.text


def test_a_running_sweep_shows_a_progress_bar(client, auditor):
    FixitySweep.objects.create(
        trigger="schedule", total_blobs=10, total_bytes=1000, checked=4, checked_bytes=400
    )
    client.force_login(auditor)
    page = client.get(reverse("fixity_sweeps"))
    assert '<progress class="fixity-progress" value="400" max="1000">' in page.text
    assert "40.0%" in page.text


@pytest.mark.parametrize("who", ["custodian", "auditor", "head", "city_admin"])
def test_the_page_is_for_custodians_auditors_heads_and_the_city(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("fixity_sweeps")).status_code == 200


@pytest.mark.parametrize("who", ["officer", "outsider", "commission"])
def test_others_get_403(client, request, who):
    """Refused with the reason (the capability table's policy inside the scope)."""
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("fixity_sweeps")).status_code == 403
    assert client.post(reverse("fixity_sweep_start")).status_code == 403
    assert not DBTaskResult.objects.exists()


def test_the_button_queues_a_sweep_that_the_worker_runs(
    custodian, store, put_blobs, no_close_connections
):
    put_blobs(store, n=2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(custodian)
    page = client.get(reverse("fixity_sweeps"))
    token = page.context["csrf_token"]

    response = client.post(reverse("fixity_sweep_start"), {"csrfmiddlewaretoken": str(token)})

    assert response.status_code == 302
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.READY
    requested = Event.objects.get(action="fixity.sweep_requested")
    assert requested.actor == custodian
    assert json.loads(requested.body)["task_id"] == str(task.id)

    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)

    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    sweep = FixitySweep.objects.get()
    assert sweep.trigger == "manual" and sweep.started_by == custodian
    assert sweep.status == "completed" and sweep.passed == 2


def test_the_button_refuses_while_a_sweep_runs(client, custodian):
    FixitySweep.objects.create(trigger="schedule")
    client.force_login(custodian)
    response = client.post(reverse("fixity_sweep_start"), follow=True)
    assert "已有完整性校验正在进行" in response.text
    assert not DBTaskResult.objects.exists()


def test_a_post_without_csrf_token_is_refused(custodian):
    client = Client(enforce_csrf_checks=True)
    client.force_login(custodian)
    assert client.post(reverse("fixity_sweep_start")).status_code == 403


def test_the_navigation_links_the_page_for_its_roles_only(client, custodian, officer):
    client.force_login(custodian)
    assert 'href="/fixity/"' in client.get(reverse("alert_list")).text
    client.force_login(officer)
    assert 'href="/fixity/"' not in client.get(reverse("alert_list")).text
