"""manage.py ingest_dock: a dock's folder of camera files becomes segments linked to their acts."""

import datetime as dt
import hashlib
import io
import json
import os

import pytest
from django.core.management import CommandError, call_command

from quancheng.alerts.models import Alert
from quancheng.ledger.models import Event
from quancheng.lib.blobstore.local import LocalBlobStore
from quancheng.lib.units import human_size
from quancheng.orgs.models import Role
from quancheng.records import ingest
from quancheng.records.association import AUTO_LINK_REASON
from quancheng.records.models import Blob, Segment
from quancheng.records.services import blob_store

from .ingest_media import clip_bytes, utc_tag, write_clip
from .ingest_scene import bj, camera, make_act, stamp


def run(folder, username="wangfang"):
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest_dock", str(folder), "--as", username, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def clip(start, seconds=2, **kw):
    return clip_bytes(utc_tag(start), seconds, **kw)


def events(action):
    return Event.objects.filter(action=action)


@pytest.fixture
def scene(officer, colleague, custodian, agency, subject):
    """Two acts of 张伟 and 李娜 (09:00–09:30, 14:00–14:30) and their cameras."""
    acts = {
        "morning": make_act(officer, agency, [officer, colleague], subject, bj(9)),
        "afternoon": make_act(
            officer, agency, [officer, colleague], subject, bj(14), kind="onsite"
        ),
    }
    cameras = {
        "DSJ-001": camera(custodian, agency, "DSJ-001", officer),
        "DSJ-002": camera(custodian, agency, "DSJ-002", colleague),
        # A camera whose clock runs an hour fast (device clock minus true time = +3600 s).
        "DSJ-003": camera(custodian, agency, "DSJ-003", officer, clock_offset=3600),
    }
    return acts, cameras


@pytest.fixture
def dock(tmp_path):
    """A folder as copied from a docking workstation, with everything a dock may contain."""
    root = tmp_path / "dock"
    files = {
        # 张伟's camera: two segments with a gap of 8 seconds between them, in the morning act.
        f"DSJ-001_{stamp(bj(9, 1))}_0001.MP4": clip(bj(9, 1)),
        f"DSJ-001_{stamp(bj(9, 1, 10))}_0002.MP4": clip(bj(9, 1, 10)),
        # 李娜's camera in the same act.
        f"DSJ-002_{stamp(bj(9, 1, 5))}_0001.MP4": clip(bj(9, 1, 5)),
        # 张伟's camera in the afternoon, in a sub-folder as some docks sort by day.
        f"{stamp(bj(14))[:8]}/DSJ-001_{stamp(bj(14, 5))}_0003.MP4": clip(bj(14, 5)),
        # The fast camera says 15:10; true time is 14:10, inside the afternoon act.
        f"DSJ-003_{stamp(bj(15, 10))}_0001.MP4": clip(bj(15, 10)),
        # 李娜 at noon: no act then, so it waits in the queue.
        f"DSJ-002_{stamp(bj(12))}_0002.MP4": clip(bj(12)),
        # No time tag and an unregistered camera; the name carries officer number and time.
        f"DSJ-009_lina_{stamp(bj(14, 15))}_0001.MP4": clip_bytes("", 2),
        # Damaged copies: a cut file and a text file.
        CUT: clip(bj(9, 20), 4)[:3000],
        "readme.txt": "执法记录仪导出说明\n".encode() * 10,
    }
    for name, data in files.items():
        write_clip(root / name, data)
    (root / "empty.MP4").write_bytes(b"")
    write_clip(root / ".hidden.MP4", clip(bj(9, 2)))
    write_clip(root / ".Trashes" / "DSJ-001_old.MP4", clip(bj(9, 3)))
    # Symbolic links leading out of the folder, to a file and to a folder of real clips.
    outside = tmp_path / "outside"
    write_clip(outside / "secret.MP4", clip(bj(9, 4)))
    os.symlink(outside / "secret.MP4", root / "outside.MP4")
    os.symlink(outside, root / "outside_dir")
    return root


CUT = f"DSJ-001_{stamp(bj(9, 20))}_0004.MP4"


def segment_named(name) -> Segment:
    return Segment.objects.get(original_filename=name)


def test_a_dock_folder_is_ingested_attributed_and_linked(scene, dock, officer, colleague):
    acts, _cameras = scene
    morning, afternoon = acts["morning"], acts["afternoon"]

    out, err = run(dock)

    assert Segment.objects.count() == 9
    expected = {
        f"DSJ-001_{stamp(bj(9, 1))}_0001.MP4": (morning, officer, "DSJ-001"),
        f"DSJ-001_{stamp(bj(9, 1, 10))}_0002.MP4": (morning, officer, "DSJ-001"),
        f"DSJ-002_{stamp(bj(9, 1, 5))}_0001.MP4": (morning, colleague, "DSJ-002"),
        f"DSJ-001_{stamp(bj(14, 5))}_0003.MP4": (afternoon, officer, "DSJ-001"),
        f"DSJ-003_{stamp(bj(15, 10))}_0001.MP4": (afternoon, officer, "DSJ-003"),
        f"DSJ-002_{stamp(bj(12))}_0002.MP4": (None, colleague, "DSJ-002"),
        f"DSJ-009_lina_{stamp(bj(14, 15))}_0001.MP4": (afternoon, colleague, None),
    }
    for name, (act, person, serial) in expected.items():
        segment = segment_named(name)
        assert segment.act == act, name
        assert segment.officer == person, name
        assert (segment.device.serial_number if segment.device else None) == serial, name
        assert segment.readable and segment.source == "ingest"
        assert (segment.video_codec, segment.audio_codec) == ("h264", "aac")
        assert (segment.width, segment.height) == (64, 48)
        assert segment.duration_seconds == pytest.approx(2, abs=0.2)
    # Linking to the act labels the segment and links its subject (A20, A21 ¶2).
    first = segment_named(f"DSJ-001_{stamp(bj(9, 1))}_0001.MP4")
    assert first.subject == morning.subject
    assert first.label_party == morning.subject.name
    assert first.started_at == bj(9, 1)
    assert first.ended_at == pytest.approx(bj(9, 1, 2), abs=dt.timedelta(milliseconds=200))
    # The time came from the file name when the file carried none.
    untimed = segment_named(f"DSJ-009_lina_{stamp(bj(14, 15))}_0001.MP4")
    assert untimed.started_at == untimed.device_started_at == bj(14, 15)

    # Ledger: each new file and each automatic link is an event, plus one for the run.
    assert events("segment.created").count() == 9
    linked = events("segment.linked")
    assert linked.count() == 6
    assert {json.loads(e.body)["reason"] for e in linked} == {AUTO_LINK_REASON}
    run_event = events("records.ingest_run").get()
    assert json.loads(run_event.body)["counts"] == {
        "ingested": 9,
        "present": 0,
        "unreadable": 2,
        "linked": 6,
        "waiting": 3,
        "skipped": 5,
    }

    # Progress on stderr, a line per file with its size; the summary on stdout.
    assert "[1/9]" in err and "[9/9]" in err and "KB" in err
    assert "新导入：9 个（其中无法解析 2 个）" in out
    assert "已自动关联：6 个" in out
    assert "待关联（在记录管理专人的待关联队列中）：3 个" in out
    assert "跳过：5 个" in out


def test_a_camera_with_a_known_clock_offset_gets_corrected_times_and_keeps_its_own(scene, dock):
    run(dock)
    segment = segment_named(f"DSJ-003_{stamp(bj(15, 10))}_0001.MP4")
    assert segment.device_started_at == bj(15, 10)  # what the camera said
    assert segment.started_at == bj(14, 10)  # true time
    assert segment.clock_offset_seconds == 3600
    assert segment.act == scene[0]["afternoon"]
    created = json.loads(events("segment.created").get(object_id=str(segment.pk)).body)
    assert created["clock_offset_seconds"] == 3600
    assert created["device_started_at"].startswith(bj(15, 10).astimezone(dt.UTC).isoformat()[:19])


def test_a_rerun_on_the_same_folder_adds_nothing_and_says_so(scene, dock):
    run(dock)
    before = (Segment.objects.count(), Blob.objects.count(), Alert.objects.count())
    created = events("segment.created").count()
    linked = events("segment.linked").count()

    out, err = run(dock)

    assert (Segment.objects.count(), Blob.objects.count(), Alert.objects.count()) == before
    assert events("segment.created").count() == created
    assert events("segment.linked").count() == linked
    assert "新导入：0 个" in out
    assert "已存在：9 个（未重复导入）" in out
    assert "本次没有新文件" in out
    assert err.count("已存在") == 9
    assert events("records.ingest_run").count() == 2


def test_unreadable_files_are_kept_byte_for_byte_and_raised_to_the_custodian(
    scene, dock, custodian, auditor, officer
):
    out, _ = run(dock)
    for name in (CUT, "readme.txt"):
        segment = segment_named(name)
        assert segment.readable is False
        assert segment.parse_error
        assert segment.act is None  # waits for the custodian
        with blob_store().open(segment.blob_id) as f:
            assert f.read() == (dock / name).read_bytes()
        alert = Alert.objects.get(kind="records.unreadable", object_id=str(segment.pk))
        assert name in alert.title
        assert alert.roles == [Role.CUSTODIAN]
        assert alert.detail["sha256"] == segment.blob_id
        assert alert in Alert.objects.visible_to(custodian)
        assert alert not in Alert.objects.visible_to(auditor)
        assert f"无法解析：{name}" in out
    # The name still tells the camera, officer and time of a damaged file; the custodian links it.
    cut = segment_named(CUT)
    assert cut.device.serial_number == "DSJ-001"
    assert cut.officer == officer
    assert cut.started_at == bj(9, 20)
    assert "音视频" in segment_named("readme.txt").parse_error
    assert events("alert.raised").count() == 2


def test_empty_hidden_and_linked_out_files_are_reported_not_ingested(scene, dock):
    out, _ = run(dock)
    names = set(Segment.objects.values_list("original_filename", flat=True))
    assert not names & {"empty.MP4", ".hidden.MP4", "DSJ-001_old.MP4", "outside.MP4", "secret.MP4"}
    # Nothing of the clip behind the symlink reached the store.
    secret = dock.parent / "outside" / "secret.MP4"
    assert not Blob.objects.filter(sha256=hashlib.sha256(secret.read_bytes()).hexdigest()).exists()
    assert "empty.MP4：空文件（0 字节），未导入" in out
    assert ".hidden.MP4：隐藏文件，未导入" in out
    assert ".Trashes：隐藏文件夹，未导入" in out
    assert "outside.MP4：符号链接指向文件夹之外，未跟随" in out
    assert "outside_dir：符号链接指向文件夹之外，未跟随" in out
    skipped = json.loads(events("records.ingest_run").get().body)["skipped"]
    assert {s["path"] for s in skipped} == {
        "empty.MP4",
        ".hidden.MP4",
        ".Trashes",
        "outside.MP4",
        "outside_dir",
    }


def test_an_officer_number_in_the_name_wins_over_the_assignment_and_is_noted(
    scene, tmp_path, colleague
):
    """A pooled camera (DSJ-001 is issued to 张伟) worn by 李娜, who logged in on it."""
    root = tmp_path / "dock"
    write_clip(root / f"DSJ-001_lina_{stamp(bj(9, 5))}_0001.MP4", clip(bj(9, 5)))
    out, _ = run(root)
    segment = Segment.objects.get()
    assert segment.officer == colleague
    assert segment.device.serial_number == "DSJ-001"
    assert segment.act == scene[0]["morning"]
    assert "与设备当日领用人（张伟）不一致" in out


def test_a_serial_tag_in_the_file_names_the_camera(scene, tmp_path, officer):
    root = tmp_path / "dock"
    data = clip(bj(9, 6), tags=(("serial_number", "DSJ-001"),), metadata_keys=True)
    write_clip(root / "VID_0001.MP4", data)
    run(root)
    segment = Segment.objects.get()
    assert segment.device.serial_number == "DSJ-001"
    assert segment.officer == officer
    assert segment.act == scene[0]["morning"]


def test_a_camera_of_another_district_is_not_attributed(
    scene, tmp_path, outsider, other_agency, custodian
):
    camera(outsider, other_agency, "JB-001", outsider)
    root = tmp_path / "dock"
    write_clip(root / f"JB-001_{stamp(bj(9, 7))}_0001.MP4", clip(bj(9, 7)))
    out, _ = run(root)
    segment = Segment.objects.get()
    assert segment.device is None and segment.officer is None and segment.act is None
    assert "设备编号 JB-001 未在本辖区设备登记中" in out


def test_the_run_needs_a_writer_with_an_agency_and_an_existing_folder(scene, tmp_path, commission):
    with pytest.raises(CommandError, match="不存在或已停用"):
        run(tmp_path, username="nobody")
    with pytest.raises(CommandError, match="无权导入"):
        run(tmp_path, username=commission.username)
    with pytest.raises(CommandError, match="不存在或不是文件夹"):
        run(tmp_path / "missing")
    assert not Segment.objects.exists()


def test_a_large_file_reports_progress_while_it_is_stored(scene, tmp_path, monkeypatch):
    # The store reads 1 KiB at a time here (4 MiB in production), a progress line every 4 KiB.
    store = LocalBlobStore(tmp_path / "small-chunks", chunk_size=1024)
    monkeypatch.setattr(ingest, "blob_store", lambda: store)
    monkeypatch.setattr(ingest, "PROGRESS_EVERY", 4096)
    root = tmp_path / "dock"
    data = clip(bj(9, 8), 4)
    write_clip(root / f"DSJ-001_{stamp(bj(9, 8))}_0001.MP4", data)
    _, err = run(root)
    steps = [line for line in err.splitlines() if " / " in line]
    assert len(steps) == (len(data) - 1) // 4096
    assert steps[0].endswith(f"4.0 KB / {human_size(len(data))}")
    assert store.exists(Segment.objects.get().blob_id)


def test_a_file_name_that_is_not_utf8_is_ingested_under_a_printable_name(scene, tmp_path):
    root = tmp_path / "dock"
    root.mkdir()
    # "执法" in GBK, as a camera with a Chinese firmware might name a file.
    raw = os.path.join(os.fsencode(root), "执法".encode("gbk") + b"\x01_0001.MP4")
    with open(raw, "wb") as f:
        f.write(clip(bj(9, 9)))
    out, _err = run(root)
    segment = Segment.objects.get()
    assert segment.original_filename.endswith("?_0001.MP4")
    assert "\ufffd" in segment.original_filename
    assert "新导入：1 个" in out
    assert events("records.ingest_run").count() == 1
