import pytest

from quancheng.compliance.models import Marker

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A16-interrogation")]


def test_fires_without_the_record_and_without_rights_told(scene):
    built = scene("interrogation", compliant=False)
    segment = built.segment(built.act.started_at, built.act.ended_at)
    built.mark(segment, "identity_stated", 5)
    hits = {h.key: h for h in built.hits("A16-interrogation")}
    assert set(hits) == {"docs:0", "markers"}
    assert "《询问记录》" in hits["docs:0"].params["missing"]
    assert hits["markers"].evidence["missing"] == [
        "certificate_shown",
        "rights_told",
        "party_signing",
    ]


def test_deliberation_needs_its_record_but_no_party_markers(scene):
    built = scene("deliberation", compliant=False)
    built.segment(built.act.started_at, built.act.ended_at)
    [hit] = built.hits("A16-interrogation")
    assert hit.key == "docs:0"


def test_silent_on_a_compliant_interrogation(scene):
    built = scene("interrogation")
    assert built.hits("A16-interrogation") == []
    Marker.objects.filter(kind="rights_told").update(withdrawn_at=built.act.ended_at)
    assert len(built.hits("A16-interrogation")) == 1
