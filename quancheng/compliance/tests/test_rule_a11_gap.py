import datetime as dt

import pytest
from django.utils import timezone

from quancheng.compliance.models import Explanation

from .scene import END, START

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A11-gap")]

MID = START + dt.timedelta(minutes=30)
RESUME = MID + dt.timedelta(minutes=3)


def _gapped(scene):
    built = scene(compliant=False)
    first = built.segment(START, MID)
    second = built.segment(RESUME, END)
    return built, first, second


def test_fires_on_an_unexplained_three_minute_gap(scene):
    built, first, second = _gapped(scene)
    [hit] = built.hits("A11-gap")
    assert hit.params["duration"] == "3分0秒"
    assert hit.evidence["segments_before"] == [first.pk]
    assert hit.evidence["segments_after"] == [second.pk]


def test_a_voice_explanation_in_the_next_segment_satisfies_it(scene):
    built, _, second = _gapped(scene)
    built.mark(second, "interruption_explained", 20)
    assert built.hits("A11-gap") == []


def test_a_voice_explanation_much_later_does_not(scene):
    built, _, second = _gapped(scene)
    built.mark(second, "interruption_explained", 1200)
    assert len(built.hits("A11-gap")) == 1


def test_a_written_explanation_counts_only_when_made_after_the_act(scene):
    built, _, _ = _gapped(scene)
    common = {
        "act": built.act,
        "kind": "written_gap",
        "text": "记录仪电量耗尽",
        "requested_by": built.officer,
    }
    Explanation.objects.create(**common, requested_at=END - dt.timedelta(minutes=1))
    assert len(built.hits("A11-gap")) == 1
    Explanation.objects.create(**common, requested_at=timezone.now())
    assert built.hits("A11-gap") == []


def test_a_short_break_within_the_tolerance_and_overlapping_cameras_are_not_gaps(scene):
    built = scene(compliant=False)
    built.segment(START, MID)
    built.segment(MID + dt.timedelta(seconds=20), END)
    assert built.hits("A11-gap") == []
    covered = scene(compliant=False)
    covered.segment(START, MID)
    covered.segment(RESUME, END)
    covered.segment(
        MID - dt.timedelta(minutes=1), RESUME, officer=covered.colleague, device=covered.device()
    )
    assert covered.hits("A11-gap") == []
