"""The act's timeline: coverage overall and per officer, gaps, overlaps, bounded queries."""

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from quancheng.cases.models import Act
from quancheng.compliance.timeline import build_timeline, build_timelines, union

from .scene import END, START

pytestmark = pytest.mark.django_db

M = dt.timedelta(minutes=1)


def test_coverage_gaps_and_per_officer_shares(scene):
    built = scene(compliant=False)
    built.segment(START, START + 20 * M)
    built.segment(START + 25 * M, START + 40 * M)
    built.segment(START + 10 * M, START + 30 * M, officer=built.colleague, device=built.device())
    timeline = build_timeline(built.act)
    assert timeline.covered == [(START, START + 40 * M)]
    assert timeline.gaps() == []
    assert timeline.coverage_ratio() == pytest.approx(40 / 60)
    shares = timeline.coverage_by_officer()
    assert shares[built.officer.pk] == pytest.approx(35 / 60)
    assert shares[built.colleague.pk] == pytest.approx(20 / 60)


def test_gaps_between_first_and_last_moment_and_the_minimum(scene):
    built = scene(compliant=False)
    built.segment(START, START + 10 * M)
    built.segment(START + 10 * M + dt.timedelta(seconds=20), START + 30 * M)
    built.segment(START + 33 * M, END)
    timeline = build_timeline(built.act)
    assert timeline.gaps(30) == [(START + 30 * M, START + 33 * M)]
    assert len(timeline.gaps(0)) == 2


def test_clock_offsets_are_already_applied_to_the_times(scene):
    """Ingest stores corrected times; the timeline uses them, not the camera's clock."""
    built = scene(compliant=False)
    built.segment(START, END, device_started_at=START + 7 * M, clock_offset_seconds=420)
    [row] = build_timeline(built.act).segments
    assert row.started_at == START and row.clock_offset_seconds == 420


def test_overlaps_only_within_one_device(scene):
    built = scene(compliant=False)
    a = built.segment(START, START + 20 * M)
    b = built.segment(START + 15 * M, START + 30 * M)
    built.segment(START, END, officer=built.colleague, device=built.device())
    pairs = build_timeline(built.act).overlaps()
    assert [(x.id, y.id) for x, y in pairs] == [(a.pk, b.pk)]


def test_markers_and_documents_on_the_axis(scene):
    built = scene()
    timeline = build_timeline(built.act)
    [door] = timeline.markers_of("arrival_door")
    assert door.at == START + dt.timedelta(seconds=10)
    assert [d.doc_type for d in timeline.documents] == ["现场笔录"]
    assert len(timeline.data_records) == 1


def test_queries_do_not_grow_with_acts_or_segments(scene):
    few = [scene().act]
    many = [scene().act for _ in range(3)]
    extra = scene(compliant=False)
    for i in range(6):
        extra.segment(START + i * 10 * M, START + (i + 1) * 10 * M)
    many.append(extra.act)
    acts_few = list(Act.objects.filter(pk__in=[a.pk for a in few]))
    acts_many = list(Act.objects.filter(pk__in=[a.pk for a in many]))
    with CaptureQueriesContext(connection) as one:
        build_timelines(acts_few)
    with CaptureQueriesContext(connection) as several:
        build_timelines(acts_many)
    assert len(one) == len(several) == 7  # with the fields of documents made on the platform


moments = st.integers(min_value=0, max_value=3600)


@given(st.lists(st.tuples(moments, moments), max_size=12))
def test_union_is_sorted_disjoint_and_covers_every_interval(pairs):
    intervals = [
        (START + dt.timedelta(seconds=min(a, b)), START + dt.timedelta(seconds=max(a, b)))
        for a, b in pairs
    ]
    merged = union(intervals)
    for (_, a_end), (b_start, _) in itertools.pairwise(merged):
        assert a_end < b_start
    for start, end in intervals:
        assert any(m_start <= start and end <= m_end for m_start, m_end in merged)
