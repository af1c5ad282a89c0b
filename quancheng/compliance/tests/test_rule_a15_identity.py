import pytest

from quancheng.compliance.models import Marker

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A15-identity")]


def test_fires_when_identity_and_certificate_are_not_marked(scene):
    built = scene()
    Marker.objects.filter(kind__in=["identity_stated", "certificate_shown"]).update(
        withdrawn_at=built.act.ended_at
    )
    [hit] = built.hits("A15-identity")
    assert hit.params["items"] == "表明身份、出示执法证件"


def test_party_signing_is_needed_only_when_there_are_documents(scene):
    built = scene(compliant=False)
    segment = built.segment(built.act.started_at, built.act.ended_at)
    built.mark(segment, "identity_stated", 5)
    built.mark(segment, "certificate_shown", 6)
    assert built.hits("A15-identity") == []
    built.document("现场笔录")
    [hit] = built.hits("A15-identity")
    assert hit.params["items"] == "当事人签字确认"


def test_silent_on_the_compliant_act(scene):
    assert scene().hits("A15-identity") == []
