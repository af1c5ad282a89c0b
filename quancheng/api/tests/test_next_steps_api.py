"""GET /api/v1/acts/{id}/next-steps: the act page's checklist for terminals."""

import datetime as dt

import pytest
import time_machine

from quancheng.compliance.tests.scene import END, START, Scene
from quancheng.ledger.models import Event

from .client import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(officer, colleague, agency, subject, settings, tmp_path):
    """An inspection of 16 Nov 2026 with its documents and data but no AV, not registered."""
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    scene = Scene(officer, colleague, agency, subject, "inspection")
    scene.document("现场笔录")
    scene.data()
    with time_machine.travel(END + dt.timedelta(hours=3), tick=False):
        yield scene


def test_the_steps_with_codes_texts_articles_and_this_users_actions(api_as, officer, built):
    events = Event.objects.count()
    response = api_as(officer).get(f"/acts/{built.act.pk}/next-steps")
    assert response.status_code == 200
    body = response.json()
    assert body["act_id"] == built.act.pk and body["complete"] is False
    codes = [s["code"] for s in body["steps"]]
    assert codes[0] == "record.missing_av" and codes[-1] == "registration.due"
    av = body["steps"][0]
    assert av["rule_id"] == "A11-mandatory" and av["severity"] == "error"
    assert av["article"].startswith("第十一条") and "音像记录" in av["text"]
    assert av["action"] == {
        "url": f"/acts/{built.act.pk}/upload/?return=checklist",
        "label": "上传音像记录",
    }
    registration = body["steps"][-1]
    assert registration["action"] is None and registration["actor"] == "记录管理专人"
    assert av["mine"] is True and registration["mine"] is False  # own steps first
    assert body["mine_complete"] is False
    assert Event.objects.count() == events


def test_the_custodian_gets_the_registration_action(api_as, custodian, built):
    body = api_as(custodian).get(f"/acts/{built.act.pk}/next-steps").json()
    registration = body["steps"][-1]
    assert registration["action"]["label"] == "登记记录"


def test_a_complete_act_says_so(api_as, officer, built):
    built.main = built.segment(START, END)
    for offset, kind in enumerate(
        ["arrival_door", "identity_stated", "certificate_shown", "rights_told", "party_signing"]
    ):
        built.mark(built.main, kind, 10 + offset * 60)
    built.mark(built.main, "door_at_end", 3590)
    built.register()
    body = api_as(officer).get(f"/acts/{built.act.pk}/next-steps").json()
    assert body == {"act_id": built.act.pk, "complete": True, "mine_complete": True, "steps": []}


def test_the_officers_part_done_the_registration_awaits_the_custodian(
    api_as, officer, custodian, built
):
    """A19, A21: once the recording is there, what is left (the registration) is the
    custodian's: the officer's own list is complete, the act's is not."""
    built.main = built.segment(START, END)
    for offset, kind in enumerate(
        ["arrival_door", "identity_stated", "certificate_shown", "rights_told", "party_signing"]
    ):
        built.mark(built.main, kind, 10 + offset * 60)
    built.mark(built.main, "door_at_end", 3590)
    body = api_as(officer).get(f"/acts/{built.act.pk}/next-steps").json()
    assert body["complete"] is False and body["mine_complete"] is True
    (step,) = body["steps"]
    assert step["code"] == "registration.due" and step["mine"] is False
    body = api_as(custodian).get(f"/acts/{built.act.pk}/next-steps").json()
    assert body["mine_complete"] is False and body["steps"][0]["mine"] is True


def test_outsider_gets_404(api_as, outsider, built):
    assert_error(api_as(outsider).get(f"/acts/{built.act.pk}/next-steps"), 404, "not_found")
