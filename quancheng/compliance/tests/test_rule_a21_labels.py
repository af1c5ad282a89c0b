import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A21-labels")]


def test_fires_on_unlabelled_av_and_missing_case_labels(scene, case):
    built = scene()
    built.act.case = case
    built.act.save()
    segment = built.main
    segment.label_place = ""
    segment.save()
    [hit] = built.hits("A21-labels")
    assert hit.params["missing"] == "地点、案卷号、案由"


def test_silent_when_linking_labelled_the_av(scene):
    assert scene().hits("A21-labels") == []
