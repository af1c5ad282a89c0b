import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A11-dispute")]


def test_fires_on_an_inspection_without_av(scene):
    built = scene(compliant=False)
    built.document("现场笔录")
    [hit] = built.hits("A11-dispute")
    assert hit.params["kind"] == "监督检查"


def test_silent_with_av_and_for_kinds_the_configuration_leaves_out(scene):
    assert scene().hits("A11-dispute") == []
    assert scene("deliberation", compliant=False).hits("A11-dispute") == []
