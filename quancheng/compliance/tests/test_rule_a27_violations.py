import datetime as dt

import pytest

from .scene import END, START

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A27-violations")]


def test_fires_on_overlapping_segments_of_one_camera_and_on_damaged_av(scene):
    built = scene()
    overlapping = built.segment(END - dt.timedelta(minutes=10), END)
    damaged = built.segment(START, END, device=built.device(), readable=False)
    keys = {h.key for h in built.hits("A27-violations")}
    assert keys == {f"overlap:{built.main.pk}:{overlapping.pk}", f"unreadable:{damaged.pk}"}


def test_two_cameras_recording_at_once_is_normal(scene):
    built = scene()
    built.segment(START, END, officer=built.colleague, device=built.device())
    assert built.hits("A27-violations") == []
