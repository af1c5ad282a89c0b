import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A15-docs")]


def test_fires_without_a_document_or_electronic_data(scene):
    built = scene(compliant=False)
    built.segment(built.act.started_at, built.act.ended_at)
    hits = built.hits("A15-docs")
    assert {h.key for h in hits} == {"docs:0", "data"}
    assert all(h.missing_record for h in hits)
    assert (
        "《现场笔录》或《责令（限期）改正通知书》或《卫生监督意见书》" in hits[0].params["missing"]
    )


def test_any_document_of_the_group_satisfies_it(scene):
    built = scene(compliant=False)
    built.document("卫生监督意见书")
    built.data()
    assert built.hits("A15-docs") == []
    assert scene().hits("A15-docs") == []
