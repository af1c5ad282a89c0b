"""Page timings on a generated city: p95 of the dashboard, the act list and the act page.

Usage: .venv/bin/python bench/page_timings.py [--districts D] [--acts N] [--events E]
                                              [--requests R] [--db postgres|sqlite]

1. Builds a demo city (quancheng.supervision.democity, the code behind make_demo_city) of N
   acts in D districts - about 10 segments per act, documents, registrations, markers, the rules
   evaluated - with blob rows only (no content: nothing here reads a file), then appends
   ``segment.viewed`` events (the access log) in bulk until the ledger holds E events.
   The issue's 1/10 city scale is --acts 100000 (1M segments) --events 10000000.
2. Measures, with Django's test client, R requests each (after 3 warm-ups) of the dashboard
   (/, a district head), the act list (/acts/, the head) and the act page (/acts/<id>/ of the
   act with the most segments), and for information the statistics page; prints median and
   p95 in ms and the ratio of p95 to the baseline: the median round trip of ``SELECT 1``
   measured in the same run.
3. Counts the SQL queries of each page at two sizes: the act list at 25 and 100 acts per page,
   the act page for an act with few and with many segments, the dashboard for a district head
   and a city administrator. The counts must not grow with the rows shown.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Timer, django_for_bench, machine_note, median, percentile

FILLER_CHUNK = 20_000
TARGET_MS = 150


def build(districts: int, acts: int, events: int, seed: int = 1) -> dict:
    from django.db import transaction

    from quancheng.cases.models import Act
    from quancheng.ledger.models import LedgerHead
    from quancheng.records.models import Document, Segment
    from quancheng.supervision.democity import CityPlan, build_city
    from quancheng.supervision.ledger_bulk import EventSpec, append_events

    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"  [{time.perf_counter() - started:7.1f} s] {message}", flush=True)

    with Timer() as city_time:
        if Act.objects.exists():  # a kept database (--keep): the city is there, top up events
            say("城市已存在，不再生成")
        else:
            build_city(
                CityPlan(districts=districts, acts=acts, seed=seed, store_blobs=False),
                progress=say,
            )
    size = LedgerHead.objects.get(id=1).seq
    rng = random.Random(seed)  # noqa: S311 - which segments the filler "views"
    segment_ids = list(Segment.objects.values_list("pk", "agency_id")[:100_000])
    with Timer() as filler_time:
        while size < events:
            count = min(FILLER_CHUNK, events - size)
            picks = [rng.choice(segment_ids) for _ in range(count)]
            with transaction.atomic():
                size += append_events(
                    EventSpec(
                        "segment.viewed", "records.segment", str(pk), {"via": "bench"}, None, agency
                    )
                    for pk, agency in picks
                )
            if size % 500_000 < FILLER_CHUNK:
                say(f"账本事件 {size}/{events}")
    return {
        "acts": Act.objects.count(),
        "segments": Segment.objects.count(),
        "documents": Document.objects.count(),
        "events": size,
        "city_seconds": city_time.seconds,
        "filler_seconds": filler_time.seconds,
    }


def _baseline(samples: int = 200) -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            start = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            times.append(time.perf_counter() - start)
    return median(times) * 1000


def _client(username: str):
    from django.test import Client

    from quancheng.orgs.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _time(client, url: str, requests: int) -> list[float]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    return times


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured.captured_queries)


def measure(requests: int) -> None:
    from django.conf import settings
    from django.db.models import Count

    from quancheng.cases.models import Act
    from quancheng.orgs.models import User
    from quancheng.records.models import Segment

    settings.ALLOWED_HOSTS = ["*"]
    # No collectstatic here: plain static URLs instead of the manifest's (as in the tests).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    head = User.objects.filter(username__endswith="-head").order_by("username").first()
    client = _client(head.username)
    per_act = (
        Segment.objects.filter(agency=head.agency, act__isnull=False)
        .values("act_id")
        .annotate(n=Count("id"))
    )
    most = per_act.order_by("-n", "act_id").first()
    fewest = per_act.order_by("n", "act_id").first()
    big_act, small_act = most["act_id"], fewest["act_id"]
    baseline = _baseline()
    print(f"baseline: SELECT 1 round trip, median {baseline:.3f} ms")
    print(f"{'page':<34}{'median ms':>10}{'p95 ms':>9}{'p95/base':>10}{'target':>9}")
    pages = [
        ("dashboard /", "/"),
        ("act list /acts/", "/acts/"),
        (f"act page ({most['n']} segments)", f"/acts/{big_act}/"),
    ]
    pages.append(("statistics /statistics/ (no target)", "/statistics/"))
    for label, url in pages:
        times = _time(client, url, requests)
        p95 = percentile(times, 0.95)
        verdict = "ok" if p95 <= TARGET_MS else "MISSED"
        if "no target" in label:
            verdict = "-"
        print(f"{label:<34}{median(times):>10.1f}{p95:>9.1f}{p95 / baseline:>10.0f}{verdict:>9}")
    print("SQL queries per page at two sizes (must not grow with the rows):")
    sizes = []
    for page_size in (25, 100):
        settings.QC_PAGE_SIZE = page_size
        sizes.append(_queries(client, "/acts/"))
    settings.QC_PAGE_SIZE = 25
    print(f"  act list, 25 / 100 acts per page: {sizes[0]} / {sizes[1]}")
    print(
        f"  act page, {fewest['n']} / {most['n']} segments: "
        f"{_queries(client, f'/acts/{small_act}/')} / {_queries(client, f'/acts/{big_act}/')}"
    )
    admin = _client("city-admin")
    print(
        f"  dashboard, district head / city administrator "
        f"({Act.objects.filter(agency=head.agency).count()} / {Act.objects.count()} acts): "
        f"{_queries(client, '/')} / {_queries(admin, '/')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=10)
    parser.add_argument("--acts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument(
        "--keep",
        metavar="NAME",
        default="",
        help="keep the city in database qc_bench_NAME; a later run with the same NAME measures "
        "it again without building (PostgreSQL)",
    )
    args = parser.parse_args(argv)
    label = django_for_bench("pages", args.db, keep=args.keep)
    print(f"page_timings on {label}; {machine_note()}", flush=True)
    built = build(args.districts, args.acts, args.events)
    print(
        f"city: {built['acts']} acts, {built['segments']} segments, {built['documents']} "
        f"documents, {built['events']} ledger events; built in {built['city_seconds']:.0f} s "
        f"(+ {built['filler_seconds']:.0f} s of filler events)",
        flush=True,
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        # What autovacuum keeps up in a running installation: planner statistics, and the
        # visibility map that lets counts read an index alone. A freshly bulk-loaded city has
        # neither yet.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    measure(args.requests)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
