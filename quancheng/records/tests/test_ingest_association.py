"""Association: which act a segment belongs to, and that people's decisions are never undone."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from quancheng.ledger.models import Event
from quancheng.records.association import (
    AUTO_LINK_REASON,
    associate,
    associate_waiting,
    matching_acts,
    queue_candidates,
)
from quancheng.records.ingest import parse_filename
from quancheng.records.items import link_item, unlink_item
from quancheng.records.models import Segment

from .ingest_scene import bj, make_act, make_segment


@pytest.fixture
def pair(officer, colleague):
    return [officer, colleague]


def reload(segment) -> Segment:
    return Segment.objects.get(pk=segment.pk)


def test_a_segment_inside_an_act_of_its_officer_is_linked(custodian, agency, subject, pair):
    act = make_act(pair[0], agency, pair, subject, bj(9))
    segment = make_segment(custodian, agency, bj(9, 10), 120, officer=pair[1])
    assert associate(custodian, segment) == act
    segment = reload(segment)
    assert segment.act == act and segment.subject == subject
    event = Event.objects.get(action="segment.linked", object_id=str(segment.pk))
    assert json.loads(event.body)["reason"] == AUTO_LINK_REASON


def test_the_tolerance_widens_the_act_window(custodian, agency, subject, pair, settings):
    settings.QC_ASSOCIATION_TOLERANCE_SECONDS = 300
    act = make_act(pair[0], agency, pair, subject, bj(9))  # 09:00–09:30
    early = make_segment(custodian, agency, bj(8, 56), 600, officer=pair[0])  # 4 min early
    late = make_segment(custodian, agency, bj(9, 26), 480, officer=pair[0])  # ends 09:34
    too_early = make_segment(custodian, agency, bj(8, 50), 600, officer=pair[0])
    assert matching_acts(early) == [act]
    assert matching_acts(late) == [act]
    assert matching_acts(too_early) == []
    settings.QC_ASSOCIATION_TOLERANCE_SECONDS = 0
    assert matching_acts(early) == []


def test_of_several_acts_the_largest_overlap_wins(custodian, agency, subject, pair, settings):
    settings.QC_ASSOCIATION_TOLERANCE_SECONDS = 300
    first = make_act(pair[0], agency, pair, subject, bj(9), minutes=30)  # 09:00–09:30
    second = make_act(pair[0], agency, pair, subject, bj(9, 28), minutes=30)  # 09:28–09:58
    # 09:27–09:32 lies within both windows: 3 min with the first, 4 min with the second.
    segment = make_segment(custodian, agency, bj(9, 27), 300, officer=pair[0])
    assert matching_acts(segment) == [second, first]
    assert associate(custodian, segment) == second


def test_acts_of_other_officers_or_districts_do_not_match(
    custodian,
    agency,
    subject,
    pair,
    head,
    outsider,
    outsider_colleague,
    other_agency,
    other_subject,
):
    make_act(outsider, other_agency, [outsider, outsider_colleague], other_subject, bj(9))
    mine = make_segment(custodian, agency, bj(9, 5), 60, officer=pair[0])
    assert matching_acts(mine) == []  # the act at that time is 江北区's
    make_act(pair[0], agency, pair, subject, bj(10))
    someone_else = make_segment(custodian, agency, bj(10, 5), 60, officer=head)
    assert matching_acts(someone_else) == []  # the head was not on that act
    no_officer = make_segment(custodian, agency, bj(10, 5), 60)
    untimed = make_segment(custodian, agency, None, officer=pair[0])
    assert associate(custodian, no_officer) is None
    assert associate(custodian, untimed) is None


def test_reassociation_never_moves_what_a_person_linked_or_unlinked(
    custodian, agency, subject, pair
):
    right = make_act(pair[0], agency, pair, subject, bj(9))
    other = make_act(pair[0], agency, pair, subject, bj(15))
    by_hand = make_segment(custodian, agency, bj(9, 5), 60, officer=pair[0])
    link_item(custodian, by_hand, other, reason="当事人陈述时段录像，人工核对")
    unlinked = make_segment(custodian, agency, bj(9, 6), 60, officer=pair[0])
    associate(custodian, unlinked)
    unlink_item(custodian, reload(unlinked), reason="画面为另一次检查")
    fresh = make_segment(custodian, agency, bj(9, 7), 60, officer=pair[0])

    result = associate_waiting(custodian)

    assert reload(by_hand).act == other  # a person's link stays
    assert reload(unlinked).act is None  # a person's unlink stays: it waits for them
    assert reload(fresh).act == right
    assert [s.pk for s, _ in result.linked] == [fresh.pk]
    assert [s.pk for s in result.waiting] == [unlinked.pk]


def test_segments_find_an_act_registered_after_their_ingest(custodian, agency, subject, pair):
    segment = make_segment(custodian, agency, bj(9, 5), 60, officer=pair[0])
    assert associate(custodian, segment) is None
    act = make_act(pair[0], agency, pair, subject, bj(9))
    out = io.StringIO()
    call_command("associate_segments", "--as", custodian.username, stdout=out, stderr=io.StringIO())
    assert reload(segment).act == act
    assert "已自动关联：1 个；仍待关联：0 个" in out.getvalue()


def test_associate_segments_refuses_read_only_people(commission):
    with pytest.raises(CommandError, match="无权关联"):
        call_command("associate_segments", "--as", commission.username, stdout=io.StringIO())


def test_queue_candidates_are_same_district_acts_of_the_day(
    custodian, agency, subject, pair, outsider, outsider_colleague, other_agency, other_subject
):
    morning = make_act(pair[0], agency, pair, subject, bj(9))
    evening = make_act(pair[0], agency, pair, subject, bj(20))
    make_act(pair[0], agency, pair, subject, bj(9) + dt.timedelta(days=1))
    make_act(outsider, other_agency, [outsider, outsider_colleague], other_subject, bj(9))
    segment = make_segment(custodian, agency, bj(12), 60, officer=custodian)
    assert queue_candidates(segment, custodian) == [morning, evening]


@pytest.mark.parametrize(
    ("name", "serial", "officer", "time"),
    [
        ("DSJ-001_20260312093015_0001.MP4", "DSJ-001", "", "2026-03-12T01:30:15+00:00"),
        ("DSJ001_20260312093015.mp4", "DSJ001", "", "2026-03-12T01:30:15+00:00"),
        ("ZFJLY7_010203_20260312093015_0002.MP4", "ZFJLY7", "010203", "2026-03-12T01:30:15+00:00"),
        ("DSJ-001_20261399093015_0001.MP4", "", "", None),  # not a date
        ("VID_0001.MP4", "", "", None),
    ],
)
def test_file_name_patterns(settings, name, serial, officer, time):
    info = parse_filename(name)
    assert (info.serial, info.officer) == (serial, officer)
    assert (info.time.isoformat() if info.time else None) == time


def test_file_name_patterns_are_configurable(settings):
    settings.QC_INGEST_FILENAME_PATTERNS = [r"REC(?P<time>[0-9]{14})-(?P<serial>[A-Z0-9]+)"]
    info = parse_filename("REC20260312093015-CAM7.AVI")
    assert info.serial == "CAM7"
    assert info.time == dt.datetime(2026, 3, 12, 1, 30, 15, tzinfo=dt.UTC)
    assert parse_filename("DSJ-001_20260312093015_0001.MP4").serial == ""


def test_bad_file_name_patterns_fail_at_start_up(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from quancheng.settings import envpatterns

    monkeypatch.setenv("QC_TEST_PATTERNS", r"(?P<serial>[A-Z]+ (?P<time>\d{14})")
    with pytest.raises(ImproperlyConfigured, match="not a regular expression"):
        envpatterns("QC_TEST_PATTERNS", "")
    monkeypatch.setenv("QC_TEST_PATTERNS", r"(?P<camera>[A-Z]+)_(?P<time>\d{14})")
    with pytest.raises(ImproperlyConfigured, match="must name groups"):
        envpatterns("QC_TEST_PATTERNS", "")
    monkeypatch.setenv(
        "QC_TEST_PATTERNS", r"(?P<serial>[A-Z]+)_(?P<time>\d{14})  X(?P<time>\d{14})"
    )
    assert len(envpatterns("QC_TEST_PATTERNS", "")) == 2


def test_a_hand_link_waiting_for_the_ledger_integrator_is_respected(
    custodian, agency, subject, pair, settings, monkeypatch
):
    """The unlink is committed but its event not yet integrated (a standing integrator has not
    reached it): re-association must still see it."""
    from quancheng.ledger import services
    from quancheng.ledger.models import StagedEvent

    right = make_act(pair[0], agency, pair, subject, bj(9))
    unlinked = make_segment(custodian, agency, bj(9, 6), 60, officer=pair[0])
    associate(custodian, unlinked)
    settings.QC_LEDGER_INTEGRATE_ON_COMMIT = False
    monkeypatch.setattr(services, "_in_test_case_transaction", lambda: False)
    unlink_item(custodian, reload(unlinked), reason="画面为另一次检查")
    assert StagedEvent.objects.filter(action="segment.unlinked").exists()
    assert not Event.objects.filter(action="segment.unlinked").exists()

    associate_waiting(custodian)

    assert reload(unlinked).act is None
    assert right.pk  # the act it would otherwise have been linked to again
