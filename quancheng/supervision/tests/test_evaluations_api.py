"""考评定稿 through the API (issue 18): POST /api/v1/evaluations/{id}/finalise asks for
"confirm": true, like the page's second submit."""

import datetime as dt

import pytest

from quancheng.api.tests.client import assert_error
from quancheng.ledger.models import Event
from quancheng.supervision import evaluations

pytestmark = pytest.mark.django_db

Q1 = {
    "period_label": "2026年第一季度",
    "period_start": dt.date(2026, 1, 1),
    "period_end": dt.date(2026, 3, 31),
}
ALL_ITEMS = {
    "E-registration": "8",
    "E-explanations": "9.5",
    "D-equipment": "10",
    "D-maintenance": "6",
    "A-retention": "7",
    "E-recording": "20",
    "A-dossiers": "18",
}


def test_finalising_an_evaluation_through_the_api(api_as, commission, agency, head, officer):
    evaluation = evaluations.create_evaluation(commission, agency, **Q1)
    evaluations.score_evaluation(commission, evaluation, ALL_ITEMS)
    url = f"/evaluations/{evaluation.pk}/finalise"
    # The agency head reads evaluations but does not make them; an officer does neither.
    for person in (head, officer):
        assert_error(api_as(person).post(url, {"confirm": True}), 403, "forbidden")

    api = api_as(commission)
    events = Event.objects.count()
    r = api.post(url)
    assert_error(r, 400, "confirmation_required")
    assert any("只读" in line for line in r.json()["fields"]["confirm"])
    evaluation.refresh_from_db()
    assert not evaluation.is_final and Event.objects.count() == events

    r = api.post(url, {"confirm": True})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "final" and body["finalised_at"].endswith("+08:00")
    assert body["total"] == 78.5 or str(body["total"]) == "78.5"
    assert Event.objects.for_object(evaluation).last().action == "evaluation.finalised"
    assert_error(api.post(url, {"confirm": True}), 409, "already_final")


def test_an_unscored_evaluation_is_refused_in_chinese(api_as, commission, agency):
    evaluation = evaluations.create_evaluation(commission, agency, **Q1)
    r = api_as(commission).post(f"/evaluations/{evaluation.pk}/finalise", {"confirm": True})
    assert r.status_code == 400 and "尚未评分" in r.json()["message"]
    evaluation.refresh_from_db()
    assert not evaluation.is_final
