import pytest

from quancheng.compliance.models import Marker

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A16-service")]


def test_fires_when_a_notice_is_served_without_av(scene):
    built = scene("service", compliant=False)
    doc = built.document("行政处罚决定书")
    [hit] = built.hits("A16-service")
    assert hit.key == "av" and hit.evidence["documents"] == [doc.pk]


def test_fires_when_rights_are_not_told_on_a_prior_notice(scene):
    built = scene("service")
    Marker.objects.filter(kind="rights_told").update(withdrawn_at=built.act.ended_at)
    [hit] = built.hits("A16-service")
    assert hit.key == "rights" and "《行政处罚事先告知书》" in hit.params["problem"]


def test_silent_on_a_filmed_service_with_rights_told(scene):
    assert scene("service").hits("A16-service") == []
