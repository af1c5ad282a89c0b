"""The retention configuration in the API: read by anyone signed in, changed by the city
administrator as a new version, refused below the legal floor with a JSON code (issue 17)."""

import pytest

from quancheng.api.tests.client import assert_error
from quancheng.archive.models import RetentionConfig
from quancheng.ledger.models import Event

pytestmark = pytest.mark.django_db


def test_anyone_signed_in_reads_the_configuration_in_force(api_as, officer):
    body = api_as(officer).get("/retention/config").json()
    assert body == {
        "version": 0,
        "effective_from": None,
        "dossier_classes": {
            "penalty_general": "30y",
            "penalty_summary": "10y",
            "inspection": "10y",
        },
        "non_evidence_min_months": 6,
    }


def test_the_city_administrator_saves_a_new_version(api_as, city_admin):
    api = api_as(city_admin)
    response = api.post(
        "/retention/config",
        {"dossier_classes": {"inspection": "30y"}, "non_evidence_min_months": 12, "note": "延长"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["non_evidence_min_months"]) == (1, 12)
    assert body["dossier_classes"]["inspection"] == "30y"
    assert api.get("/retention/config").json()["version"] == 1
    assert Event.objects.filter(action="archive.retention_config_changed").count() == 1


def test_a_minimum_below_the_legal_floor_is_refused_with_its_code(api_as, city_admin):
    events = Event.objects.count()
    response = api_as(city_admin).post("/retention/config", {"non_evidence_min_months": 5})
    body = assert_error(response, 400, "below_floor")
    assert "不得少于6个月" in body["message"]
    assert not RetentionConfig.objects.exists()
    assert Event.objects.count() == events


def test_others_may_not_change_it(api_as, officer):
    response = api_as(officer).post("/retention/config", {"non_evidence_min_months": 12})
    assert_error(response, 403, "forbidden")
    assert not RetentionConfig.objects.exists()
