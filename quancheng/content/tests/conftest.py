"""Shared media for content analysis tests: three short clips made once per session, one
rendered 现场笔录 scan, and OCR results memoised per image (the engine is deterministic and
slow on a loaded CPU: each distinct frame or page is read once per session)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import transaction

from quancheng.compliance.tests.scene import START, Scene, at  # noqa: F401 - used by the tests
from quancheng.content import ocr
from quancheng.records.items import create_segment
from quancheng.records.services import blob_store, register_blob

from .clips import make_clip

DEVICE = "DSJ-A123456"
OFFICER_NUMBER = "012345"
# Clip "in step": the picture and the file agree. Clip "retimed": the file says 7 minutes
# earlier than the picture. Clip "plain": no OSD at all.
IN_STEP = at(2026, 11, 16, 9, 0, 5)
RETIMED_PICTURE = at(2026, 11, 16, 9, 20, 0)
RETIMED_FILE = RETIMED_PICTURE - dt.timedelta(minutes=7)
PLAIN = at(2026, 11, 16, 9, 40, 0)
CLIP_SECONDS = 3


@pytest.fixture(scope="session", autouse=True)
def _ocr_once_per_image():
    original = ocr.read_lines
    memo: dict[str, list] = {}

    def read_lines(image):
        key = hashlib.sha256(image.tobytes() + str(image.shape).encode()).hexdigest()
        if key not in memo:
            memo[key] = original(image)
        return memo[key]

    ocr.read_lines = read_lines
    yield
    ocr.read_lines = original


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("osd-clips")
    return {
        "in_step": make_clip(
            folder / "in_step.mp4",
            seconds=CLIP_SECONDS,
            picture_start=IN_STEP,
            file_time=IN_STEP,
            device=DEVICE,
            officer=OFFICER_NUMBER,
        ),
        "retimed": make_clip(
            folder / "retimed.mp4",
            seconds=CLIP_SECONDS,
            picture_start=RETIMED_PICTURE,
            file_time=RETIMED_FILE,
            device=DEVICE,
            officer=OFFICER_NUMBER,
        ),
        "plain": make_clip(
            folder / "plain.mp4", seconds=CLIP_SECONDS, picture_start=None, file_time=PLAIN
        ),
    }


def add_clip(built: Scene, path, started_at, device=None):
    """A segment of the scene's act holding the clip's real bytes, its file time given."""
    with open(path, "rb") as f:
        info = blob_store().put(f)
    with transaction.atomic():
        blob = register_blob(info, built.agency)
    with built.arriving():
        return create_segment(
            built.officer,
            agency=built.agency,
            blob=blob,
            source="upload",
            act=built.act,
            started_at=started_at,
            device_started_at=started_at,
            ended_at=started_at + dt.timedelta(seconds=CLIP_SECONDS),
            duration_seconds=CLIP_SECONDS,
            officer=built.officer,
            device=device or built.camera,
            original_filename=path.name,
            content_type="video/mp4",
        )
