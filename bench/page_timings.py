"""Page timings on a generated city: p95 and SQL queries of the pages people use most.

Usage: .venv/bin/python bench/page_timings.py [--districts D] [--acts N] [--events E]
                                              [--requests R] [--db postgres|sqlite]

1. Builds a demo city (quancheng.demo.city, the code behind make_demo_city) of N
   acts in D districts - about 10 segments per act, documents, registrations, markers, the rules
   evaluated - with blob rows only (no content: nothing here reads a file), then appends
   ``segment.viewed`` events (the access log) in bulk until the ledger holds E events.
   The issue's 1/10 city scale is --acts 100000 (1M segments) --events 10000000.
2. Measures, with Django's test client, R requests each (after 3 warm-ups) of the dashboard
   (/), the act list (/acts/), the act page (/acts/<id>/ of the act with the most segments),
   the statistics (/statistics/), the subject page (/subjects/<id>/ of the subject with the
   most acts), each as a district head and as the city administrator, and the head's
   approvals inbox (/access/inbox/); prints median and p95 in ms, the ratio of p95 to the
   baseline (the median round trip of ``SELECT 1`` measured in the same run) and the page's
   SQL queries.
3. Counts the SQL queries of pages at two sizes: the act list at 25 and 100 acts per page,
   the act page for an act with few and with many segments, the subject page for a subject
   with few and with many acts, the dashboard for a district head and a city administrator.
   The counts must not grow with the rows shown; compare the table of a 1/10 and a full city
   for growth with the data.

With --keep NAME and a city built by ``manage.py make_demo_city --scale S`` in database
qc_bench_NAME, it measures that city (nothing is built).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Timer, django_for_bench, machine_note, median, percentile

TARGET_MS = 150


def build(districts: int, acts: int, events: int, seed: int = 1, scale: float | None = None):
    """The city (built unless the kept database holds one) and its counts."""
    from quancheng.cases.models import Act
    from quancheng.demo.city import CityPlan, build_city, city_plan
    from quancheng.ledger.models import LedgerHead
    from quancheng.records.models import Document, Segment

    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"  [{time.perf_counter() - started:7.1f} s] {message}", flush=True)

    with Timer() as city_time:
        if Act.objects.exists():  # a kept database (--keep): the city is there
            say("城市已存在，不再生成")
        else:
            # Blob rows without content: nothing here reads a file.
            if scale is not None:
                plan = city_plan(scale, seed=seed, store_blobs=False)
            else:
                plan = CityPlan(districts, acts, seed=seed, store_blobs=False, events=events)
            build_city(plan, progress=say)
    return {
        "acts": Act.objects.count(),
        "segments": Segment.objects.count(),
        "documents": Document.objects.count(),
        "events": LedgerHead.objects.get(id=1).seq,
        "city_seconds": city_time.seconds,
    }


def disk_report(top: int = 8) -> None:
    """The database's size and its largest tables (with their indexes), PostgreSQL only."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database size: {cursor.fetchone()[0]}")
        cursor.execute(
            "SELECT relname, pg_size_pretty(pg_table_size(c.oid)), "
            "pg_size_pretty(pg_indexes_size(c.oid)), c.reltuples::bigint "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' "
            "ORDER BY pg_total_relation_size(c.oid) DESC LIMIT %s",
            [top],
        )
        print(f"  {'table':<28}{'table':>10}{'indexes':>10}{'rows':>14}")
        for name, table, indexes, rows in cursor.fetchall():
            print(f"  {name:<28}{table:>10}{indexes:>10}{rows:>14,}")


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


def _pages(head, admin_username: str) -> list[tuple[str, str, str]]:
    """(label, url, username) of each page measured: the issue's six pages, as the district
    head and as the city administrator (the approvals inbox is the head's alone)."""
    from django.db.models import Count

    from quancheng.cases.models import Act
    from quancheng.records.models import Segment

    per_act = (
        Segment.objects.filter(agency=head.agency, act__isnull=False)
        .values("act_id")
        .annotate(n=Count("id"))
    )
    most = per_act.order_by("-n", "act_id").first()
    busiest = (
        Act.objects.filter(agency=head.agency)
        .values("subject_id")
        .annotate(n=Count("id"))
        .order_by("-n", "subject_id")
        .first()
    )
    pages = []
    for who in (head.username, admin_username):
        pages += [
            ("dashboard /", "/", who),
            ("act list /acts/", "/acts/", who),
            (f"act page ({most['n']} segments)", f"/acts/{most['act_id']}/", who),
            ("statistics /statistics/", "/statistics/", who),
            (f"subject page ({busiest['n']} acts)", f"/subjects/{busiest['subject_id']}/", who),
        ]
    pages.append(("approvals inbox /access/inbox/", "/access/inbox/", head.username))
    return pages


def measure(requests: int) -> list[dict]:
    """p95 and queries of each page for each user; then the query counts at two sizes."""
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
    clients = {head.username: _client(head.username), "city-admin": _client("city-admin")}
    baseline = _baseline()
    print(f"baseline: SELECT 1 round trip, median {baseline:.3f} ms")
    print(
        f"{'page':<36}{'user':<22}{'median ms':>10}{'p95 ms':>9}{'p95/base':>10}"
        f"{'queries':>9}{'target':>8}"
    )
    results = []
    for label, url, who in _pages(head, "city-admin"):
        client = clients[who]
        times = _time(client, url, requests)
        p95 = percentile(times, 0.95)
        queries = _queries(client, url)
        verdict = "ok" if p95 <= TARGET_MS else "MISSED"
        print(
            f"{label:<36}{who:<22}{median(times):>10.1f}{p95:>9.1f}{p95 / baseline:>10.0f}"
            f"{queries:>9}{verdict:>8}",
            flush=True,
        )
        results.append({"page": label, "user": who, "p95": p95, "queries": queries})
    client = clients[head.username]
    print("SQL queries per page at two sizes (must not grow with the rows):")
    sizes = []
    for page_size in (25, 100):
        settings.QC_PAGE_SIZE = page_size
        sizes.append(_queries(client, "/acts/"))
    settings.QC_PAGE_SIZE = 25
    print(f"  act list, 25 / 100 acts per page: {sizes[0]} / {sizes[1]}")
    per_act = (
        Segment.objects.filter(agency=head.agency, act__isnull=False)
        .values("act_id")
        .annotate(n=Count("id"))
    )
    most = per_act.order_by("-n", "act_id").first()
    fewest = per_act.order_by("n", "act_id").first()
    small, big = (_queries(client, f"/acts/{row['act_id']}/") for row in (fewest, most))
    print(f"  act page, {fewest['n']} / {most['n']} segments: {small} / {big}")
    per_subject = (
        Act.objects.filter(agency=head.agency).values("subject_id").annotate(n=Count("id"))
    )
    few = per_subject.order_by("n", "subject_id").first()
    many = per_subject.order_by("-n", "subject_id").first()
    small, big = (_queries(client, f"/subjects/{row['subject_id']}/") for row in (few, many))
    print(f"  subject page, {few['n']} / {many['n']} acts: {small} / {big}")
    print(
        f"  dashboard, district head / city administrator "
        f"({Act.objects.filter(agency=head.agency).count()} / {Act.objects.count()} acts): "
        f"{_queries(client, '/')} / {_queries(clients['city-admin'], '/')}"
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=10)
    parser.add_argument("--acts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="a fraction of a full city (0.1: 38 districts, 100,000 acts, 10,000,000 events); "
        "overrides --districts, --acts and --events",
    )
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
    built = build(args.districts, args.acts, args.events, scale=args.scale)
    print(
        f"city: {built['acts']} acts, {built['segments']} segments, {built['documents']} "
        f"documents, {built['events']} ledger events; built in {built['city_seconds']:.0f} s",
        flush=True,
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        # What autovacuum keeps up in a running installation: planner statistics, and the
        # visibility map that lets counts read an index alone. A freshly bulk-loaded city has
        # neither yet.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    disk_report()
    print(f"load now: {machine_note()}", flush=True)
    measure(args.requests)
    print(f"load after: {machine_note()}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
