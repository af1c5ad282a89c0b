import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A17-coercion")]


def test_fires_without_the_decision_or_the_site_record(scene):
    built = scene("seizure", compliant=False)
    built.document("现场笔录")
    segment = built.segment(built.act.started_at, built.act.ended_at)
    for kind in ("identity_stated", "certificate_shown", "party_signing"):
        built.mark(segment, kind, 5)
    hits = {h.key: h for h in built.hits("A17-coercion")}
    assert set(hits) == {"docs:0", "markers"}
    assert "《查封、扣押决定书》" in hits["docs:0"].params["missing"]
    assert hits["markers"].evidence["missing"] == ["rights_told"]


def test_silent_on_a_compliant_seizure_and_control(scene):
    assert scene("seizure").hits("A17-coercion") == []
    assert scene("control").hits("A17-coercion") == []
