import pytest

from .scene import END, START

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A15-door")]


def test_fires_without_the_storefront_on_arrival_and_at_the_end(scene):
    built = scene(compliant=False)
    segment = built.segment(START, END)
    built.mark(segment, "arrival_door", 1200)  # filmed, but twenty minutes in
    assert {h.key for h in built.hits("A15-door")} == {"arrival", "end"}


def test_silent_when_both_are_marked_near_the_start_and_end(scene):
    assert scene().hits("A15-door") == []
