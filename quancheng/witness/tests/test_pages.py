"""The witnessing page (见证), a witnessed log's page and the cosigned checkpoint text."""

import pytest
from django.db import transaction

from quancheng.ledger import checkpoints
from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import make_checkpoint
from quancheng.ledger.services import record_event
from quancheng.witness import config
from quancheng.witness.models import Cosignature
from quancheng.witness.witnessing import add_checkpoint, register_log

from .conftest import FakeLog

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _static_without_manifest(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def witnessed(witness_settings, agency):
    log = FakeLog(origin="yuzhong.example/ledger", leaves=6)
    registered = register_log(None, log.origin, log.vkey, agency)
    assert add_checkpoint(log.request(0)).status == 200
    registered.refresh_from_db()
    return registered


def test_the_page_needs_a_login(client):
    response = client.get("/witness/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_page_shows_witnessed_logs_and_this_witness_key(client, custodian, witnessed):
    client.force_login(custodian)
    page = client.get("/witness/").content.decode()
    assert "yuzhong.example/ledger" in page
    assert config.own_witness_vkey() in page
    assert witnessed.latest_root in page
    assert "未配置见证方" in page


def test_an_outsider_sees_neither_the_log_nor_its_page(client, outsider, witnessed):
    client.force_login(outsider)
    assert "yuzhong.example/ledger" not in client.get("/witness/").content.decode()
    assert client.get(f"/witness/logs/{witnessed.pk}/").status_code == 404


def test_the_log_page_lists_what_was_received(client, auditor, witnessed):
    client.force_login(auditor)  # the city's legal auditor sees every district
    page = client.get(f"/witness/logs/{witnessed.pk}/").content.decode()
    assert witnessed.verifier_key in page
    assert "已联署" in page


def test_checkpoints_are_shown_with_their_cosignatures(client, officer, witness_settings):
    with transaction.atomic():
        record_event(None, Action.JOB_RETRIED, None, {}, object_type="test", object_id="1")
    checkpoint = make_checkpoint()
    Cosignature.objects.create(
        checkpoint=checkpoint,
        witness_name="city.example/witness",
        signature_line="\u2014 city.example/witness AAAA",
        timestamp=1,
    )
    client.force_login(officer)
    page = client.get("/witness/").content.decode()
    assert "city.example/witness" in page
    text = client.get(f"/witness/checkpoint/{checkpoint.size}")
    assert text["Content-Type"].startswith("text/plain")
    assert text.content.decode() == checkpoint.signed_note + "\u2014 city.example/witness AAAA\n"
    assert client.get("/witness/checkpoint").content == text.content
    assert client.get("/witness/checkpoint/999999").status_code == 404
    assert checkpoints.origin() in text.content.decode()
