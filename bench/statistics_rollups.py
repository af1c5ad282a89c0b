"""Statistics from rollups: p95 of /statistics/ and the dashboard for the city at full-city size.

Usage: .venv/bin/python bench/statistics_rollups.py [--db postgres|sqlite] [--months M]
                                                   [--officers O] [--devices V] [--requests R]
                                                   [--city-acts N]

The pages read the rollup tables only (supervision/rollups.py), so their cost is set by the
number of rollup rows, not of acts. This bench therefore:

1. builds a small real city (``--city-acts``, demo.city through the services' bulk path) and
   checks that ``rebuild_rollups`` then ``compare_rollups`` agree (0 differences), timing the
   rebuild;
2. writes rollup rows of the size a full Chongqing gives, directly: every district enforcement
   agency of the seeded organisation (38 districts), ``--months`` Asia/Shanghai months, every
   act kind, ``--officers`` officers per agency (rows per officer, month and the kinds they
   work), ``--devices`` cameras per agency, findings of every rated rule. The counts in the
   rows are plausible, not derived from acts: only the number of rows matters for the reads;
3. measures with Django's test client R requests (after 3 warm-ups) of /statistics/ for the
   city administrator by month, kind, district and officer, with the whole period and with
   one month; of the dashboard (/) for the city administrator and a district head; prints
   median and p95 in ms against the 150 ms target, and the SQL queries of each page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Timer, django_for_bench, machine_note, median, percentile

TARGET_MS = 150


def check_rebuild(acts: int) -> None:
    from quancheng.demo.city import CityPlan, build_city
    from quancheng.supervision.rollups import compare_rollups, rebuild_rollups

    if acts <= 0:
        return
    with Timer() as built:
        build_city(CityPlan(districts=2, acts=acts, seed=3, months=6, store_blobs=False))
    with Timer() as rebuilt:
        rebuild_rollups()
    differences = compare_rollups()
    print(
        f"real city of {acts} acts built in {built.seconds:.0f} s; rebuild_rollups "
        f"{rebuilt.seconds:.2f} s; rollups vs direct aggregation: {len(differences)} differences",
        flush=True,
    )
    if differences:
        raise SystemExit("\n".join(differences[:20]))


def fill(months: int, officers: int, devices: int, seed: int = 1) -> dict:  # noqa: C901 - one pass writing every rollup table of the bench city
    """Rollup rows of a full city, written directly (see the module docstring)."""
    from django.db import transaction

    from quancheng.cases.models import Act
    from quancheng.orgs.models import Agency, Role, User
    from quancheng.supervision.models import StatCount, StatDevice, StatRule
    from quancheng.supervision.statistics import RATED_RULES

    rng = random.Random(seed)  # noqa: S311 - synthetic figures
    for model in (StatCount, StatRule, StatDevice):
        model.objects.all().delete()
    agencies = list(Agency.objects.filter(code__endswith="-zf").exclude(code__startswith="cq"))
    kinds = list(Act.Kind.values)
    first = dt.date(2025, 1, 1)
    month_list = []
    for i in range(months):
        year, month = divmod(first.month - 1 + i, 12)
        month_list.append(dt.date(first.year + year, month + 1, 1))
    people = []
    for agency in agencies:
        for n in range(officers):
            people.append(
                User(
                    username=f"bench-{agency.code}-{n}",
                    full_name=f"执法人员{agency.code}{n}",
                    agency=agency,
                    role=Role.OFFICER,
                )
            )
    User.objects.bulk_create(people, batch_size=5000)
    staff = {}
    for pk, agency_id in User.objects.filter(username__startswith="bench-").values_list(
        "pk", "agency_id"
    ):
        staff.setdefault(agency_id, []).append(pk)
    counts = rules = device_rows = 0
    device_base = 1_000_000

    def cell(agency_id, month, kind, officer, acts):
        checked = int(acts * 0.9)
        registered = int(acts * 0.95)
        return StatCount(
            month=month,
            agency_id=agency_id,
            kind=kind,
            officer=officer,
            acts=acts,
            checked=checked,
            complete=int(checked * 0.8),
            mandatory_missing=int(acts * 0.03),
            gaps=int(acts * 0.05),
            registered=registered,
            on_time=int(registered * 0.9),
            delay_sum=registered * 2,
            delay_max=7,
            requests=int(acts * 0.02),
            approved=int(acts * 0.015),
            provisions=int(acts * 0.01),
        )

    for agency in agencies:
        rows_c, rows_r, rows_d = [], [], []
        cameras = [device_base + agency.pk * 1000 + n for n in range(devices)]
        for month in month_list:
            for kind in kinds:
                acts = rng.randint(5, 400)
                rows_c.append(cell(agency.pk, month, kind, 0, acts))
                for rule in RATED_RULES:
                    rows_r.append(
                        StatRule(
                            month=month,
                            agency_id=agency.pk,
                            kind=kind,
                            officer=0,
                            rule_id=rule,
                            acts=rng.randint(0, acts // 5),
                        )
                    )
                for device in rng.sample(cameras, k=min(len(cameras), max(1, acts // 8))):
                    rows_d.append(
                        StatDevice(
                            month=month,
                            agency_id=agency.pk,
                            kind=kind,
                            officer=0,
                            device_id=device,
                            segments=rng.randint(1, 30),
                        )
                    )
            # Each officer works a few kinds a month, with a camera of their own.
            for i, officer in enumerate(staff[agency.pk]):
                for kind in rng.sample(kinds, k=4):
                    acts = rng.randint(1, 40)
                    rows_c.append(cell(agency.pk, month, kind, officer, acts))
                    for rule in rng.sample(RATED_RULES, k=3):
                        rows_r.append(
                            StatRule(
                                month=month,
                                agency_id=agency.pk,
                                kind=kind,
                                officer=officer,
                                rule_id=rule,
                                acts=rng.randint(1, acts),
                            )
                        )
                    rows_d.append(
                        StatDevice(
                            month=month,
                            agency_id=agency.pk,
                            kind=kind,
                            officer=officer,
                            device_id=cameras[i % len(cameras)],
                            segments=rng.randint(1, 30),
                        )
                    )
        _add_all_kinds(rows_c, rows_r, rows_d)
        with transaction.atomic():
            StatCount.objects.bulk_create(rows_c, batch_size=5000)
            StatRule.objects.bulk_create(rows_r, batch_size=5000)
            StatDevice.objects.bulk_create(rows_d, batch_size=5000)
        counts += len(rows_c)
        rules += len(rows_r)
        device_rows += len(rows_d)
    acts = sum(StatCount.objects.filter(officer=0, kind="*").values_list("acts", flat=True))
    return {
        "agencies": len(agencies),
        "months": months,
        "acts": acts,
        "counts": counts,
        "rules": rules,
        "devices": device_rows,
        "first": month_list[0],
        "last": month_list[-1],
    }


def _add_all_kinds(rows_c: list, rows_r: list, rows_d: list) -> None:
    """Each month's act-level rows of kind ALL_KINDS, summed as rollups._add_all_kinds does."""
    from quancheng.supervision.models import ALL_KINDS, StatCount, StatDevice, StatRule
    from quancheng.supervision.rollups import COUNT_FIELDS

    counts: dict = {}
    rules: dict = {}
    devices: dict = {}
    for row in (r for r in rows_c if r.officer == 0):
        total = counts.setdefault(
            row.month,
            StatCount(month=row.month, agency_id=row.agency_id, kind=ALL_KINDS, officer=0),
        )
        for name in COUNT_FIELDS:
            setattr(total, name, (getattr(total, name) or 0) + getattr(row, name))
        total.delay_max = max(total.delay_max or 0, row.delay_max or 0)
    for row in (r for r in rows_r if r.officer == 0):
        rules[(row.month, row.rule_id)] = rules.get((row.month, row.rule_id), 0) + row.acts
    for row in (r for r in rows_d if r.officer == 0):
        key = (row.month, row.device_id)
        devices[key] = devices.get(key, 0) + row.segments
    agency_id = rows_c[0].agency_id
    rows_c.extend(counts.values())
    rows_r.extend(
        StatRule(month=m, agency_id=agency_id, kind=ALL_KINDS, officer=0, rule_id=r, acts=n)
        for (m, r), n in rules.items()
    )
    rows_d.extend(
        StatDevice(month=m, agency_id=agency_id, kind=ALL_KINDS, officer=0, device_id=d, segments=n)
        for (m, d), n in devices.items()
    )


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
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


def kept() -> dict | None:
    """What ``fill`` wrote into a kept database, or None when it holds no bench city yet."""
    from django.db.models import Max, Min

    from quancheng.supervision.models import StatCount, StatDevice, StatRule

    if not StatCount.objects.filter(officer=0, kind="*").exists():
        return None
    months = StatCount.objects.aggregate(first=Min("month"), last=Max("month"))
    return {
        "agencies": StatCount.objects.values("agency").distinct().count(),
        "months": StatCount.objects.values("month").distinct().count(),
        "acts": sum(StatCount.objects.filter(officer=0, kind="*").values_list("acts", flat=True)),
        "counts": StatCount.objects.count(),
        "rules": StatRule.objects.count(),
        "devices": StatDevice.objects.count(),
        **months,
    }


def measure(requests: int, filled: dict) -> None:
    from django.conf import settings

    from quancheng.orgs.models import Agency, Role, User

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    city = _client(
        User.objects.get_or_create(
            username="bench-city",
            defaults={
                "full_name": "市管理员",
                "agency": Agency.objects.get(code="cq-wjw"),
                "role": Role.CITY_ADMIN,
            },
        )[0]
    )
    district = Agency.objects.filter(code__endswith="-zf").exclude(code__startswith="cq").first()
    head = _client(
        User.objects.get_or_create(
            username="bench-head",
            defaults={"full_name": "负责人", "agency": district, "role": Role.HEAD},
        )[0]
    )
    one_month = f"start={filled['last']:%Y-%m}&end={filled['last']:%Y-%m}"
    pages = [
        ("city: statistics by month", city, "/statistics/?by=month"),
        ("city: statistics by kind", city, "/statistics/?by=kind"),
        ("city: statistics by district", city, "/statistics/?by=district"),
        ("city: statistics by officer", city, "/statistics/?by=officer"),
        ("city: statistics, one month", city, f"/statistics/?by=district&{one_month}"),
        ("city: officers, one month", city, f"/statistics/?by=officer&{one_month}"),
        ("city: dashboard /", city, "/"),
        ("district head: statistics", head, "/statistics/?by=month"),
        ("district head: dashboard /", head, "/"),
    ]
    print(f"{'page':<34}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'target':>9}")
    for label, client, url in pages:
        times = _time(client, url, requests)
        p95 = percentile(times, 0.95)
        verdict = "ok" if p95 <= TARGET_MS else "MISSED"
        print(
            f"{label:<34}{median(times):>10.1f}{p95:>9.1f}{_queries(client, url):>9}{verdict:>9}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--officers", type=int, default=60, help="officers per agency")
    parser.add_argument("--devices", type=int, default=60, help="cameras per agency")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--city-acts", type=int, default=600)
    parser.add_argument(
        "--keep",
        default="",
        help="keep the database as qc_bench_NAME; a later run with the same NAME measures the "
        "rollups written by the first (PostgreSQL only; drop it with dropdb)",
    )
    args = parser.parse_args(argv)
    label = django_for_bench("rollups", args.db, keep=args.keep)
    print(f"statistics_rollups on {label}; {machine_note()}", flush=True)
    with Timer() as filling:
        filled = kept() if args.keep else None
        if filled is None:
            check_rebuild(args.city_acts)
            filled = fill(args.months, args.officers, args.devices)
    print(
        f"rollups of a full city: {filled['agencies']} district agencies x {filled['months']} "
        f"months, {args.officers} officers and {args.devices} cameras per agency "
        f"({filled['acts']} acts counted): {filled['counts']} count rows, {filled['rules']} "
        f"rule rows, {filled['devices']} device rows; written in {filling.seconds:.0f} s",
        flush=True,
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    measure(args.requests, filled)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
