import datetime as dt

import pytest

from .scene import END, START

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A11-mandatory")]


def test_fires_when_an_interrogation_has_no_av(scene):
    [hit] = scene("interrogation", compliant=False).hits("A11-mandatory")
    assert hit.key == "absent" and hit.missing_record


def test_fires_when_a_flagged_inspection_starts_recording_late(scene):
    built = scene(compliant=False)
    built.act.involves_life_or_property = True
    built.act.save()
    built.segment(START + dt.timedelta(minutes=5), END)
    [hit] = built.hits("A11-mandatory")
    assert hit.key == "late_start" and "未在到达现场时开启" in hit.params["problem"]
    assert "5分0秒后" in hit.params["problem"] and hit.evidence["late_seconds"] == 300


def test_silent_when_recorded_over_the_whole_act(scene):
    built = scene("interrogation")
    assert built.hits("A11-mandatory") == []
    flagged = scene()
    flagged.act.involves_life_or_property = True
    flagged.act.save()
    assert flagged.hits("A11-mandatory") == []
