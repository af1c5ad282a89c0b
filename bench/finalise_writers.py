"""Other writers while documents are finalised (issue 16, point 4): p95 of their writes.

Usage: .venv/bin/python bench/finalise_writers.py [--writers 10] [--finalisations 6]
                                                  [--db sqlite|postgres|both]

Ten concurrent writers on one database, each its own process: two finalise complete 现场笔录
drafts one after the other (render, sign, store, commit: `documents.services.finalise`), the
others save drafts in a loop (`save_draft`, one short transaction with its ledger event) until
the finalisers are done. Two runs, one after the other on the same database:

- ``held``: the shape before issue 16: the whole finalisation inside one write transaction
  (`transaction.atomic()` around `finalise`, so rendering and signing hold the write lock);
- ``short``: `finalise` as it is: number reserved, PDF rendered and signed outside any
  transaction, then committed.

Prints the p50 and p95 latency of the saves in each run and the ratio held/short.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DATABASES, django_for_bench, machine_note, percentile, run_each_database


def build(finalisations: int, savers: int) -> dict:
    """People, an act, drafts to finalise (complete and signed) and one draft per saver."""
    import datetime as dt

    from django.utils import timezone

    from quancheng.cases.services import create_act
    from quancheng.conftest import credit_code, make_person
    from quancheng.demo.ca import make_demo_certificates
    from quancheng.documents import services
    from quancheng.documents.catalogue import load_catalogue
    from quancheng.documents.tests.conftest import doc_type, signature_png
    from quancheng.orgs.models import Agency
    from quancheng.orgs.seed import load_organisation
    from quancheng.subjects.services import create_subject

    load_organisation()
    load_catalogue()
    agency = Agency.objects.get(code="d03-zf")
    officer = make_person("zhangwei", "张伟", agency)
    colleague = make_person("lina", "李娜", agency)
    make_demo_certificates(None, [agency])
    subject = create_subject(
        officer, agency, name="重庆市渝中区解放碑口腔诊所", kind="medical",
        address="渝中区邹容路100号", credit_code=credit_code(1),
    )  # fmt: skip
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    act = create_act(
        officer, agency, [officer, colleague], kind="inspection", started_at=start,
        ended_at=start + dt.timedelta(minutes=45), place=subject.address, subject=subject,
    )  # fmt: skip
    kind = doc_type("现场笔录")

    def complete(n):
        draft = services.create_draft(officer, act, kind, {"findings": f"检查情况{n}"})
        for person in (officer, colleague):
            services.add_signature(  # each signs as themself, in their own session
                person,
                draft,
                role="officer",
                officer=person,
                image=signature_png(),
            )
        services.add_signature(officer, draft, role="party", name="王建国", image=signature_png())
        return draft

    return {
        "officer": officer,
        "to_finalise": [complete(n) for n in range(2 * finalisations)],
        "to_save": [services.create_draft(officer, act, kind) for _ in range(savers)],
    }


def _finaliser(mode: str, queue, officer_id: int, results) -> None:
    from django.db import OperationalError, transaction

    from quancheng.documents import services
    from quancheng.documents.models import DocumentDraft
    from quancheng.orgs.models import User

    officer = User.objects.get(pk=officer_id)
    while (pk := queue.get()) is not None:
        draft = DocumentDraft.objects.get(pk=pk)
        began = time.perf_counter()
        locked = False
        try:
            if mode == "held":
                with transaction.atomic():
                    services.finalise(officer, draft)
            else:
                services.finalise(officer, draft)
        except OperationalError:  # "database is locked" after the 20 s busy timeout
            locked = True
        results.put(("finalise", time.perf_counter() - began, locked))


def _saver(mode: str, pk: int, officer_id: int, done, results) -> None:
    from django.db import OperationalError

    from quancheng.documents import services
    from quancheng.documents.models import DocumentDraft
    from quancheng.orgs.models import User

    officer = User.objects.get(pk=officer_id)
    draft = DocumentDraft.objects.get(pk=pk)
    n = 0
    while not done.is_set():
        n += 1
        began = time.perf_counter()
        locked = False
        try:
            services.save_draft(officer, draft, {"findings": f"{mode}{n}"})
        except OperationalError:  # counted with the time it waited before giving up
            locked = True
        results.put(("save", time.perf_counter() - began, locked))


def run(mode: str, drafts: list, saves: list, officer) -> tuple[list[float], list[float], int]:
    """Two finalisers and the savers together, each its own process (as gunicorn's workers and
    the task worker are); (save latencies, finalise latencies, writes that gave up with
    "database is locked")."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each process opens its own
    mp = multiprocessing.get_context("fork")
    queue, results, done = mp.Queue(), mp.Queue(), mp.Event()
    for draft in drafts:
        queue.put(draft.pk)
    finalisers = [
        mp.Process(target=_finaliser, args=(mode, queue, officer.pk, results)) for _ in range(2)
    ]
    for _ in finalisers:
        queue.put(None)
    savers = [
        mp.Process(target=_saver, args=(mode, draft.pk, officer.pk, done, results))
        for draft in saves
    ]
    for process in finalisers + savers:
        process.start()
    for process in finalisers:
        process.join()
    done.set()
    for process in savers:
        process.join()
    times = {"save": [], "finalise": []}
    locked = 0
    while not results.empty():
        kind, seconds, gave_up = results.get()
        times[kind].append(seconds)
        locked += gave_up
    return times["save"], times["finalise"], locked


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--finalisations", type=int, default=6, help="per run")
    parser.add_argument("--db", choices=[*DATABASES, "both"], default="sqlite")
    args = parser.parse_args(argv)
    if args.db == "both":
        rest = [a for a in argv if a not in ("--db", "both")]
        return run_each_database(__file__, rest, list(DATABASES))
    label = django_for_bench("finalise", args.db)
    savers = args.writers - 2
    built = build(args.finalisations, savers)
    half = args.finalisations
    print(f"finalise_writers on {label}: {args.writers} writers (2 finalising, {savers} saving)")
    print("mode    saves  p50 ms  p95 ms  finalisations  mean finalise s  locked")
    p95 = {}
    for n, mode in enumerate(("held", "short")):
        drafts = built["to_finalise"][n * half : (n + 1) * half]
        saves, finals, locked = run(mode, drafts, built["to_save"], built["officer"])
        p95[mode] = percentile(saves, 0.95)
        print(
            f"{mode:<6} {len(saves):>6} {percentile(saves, 0.5) * 1000:>7.0f}"
            f" {p95[mode] * 1000:>7.0f} {len(finals):>14} {sum(finals) / len(finals):>16.2f}"
            f" {locked:>7}"
        )
    print(f"p95 held/short: {p95['held'] / p95['short']:.1f}")
    print(machine_note())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
