import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A11-dispute")]


def test_fires_on_an_onsite_act_without_av(scene):
    built = scene("onsite", compliant=False)
    built.document("现场笔录")
    [hit] = built.hits("A11-dispute")
    assert hit.params["kind"] == built.act.get_kind_display()
    # An inspection without AV is A11-mandatory's (A15.2), not a mere warning.
    inspection = scene(compliant=False)
    assert inspection.hits("A11-dispute") == []
    assert [h.key for h in inspection.hits("A11-mandatory")] == ["absent"]


def test_silent_with_av_and_for_kinds_the_configuration_leaves_out(scene):
    assert scene().hits("A11-dispute") == []
    assert scene("deliberation", compliant=False).hits("A11-dispute") == []
