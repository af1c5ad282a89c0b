import datetime as dt

import pytest

from .scene import END, START

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A15-complete")]


def test_fires_when_the_written_times_differ_from_the_av(scene):
    built = scene()
    doc = built.document(
        "现场笔录", (START + dt.timedelta(minutes=10), END + dt.timedelta(minutes=10))
    )
    [hit] = built.hits("A15-complete")
    assert hit.key == f"doc:{doc.pk}" and "相差600秒，允许120秒" in hit.params["problem"]
    assert hit.evidence["documents"] == [doc.pk]


def test_fires_when_a_timed_document_records_no_times(scene):
    built = scene()
    doc = built.document("询问记录", (None, None))
    [hit] = built.hits("A15-complete")
    assert hit.key == f"doc:{doc.pk}:times"


def test_silent_within_the_tolerance_and_for_untimed_document_types(scene):
    built = scene()
    built.document("现场笔录", (START + dt.timedelta(minutes=1), END - dt.timedelta(minutes=2)))
    built.document("卫生监督意见书", (START + dt.timedelta(hours=5), END + dt.timedelta(hours=5)))
    assert built.hits("A15-complete") == []
