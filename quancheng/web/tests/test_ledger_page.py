"""The ledger page (账本与校验): what it shows, and who may queue a verification."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import make_checkpoint, verifier_key
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event
from quancheng.ledger.tasks import verify_whole_ledger
from quancheng.ledger.tests import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def _client(user, enforce_csrf=False):
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def _log(count):
    with transaction.atomic():
        for i in range(count):
            record_event(
                None, Action.JOB_RETRIED, None, {"i": i}, object_type="test", object_id=str(i)
            )


def test_the_page_needs_a_login():
    response = Client().get("/ledger/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_page_shows_size_key_checkpoints_and_results(officer, outsider):
    _log(3)
    checkpoint = make_checkpoint()
    verify_whole_ledger.call()
    for user in (officer, outsider):  # the ledger is the platform's, not one agency's
        response = _client(user).get("/ledger/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "账本与校验" in html
        assert verifier_key() in html
        assert checkpoint.signed_note.split("\n")[2] in html  # the root line of the note
        assert f"<td>{Event.objects.count()}</td>" in html
        assert "通过" in html
        # Officers and outsiders see no verification button.
        assert "校验整个账本" not in html


def test_a_failed_verification_is_shown(custodian):
    _log(3)
    make_checkpoint()
    tamper.edit_body(2, {"x": 1})
    verify_whole_ledger.call()
    html = _client(custodian).get("/ledger/").content.decode()
    assert "未通过" in html
    assert "事件被修改" in html


@pytest.mark.parametrize("role", ["custodian", "head", "auditor", "city_admin"])
def test_these_roles_queue_a_verification(role, request, monkeypatch):
    user = request.getfixturevalue(role)
    client = _client(user, enforce_csrf=True)
    page = client.get("/ledger/")
    assert "校验整个账本" in page.content.decode()
    token = page.cookies["csrftoken"].value
    response = client.post("/ledger/verify/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [user.pk]
    requested = Event.objects.get(action="ledger.verification_requested")
    assert requested.actor == user
    # The worker runs it and the result names who asked.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    verified = Event.objects.get(action="ledger.verified")
    assert verified.actor == user and '"outcome":"ok"' in verified.body


def test_the_post_needs_a_csrf_token(custodian):
    response = _client(custodian, enforce_csrf=True).post("/ledger/verify/")
    assert response.status_code == 403
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize("role", ["officer", "outsider", "commission"])
def test_other_roles_may_not_queue_one(role, request):
    user = request.getfixturevalue(role)
    response = _client(user).post("/ledger/verify/")
    assert response.status_code == 403
    assert not DBTaskResult.objects.exists()
    assert not Event.objects.filter(action="ledger.verification_requested").exists()
