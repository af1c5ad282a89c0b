"""OCR of the picture's clock: seconds of OCR per minute of video (docs/performance.md).

    .venv/bin/python bench/ocr.py [--minutes 1] [--width 1280] [--height 720]

Makes a clip of ``--minutes`` with a burned-in OSD (quancheng/content/tests/clips.py, the
tests' own drawing) at the given size, then in the same run:

1. baseline: the sampled frames decoded with PyAV only (content/osd.py ``sample_frames``: the
   first second, one every 10 s, the last second);
2. OCR: the same sampling plus RapidOCR on each frame (``read_file``), engine loaded first.

Prints both per minute of video, their ratio, whether the OSD read back exactly, the machine
and its load. No database: the reading itself, not the job around it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quancheng.settings")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args(argv)
    from bench._common import announce

    announce("bench ocr")

    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("QC_VAR_DIR", folder)
        import django

        django.setup()
        from bench._common import machine_note
        from quancheng.content import ocr, osd
        from quancheng.content.tests import clips

        clips.WIDTH, clips.HEIGHT = args.width, args.height
        start = dt.datetime(2026, 11, 16, 9, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        path = clips.make_clip(
            Path(folder) / "osd.mp4",
            seconds=args.minutes * 60,
            picture_start=start,
            file_time=start,
            device="DSJ-A123456",
            officer="012345",
        )
        t0 = time.perf_counter()
        frames = sum(1 for _ in osd.sample_frames(path))
        decode = time.perf_counter() - t0
        t0 = time.perf_counter()
        ocr.engine()
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = osd.read_file(path)
        full = time.perf_counter() - t0
        exact = (
            result.picture_started_at == start
            and result.device_number == "DSJ-A123456"
            and result.officer_number == "012345"
        )
        per_minute = 1 / args.minutes
        print(
            f"OSD OCR, {args.width}x{args.height}, {args.minutes:g} min clip, "
            f"{frames} sampled frames; rapidocr-onnxruntime "
            f"{metadata.version('rapidocr-onnxruntime')}, onnxruntime "
            f"{metadata.version('onnxruntime')}"
        )
        print(f"engine load (once per process)     {load:8.2f} s")
        print(f"decode only (PyAV), per minute     {decode * per_minute:8.2f} s")
        print(f"decode + OCR, per minute           {full * per_minute:8.2f} s")
        print(f"ratio OCR run / decode only        {full / max(decode, 1e-9):8.1f}x")
        print(f"per sampled frame                  {full / max(frames, 1):8.2f} s")
        print(
            f"read back exactly: {'yes' if exact else 'NO'} "
            f"({result.picture_started_at}, {result.device_number}, {result.officer_number})"
        )
        print(f"{machine_note()}; {platform.processor() or platform.machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
