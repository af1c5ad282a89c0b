"""Done when: on a generated city, the statistics show figures that these tests recompute
independently from the raw rows (plain Python over the records, not the pages' SQL)."""

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from quancheng.access.models import AccessRequest, Provision
from quancheng.cases.models import Act
from quancheng.compliance.models import ActCompliance, Finding
from quancheng.lib.workdays import is_working_day
from quancheng.orgs.models import User
from quancheng.records.models import Segment
from quancheng.registration.deadlines import loaded_schedules
from quancheng.registration.models import ActRegistration
from quancheng.supervision.statistics import RATED_RULES, Filters, compute

ACTIVE = {"open", "answered", "returned"}


def _rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _working_days_between(first: dt.date, last: dt.date, schedules) -> int:
    """Working days after ``first`` up to and including ``last``, one day at a time."""
    count, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        count += is_working_day(day, schedules)
    return count


def _month(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m")


def _month_start(moment) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def recompute(user, filters: Filters) -> dict:  # noqa: C901 - the reference computation, deliberately naive
    """Every table of the statistics, by group key, from the rows themselves."""
    districts = None if user.sees_whole_city else {user.agency.district}
    officers = defaultdict(set)
    for act_id, user_id in Act.officers.through.objects.values_list("act_id", "user_id"):
        officers[act_id].add(user_id)
    acts = {}
    for act in Act.objects.select_related("agency"):
        if districts is not None and act.agency.district not in districts:
            continue
        if filters.district and act.agency.district != filters.district:
            continue
        if filters.kind and act.kind != filters.kind:
            continue
        if filters.officer and filters.officer not in officers[act.pk]:
            continue
        if filters.start and _month_start(act.started_at) < filters.start:
            continue
        if filters.end and _month_start(act.started_at) > filters.end:
            continue
        acts[act.pk] = act

    def keys_of(act, officer_ids=None):
        if filters.by == "month":
            return [_month(act.started_at)]
        if filters.by == "kind":
            return [act.kind]
        if filters.by == "district":
            return [act.agency.district]
        return sorted(officer_ids if officer_ids is not None else officers[act.pk])

    status = dict(ActCompliance.objects.values_list("act_id", "status"))
    out: defaultdict[object, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    rule_acts: defaultdict[object, defaultdict[str, set[int]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for act in acts.values():
        for key in keys_of(act):
            out[key]["acts"] += 1
            out[key]["checked"] += act.pk in status
            out[key]["complete"] += status.get(act.pk) == "complete"
    for act_id, rule_id, finding_status in Finding.objects.values_list(
        "act_id", "rule_id", "status"
    ):
        if act_id not in acts or finding_status not in ACTIVE:
            continue
        for key in keys_of(acts[act_id]):
            out[key]["gaps"] += rule_id == "A11-gap"
            rule_acts[key][rule_id].add(act_id)
    schedules = loaded_schedules()
    delays = defaultdict(list)
    for registration in ActRegistration.objects.all():
        registered = acts.get(registration.act_id)
        if registered is None:
            continue
        delay = _working_days_between(
            timezone.localdate(registered.ended_at),
            timezone.localdate(registration.registered_at),
            schedules,
        )
        for key in keys_of(registered):
            out[key]["registered"] += 1
            out[key]["on_time"] += registration.on_time
            delays[key].append(delay)
    devices = defaultdict(set)
    for act_id, device_id, officer_id in Segment.objects.values_list(
        "act_id", "device_id", "officer_id"
    ):
        if filters.officer and officer_id != filters.officer:
            continue  # by officer: the officer's own segments
        if act_id in acts and device_id is not None:
            for key in keys_of(acts[act_id], officer_ids=[officer_id]):
                devices[key].add(device_id)
    requests = AccessRequest.objects.select_related("agency", "act")
    for request in requests:
        requested = request.act
        if not _access_in_scope(
            request, requested, districts, filters, officers, request.requested_at
        ):
            continue
        if filters.officer and request.requested_by_id != filters.officer:
            continue
        key = _access_key(
            filters, request, requested, [request.requested_by_id], request.requested_at
        )
        for k in key:
            out[k]["requests"] += 1
            out[k]["approved"] += request.status == "approved"
    for provision in Provision.objects.select_related("agency", "act"):
        provided = provision.act
        assert provision.provided_on is not None  # the generated city's provisions went out
        moment = timezone.make_aware(dt.datetime.combine(provision.provided_on, dt.time(12)))
        if not _access_in_scope(provision, provided, districts, filters, officers, moment):
            continue
        if filters.officer and (provided is None or filters.officer not in officers[provided.pk]):
            continue
        ids = sorted(officers[provided.pk]) if provided else []
        for k in _access_key(filters, provision, provided, ids, moment):
            out[k]["provisions"] += 1
    tables = {}
    for key, row in out.items():
        days = delays.get(key, [])
        tables[key] = {
            "acts": [
                row["acts"],
                row["checked"],
                row["complete"],
                _rate(row["complete"], row["acts"]),
                row["gaps"],
            ],
            "rules": [
                _rate(row["checked"] - len(rule_acts[key][rule]), row["checked"])
                for rule in RATED_RULES
            ],
            "registration": [
                row["acts"],
                row["registered"],
                row["on_time"],
                row["registered"] - row["on_time"],
                row["acts"] - row["registered"],
                round(sum(days) / len(days), 2) if days else None,
                max(days) if days else None,
            ],
            "devices": [len(devices.get(key, ()))],
            "access": [row["requests"], row["approved"], row["provisions"]],
        }
    return tables


def _access_in_scope(row, act, districts, filters, officers, moment) -> bool:
    if districts is not None and row.agency.district not in districts:
        return False
    if filters.district and row.agency.district != filters.district:
        return False
    if filters.kind and (act is None or act.kind != filters.kind):
        return False
    if filters.start and _month_start(moment) < filters.start:
        return False
    return not (filters.end and _month_start(moment) > filters.end)


def _access_key(filters, row, act, officer_ids, moment):
    if filters.by == "month":
        return [_month(moment)]
    if filters.by == "kind":
        return [act.kind if act else None]
    if filters.by == "district":
        return [row.agency.district]
    return officer_ids


def _shown(user, filters) -> dict:
    report = compute(user, filters)
    shown: dict[object, dict[str, list]] = {}
    for table in report.tables:
        for key, row in zip(report.groups, table.rows, strict=True):
            shown.setdefault(key, {})[table.name] = row[1:]
    return shown


def _expected(user, filters) -> dict:
    # Groups without a key (requests that name no act, by kind) are not shown.
    return {k: v for k, v in recompute(user, filters).items() if k is not None}


@pytest.mark.parametrize("by", ["month", "kind", "district", "officer"])
def test_city_figures_equal_the_recomputed_ones(city, by):
    admin = User.objects.get(username="city-admin")
    filters = Filters(by=by)
    expected, shown = _expected(admin, filters), _shown(admin, filters)
    assert set(shown) == set(expected)
    for key in expected:
        for name, values in expected[key].items():
            assert shown[key][name] == values, (by, key, name)
    # The city is one of varying compliance: the figures are not trivially equal.
    totals = [row["acts"] for row in expected.values()]
    assert sum(t[0] for t in totals) >= 150
    assert any(row["acts"][2] < row["acts"][0] for row in expected.values())


def test_filtered_figures_for_a_district_head(city):
    head = User.objects.get(username="city-d01-zf-head")
    officer = User.objects.filter(agency=head.agency, role="officer").order_by("pk").first()
    for filters in (
        Filters(by="month"),
        Filters(by="officer", kind="inspection"),
        Filters(by="kind", officer=officer.pk),
        Filters(by="month", start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 1)),
    ):
        expected, shown = _expected(head, filters), _shown(head, filters)
        assert shown == expected, filters
    # The head's district only: the other district's acts are in none of the figures.
    by_district = _shown(head, Filters(by="district"))
    assert list(by_district) == [head.agency.district]


def test_pages_and_downloads_show_the_figures(city, client):
    head = User.objects.get(username="city-d01-zf-head")
    client.force_login(head)
    expected = _expected(head, Filters(by="kind"))
    page = client.get("/statistics/", {"by": "kind"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "执法行为与记录完整" in html and 'id="chart-acts-data"' in html
    inspection = expected["inspection"]["acts"]
    assert f"<td>监督检查</td><td>{inspection[0]}</td><td>{inspection[1]}</td>" in html
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/statistics/registration.csv", {"by": "kind"}).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows[0][:3] == ["执法行为类型", "执法行为", "已登记"]
    row = rows[1 + sorted(expected).index("inspection")]
    assert row[0] == "监督检查"
    assert [int(v) for v in row[1:6]] == expected["inspection"]["registration"][:5]
    response = client.get("/statistics/acts.xlsx", {"by": "kind"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "执法行为类型"
    assert ["监督检查", *inspection] == list(values[1 + sorted(expected).index("inspection")])
    assert client.get("/statistics/acts.pdf").status_code == 404
    assert "月份格式" in client.get("/statistics/", {"start": "2026-13"}).content.decode()


def test_outsider_district_filter_shows_nothing_of_another_district(city, client):
    head = User.objects.get(username="city-d01-zf-head")
    other = User.objects.get(username="city-d02-zf-head")
    client.force_login(head)
    response = client.get("/statistics/", {"by": "district", "district": other.agency.district})
    assert response.status_code == 200
    # Not a choice for this user: the form says so, and only the own district's figures show.
    html = response.content.decode()
    assert "不在可用的选项中" in html
    assert f"<td>{other.agency.district}</td>" not in html
    assert f"<td>{head.agency.district}</td>" in html
