"""Thumbnails and browser proxies (records/media.py): originals untouched, unreadable raised."""

import hashlib

import av
import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus

from quancheng.alerts.models import Alert
from quancheng.ledger.models import Event
from quancheng.records.media import make_derivatives, probe_file
from quancheng.records.models import Blob, Segment
from quancheng.records.services import blob_store

from .media_fixtures import store_segment

pytestmark = pytest.mark.django_db


def _read_blob(sha256: str) -> bytes:
    with blob_store().open(sha256) as f:
        return f.read()


def _open_blob(tmp_path, sha256: str, name: str):
    path = tmp_path / name
    path.write_bytes(_read_blob(sha256))
    return av.open(str(path))


def test_h264_mp4_gets_a_thumbnail_and_no_proxy(officer, act, clips, tmp_path):
    segment = store_segment(officer, clips["h264"], agency=act.agency, act=act)
    assert segment.media_status == Segment.MediaStatus.PENDING

    segment = make_derivatives(segment.pk)

    assert segment.media_status == Segment.MediaStatus.NOT_NEEDED
    assert segment.proxy is None
    with _open_blob(tmp_path, segment.thumbnail_id, "t.jpg") as thumb:
        stream = thumb.streams.video[0]
        assert stream.codec_context.name == "mjpeg"
        assert (stream.width, stream.height) == (64, 48)
    event = Event.objects.for_object(segment).filter(action="segment.derivatives_made").get()
    assert segment.thumbnail_id in event.body and '"proxy":null' in event.body
    assert Blob.objects.filter(sha256=segment.thumbnail_id, agency=act.agency).exists()


def test_h265_mp4_gets_an_h264_proxy_and_the_original_is_untouched(officer, act, clips, tmp_path):
    original = clips["h265"].read_bytes()
    segment = store_segment(officer, clips["h265"], agency=act.agency, act=act)

    segment = make_derivatives(segment.pk)

    assert segment.media_status == Segment.MediaStatus.READY
    assert segment.thumbnail_id and segment.proxy_id
    with _open_blob(tmp_path, segment.proxy_id, "p.mp4") as proxy:
        assert proxy.streams.video[0].codec_context.name == "h264"
        assert proxy.streams.audio[0].codec_context.name == "aac"
        assert sum(1 for _ in proxy.decode(video=0)) == 25
    # Faststart: the index (moov) comes before the media data, so a browser can seek at once.
    head = _read_blob(segment.proxy_id)
    assert 0 < head.find(b"moov") < head.find(b"mdat")
    # The original blob is byte for byte what was received.
    assert segment.blob_id == hashlib.sha256(original).hexdigest()
    assert blob_store().verify(segment.blob_id).ok
    assert _read_blob(segment.blob_id) == original


def test_avi_gets_a_video_only_proxy(officer, agency, clips, tmp_path):
    segment = store_segment(officer, clips["avi"], agency=agency)
    segment = make_derivatives(segment.pk)
    assert segment.media_status == Segment.MediaStatus.READY
    with _open_blob(tmp_path, segment.proxy_id, "p.mp4") as proxy:
        assert [s.codec_context.name for s in proxy.streams] == ["h264"]


@pytest.mark.parametrize("clip", ["truncated", "text"])
def test_a_file_that_cannot_be_parsed_is_kept_marked_and_raised(officer, agency, clips, clip):
    data = clips[clip].read_bytes()
    segment = store_segment(officer, clips[clip], agency=agency)

    segment = make_derivatives(segment.pk)

    assert segment.readable is False and segment.parse_error
    assert segment.media_status == Segment.MediaStatus.FAILED
    assert segment.thumbnail is None and segment.proxy is None
    assert _read_blob(segment.blob_id) == data  # kept byte for byte
    alert = Alert.objects.get(kind="records.unreadable", object_id=str(segment.pk))
    assert alert.agency == agency and ",custodian," in alert.audience
    assert segment.parse_error in str(alert.detail)
    assert Event.objects.for_object(segment).filter(action="segment.marked_unreadable").exists()

    # Running it again (forced) does not pile up alerts or events.
    make_derivatives(segment.pk, force=True)
    assert Alert.objects.filter(kind="records.unreadable").count() == 1
    assert Event.objects.for_object(segment).filter(action="segment.marked_unreadable").count() == 1


def test_a_segment_already_processed_is_left_alone(officer, agency, clips):
    segment = make_derivatives(store_segment(officer, clips["h264"], agency=agency).pk)
    before = Event.objects.count()
    assert make_derivatives(segment.pk).thumbnail_id == segment.thumbnail_id
    assert Event.objects.count() == before


def test_the_probe_says_what_a_browser_plays(clips):
    assert probe_file(clips["h264"]).browser_playable
    assert not probe_file(clips["h265"]).browser_playable
    assert not probe_file(clips["avi"]).browser_playable


def test_creating_a_segment_queues_its_derivatives_for_the_worker(
    officer, agency, clips, monkeypatch, django_capture_on_commit_callbacks
):
    # See ledger/tests/test_tasks.py: keep the test's own connection open in the worker.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        segment = store_segment(officer, clips["h265"], agency=agency)
    # The picture's clock is queued beside it (content/osd.py).
    assert sorted(r.task_path.rsplit(".", 1)[-1] for r in DBTaskResult.objects.all()) == [
        "make_segment_derivatives",
        "read_segment_osd",
    ]
    queued = DBTaskResult.objects.get(task_path__endswith="make_segment_derivatives")
    assert queued.args_kwargs["args"] == [segment.pk]

    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    segment.refresh_from_db()
    assert segment.media_status == Segment.MediaStatus.READY and segment.proxy_id


def test_the_command_processes_pending_segments(officer, agency, clips, capsys):
    segment = store_segment(officer, clips["avi"], agency=agency)
    call_command("make_derivatives")
    segment.refresh_from_db()
    assert segment.media_status == Segment.MediaStatus.READY
    assert "1 segment(s)" in capsys.readouterr().out
