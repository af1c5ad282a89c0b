"""Making an extraction package (证据提取包) of one large video, against the bare file work.

Usage (from the checkout root; a temporary SQLite database and var directory, removed at exit):

    .venv/bin/python bench/extraction_bench.py [--mb 256] [--rounds 2]

Each round stores a fresh random file of ``--mb`` MiB as a segment of an act, then times

- the baseline: what any bag of that file must do at the least, in this process: copy it once
  and read it once computing SHA-256 and SHA-512;
- the package: ``access.package.produce`` (note rendered and signed, checkpoint, ledger bundle
  with the copy re-hashed, bagit's SHA-256 and SHA-512 manifests, the zip, storing the zip).

It prints the median of the rounds' ratios (package / baseline) and the growth of the process's
peak resident memory (VmHWM) during production, which stays far below the file's size because
every step streams. A warm-up package of 1 MiB is made first and not reported: the first note
loads WeasyPrint, pyHanko and the CJK fonts into the process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Timer, django_for_bench, machine_note

MiB = 1024 * 1024


def peak_rss() -> int:
    """VmHWM of this process in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def write_random(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))


def baseline(path: Path, work: Path) -> float:
    with Timer() as t:
        shutil.copyfile(path, work / "copy")
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        with open(work / "copy", "rb") as f:
            while chunk := f.read(4 * MiB):
                sha256.update(chunk)
                sha512.update(chunk)
    (work / "copy").unlink()
    return t.seconds


def scene():
    """The people, the act and the agency's demo certificate."""
    from django.utils import timezone

    from quancheng.cases.services import create_act
    from quancheng.conftest import make_person
    from quancheng.demo.ca import make_demo_certificates
    from quancheng.orgs.models import Agency, Role
    from quancheng.orgs.seed import load_organisation
    from quancheng.subjects.services import create_subject

    load_organisation()
    agency = Agency.objects.get(code="d03-zf")
    officer = make_person("zhangwei", "张伟", agency)
    colleague = make_person("lina", "李娜", agency)
    head = make_person("liuyang", "刘洋", agency, Role.HEAD)
    subject = create_subject(
        officer, agency, name="解放碑口腔诊所", kind="medical", address="邹容路100号"
    )
    start = timezone.now() - dt.timedelta(hours=3)
    act = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=start,
        ended_at=start + dt.timedelta(minutes=45),
        place=subject.address,
        subject=subject,
    )
    make_demo_certificates(None, [agency])
    return officer, head, act


def package_round(officer, head, act, path: Path) -> tuple[float, int]:
    from django.db import transaction

    from quancheng.access.extraction import decide_extraction, request_extraction
    from quancheng.access.package import produce
    from quancheng.records.items import create_segment
    from quancheng.records.services import blob_store, register_blob

    with open(path, "rb") as f:
        info = blob_store().put(f)
    with transaction.atomic():
        blob = register_blob(info, act.agency)
    segment = create_segment(
        officer, agency=act.agency, blob=blob, source="upload", act=act, content_type="video/mp4"
    )
    extraction = request_extraction(
        officer, purpose="bench", act=act, items=[{"kind": "segment", "id": segment.pk}]
    )
    decide_extraction(head, extraction, approve=True)  # no worker: produced below, timed
    before = peak_rss()
    with Timer() as t:
        done = produce(extraction.pk)
    assert done is not None and done.status == "produced", done and done.error
    return t.seconds, peak_rss() - before


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    os.environ.setdefault("QC_DOCUMENT_KEY_PASSPHRASE", "bench-passphrase")
    os.environ["QC_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    label = django_for_bench("extraction", "sqlite")
    from django.conf import settings

    work = Path(settings.VAR_DIR) / "bench"
    work.mkdir()
    officer, head, act = scene()
    # Warm-up, not reported: the first note loads WeasyPrint, pyHanko and the CJK fonts (a few
    # hundred MiB that stay in the process whatever the video's size).
    warm = work / "warm-up.mp4"
    write_random(warm, MiB)
    package_round(officer, head, act, warm)
    warm.unlink()
    ratios, growths = [], []
    print(f"extraction_bench on {label}, one segment of {args.mb} MiB per package")
    print("round  baseline s  package s  package/baseline  peak RSS growth MiB")
    for number in range(1, args.rounds + 1):
        path = work / f"video-{number}.mp4"
        write_random(path, args.mb * MiB)
        base = baseline(path, work)
        seconds, growth = package_round(officer, head, act, path)
        path.unlink()
        ratios.append(seconds / base)
        growths.append(growth)
        ratio, grown = seconds / base, growth / MiB
        print(f"{number:5}  {base:10.2f}  {seconds:9.2f}  {ratio:16.2f}  {grown:19.1f}")
    print(f"median package/baseline: {statistics.median(ratios):.2f}")
    print(f"largest peak RSS growth: {max(growths) / MiB:.1f} MiB for a {args.mb} MiB file")
    print(machine_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
