"""Probing camera files with PyAV: times, streams, GPS, serials, and what counts as unreadable."""

import datetime as dt
import io
from decimal import Decimal

import pytest

from quancheng.records.probe import Unreadable, parse_iso6709, parse_tag_time, probe

from .ingest_media import clip_bytes, write_clip

UTC = dt.UTC


def test_a_camera_file_with_a_utc_time_is_read_as_written(tmp_path):
    data = clip_bytes("2026-03-12T01:30:15.000000Z", 2, tags=(("location", "+29.5630+106.5516/"),))
    info = probe(write_clip(tmp_path / "DSJ-001_20260312093015_0001.MP4", data))
    assert info.creation_time == dt.datetime(2026, 3, 12, 1, 30, 15, tzinfo=UTC)
    assert info.creation_time_had_zone is True
    assert info.container == "mp4"
    assert info.media_kind == "video"
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.width, info.height, info.frame_rate) == (64, 48, 10.0)
    assert info.duration_seconds == pytest.approx(2.0, abs=0.2)
    assert (info.gps_latitude, info.gps_longitude) == (Decimal("29.563000"), Decimal("106.551600"))
    assert info.device_serial == ""


def test_a_time_without_zone_is_beijing_time(tmp_path):
    """Cameras set to local time write 09:30:15 meaning 09:30:15 in Chongqing (01:30:15 UTC)."""
    data = clip_bytes("2026-03-12 09:30:15", metadata_keys=True)
    info = probe(write_clip(tmp_path / "naive.mp4", data))
    assert info.tags["creation_time"] == "2026-03-12 09:30:15"  # reached the file unchanged
    assert info.creation_time == dt.datetime(2026, 3, 12, 1, 30, 15, tzinfo=UTC)
    assert info.creation_time_had_zone is False


def test_quicktime_location_and_a_serial_tag_are_read(tmp_path):
    data = clip_bytes(
        "2026-03-12T01:30:15Z",
        tags=(
            ("com.apple.quicktime.location.ISO6709", "-33.8688+151.2093+012.0/"),
            ("serial_number", "DSJ-777"),
        ),
        metadata_keys=True,
    )
    info = probe(write_clip(tmp_path / "tags.mp4", data))
    assert (info.gps_latitude, info.gps_longitude) == (Decimal("-33.868800"), Decimal("151.209300"))
    assert info.device_serial == "DSJ-777"


def test_a_file_without_a_time_tag_has_no_creation_time(tmp_path):
    info = probe(write_clip(tmp_path / "untimed.mp4", clip_bytes("")))
    assert info.creation_time is None
    assert info.video_codec == "h264"


def test_an_open_binary_file_can_be_probed():
    info = probe(io.BytesIO(clip_bytes("2026-03-12T01:30:15Z")))
    assert info.creation_time == dt.datetime(2026, 3, 12, 1, 30, 15, tzinfo=UTC)


def test_a_file_cut_before_its_index_is_unreadable(tmp_path):
    data = clip_bytes("2026-03-12T01:30:15Z", 2)  # MP4 default: index (moov) at the end
    path = write_clip(tmp_path / "cut.mp4", data[: len(data) // 2])
    with pytest.raises(Unreadable):
        probe(path)


def test_a_file_cut_after_its_index_is_unreadable(tmp_path):
    """A faststart file still opens when cut; its missing tail is noticed without decoding."""
    data = clip_bytes("2026-03-12T01:30:15Z", 4, faststart=True)
    assert probe(write_clip(tmp_path / "whole.mp4", data)).duration_seconds == pytest.approx(4, 0.1)
    path = write_clip(tmp_path / "cut.mp4", data[: len(data) // 2])
    with pytest.raises(Unreadable, match="文件不完整"):
        probe(path)


@pytest.mark.parametrize("name", ["notes.txt", "notes.MP4"])
def test_a_text_file_is_unreadable_whatever_its_name(tmp_path, name):
    path = tmp_path / name
    path.write_text("执法记录仪导出说明\n" * 20, encoding="utf-8")
    with pytest.raises(Unreadable, match="不是可识别的音视频文件"):
        probe(path)


@pytest.mark.parametrize(
    ("value", "expected", "had_zone"),
    [
        ("2026-03-12T01:30:15.000000Z", dt.datetime(2026, 3, 12, 1, 30, 15, tzinfo=UTC), True),
        ("2026-03-12T09:30:15+0800", dt.datetime(2026, 3, 12, 1, 30, 15, tzinfo=UTC), True),
        ("2026-03-12 09:30:15", dt.datetime(2026, 3, 12, 1, 30, 15, tzinfo=UTC), False),
        ("2026:03:12 09:30:15", dt.datetime(2026, 3, 12, 1, 30, 15, tzinfo=UTC), False),
    ],
)
def test_tag_times(value, expected, had_zone):
    assert parse_tag_time(value) == (expected, had_zone)


@pytest.mark.parametrize(
    "value", ["1904-01-01T00:00:00.000000Z", "1970-01-01 08:00:00", "soon", ""]
)
def test_unset_or_malformed_tag_times_are_no_time(value):
    assert parse_tag_time(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+29.5630+106.5516/", ("29.563000", "106.551600")),
        ("+29.5630+106.5516+245.3/", ("29.563000", "106.551600")),
        ("+2933.78+10633.096/", ("29.563000", "106.551600")),  # degrees and minutes
        ("+293346.8+1063305.76/", ("29.563000", "106.551600")),  # degrees, minutes, seconds
        ("-33.8688-070.6693/", ("-33.868800", "-70.669300")),
        ("+29.5630+106.5516CRSWGS_84/", ("29.563000", "106.551600")),
    ],
)
def test_iso6709_points(value, expected):
    lat, lon = parse_iso6709(value)
    assert (str(lat), str(lon)) == expected


@pytest.mark.parametrize("value", ["+95.0+106.0/", "+29.5+190.0/", "+2975.0+10633.0/", "重庆", ""])
def test_impossible_iso6709_points_are_ignored(value):
    assert parse_iso6709(value) is None
