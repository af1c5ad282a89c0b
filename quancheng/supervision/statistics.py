"""Statistics (统计, A7): enforcement and recording figures for the city, districts, officers.

Every figure is aggregated by the database (GROUP BY over the acts and the rows linked to them),
a handful of queries per page whatever the number of acts; Python only arranges the groups.

Figures, for the acts started in the period (Asia/Shanghai months) matching the filters, grouped
by month, act kind, district or officer (an act counts for each of its officers):

- acts (执法行为) and acts completely recorded (记录完整: stored completeness ``complete``);
- compliance rate per rule: of the acts checked, the share without an active finding
  (open, answered or returned) of that rule;
- unexplained gaps (未说明的中断): active findings of rule A11-gap, one per interruption;
- registration (登记, A21): registered, of which on time, and the delay in working days from the
  act's end date to the registration date (Chinese calendar; ``CalendarDay``);
- devices in use (在用设备): distinct devices that recorded segments of those acts (by officer:
  the officer's own segments);
- access requests (调阅申请, by request date; by officer: the requester) and provisions
  (对外提供, by provision date; by officer: the officers of the act provided).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Avg, Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from quancheng.access.models import AccessRequest, Provision
from quancheng.cases.models import Act
from quancheng.compliance.models import Completeness, Finding
from quancheng.compliance.rules import RULES
from quancheng.lib.workdays import day_status
from quancheng.orgs.models import User
from quancheng.orgs.scoping import agencies_visible_to
from quancheng.records.models import Segment
from quancheng.registration.deadlines import loaded_schedules
from quancheng.registration.models import ActRegistration

from .models import ACT_LEVEL, ALL_KINDS, CalendarDay, StatCount, StatDevice, StatRule
from .rollups import COUNT_FIELDS

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUPINGS = {"month": "月份", "kind": "执法行为类型", "district": "区县", "officer": "执法人员"}
# Rules that find something today (the others wait for later issues and would show 100 %).
RATED_RULES = [r.id for r in RULES if r.id not in ("A22-retention", "A23-longterm", "A24-access")]
RULE_TITLES = {r.id: r.title for r in RULES}
# Grouped by officer, the page shows this many officers at a time (a city has thousands: all of
# them made a page of 2,280 rows per table and seconds to draw); downloads hold every officer.
OFFICERS_PER_PAGE = 50


@dataclass(frozen=True)
class Filters:
    district: str = ""
    officer: int | None = None
    kind: str = ""
    start: dt.date | None = None  # first day of the first month
    end: dt.date | None = None  # first day of the last month
    by: str = "month"
    page: int | None = None  # by officer: the page of officers shown; None: every officer

    def period_bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        start = end = None
        if self.start:
            start = dt.datetime.combine(self.start.replace(day=1), dt.time.min, SHANGHAI)
        if self.end:
            first = self.end.replace(day=1)
            following = (first + dt.timedelta(days=32)).replace(day=1)
            end = dt.datetime.combine(following, dt.time.min, SHANGHAI)
        return start, end


# --- the working-day calendar -------------------------------------------------------------------

CALENDAR_MARGIN = dt.timedelta(days=400)


def _fingerprint(schedules) -> str:
    text = repr(sorted((y, sorted(s.holidays), sorted(s.workdays)) for y, s in schedules.items()))
    return hashlib.sha256(text.encode()).hexdigest()


# not durable: the rollups fill it inside apply_marks' transaction, the direct statistics in none.
@transaction.atomic
def ensure_calendar(first: dt.date, last: dt.date) -> None:
    """Make ``CalendarDay`` cover first..last, computed from the current holiday data."""
    schedules = loaded_schedules()
    source = _fingerprint(schedules)
    span = CalendarDay.objects.filter(source=source).aggregate(lo=Min("day"), hi=Max("day"))
    stale = CalendarDay.objects.exclude(source=source).exists()
    if not stale and span["lo"] and span["lo"] <= first and last <= span["hi"]:
        return
    # Rebuild the whole range: the index counts from the first day, so it is written at once.
    lo = min(first, span["lo"] or first) - CALENDAR_MARGIN
    hi = max(last, span["hi"] or last) + CALENDAR_MARGIN
    CalendarDay.objects.all().delete()
    rows, index, day = [], 0, lo
    while day <= hi:
        working, provisional = day_status(day, schedules)
        index += working
        rows.append(CalendarDay(day, working, index, provisional, source))
        day += dt.timedelta(days=1)
    CalendarDay.objects.bulk_create(rows, batch_size=2000)


def _working_index(date_path: str):
    return Subquery(CalendarDay.objects.filter(day=OuterRef(date_path)).values("working_index")[:1])


# --- querying -----------------------------------------------------------------------------------


def _scope(qs, user: User, filters: Filters, act: str, date_field: str, by_officer: str, own=False):
    """Filters on a queryset whose act is reached by ``act`` ("" for Act itself); ``own``: the
    rows have an agency of their own (access requests, provisions), which names the district
    and the scope; otherwise the act's agency does."""
    if own or not act:
        qs = qs.visible_to(user)
    elif not (getattr(user, "is_authenticated", False) and user.sees_whole_city):
        qs = qs.filter(**{f"{act}agency__in": agencies_visible_to(user)})
    if filters.district:
        district = "agency__district" if own else f"{act}agency__district"
        qs = qs.filter(**{district: filters.district})
    if filters.kind:
        qs = qs.filter(**{f"{act}kind": filters.kind})
    if filters.officer:
        qs = qs.filter(**{by_officer: filters.officer})
    start, end = filters.period_bounds()
    if start:
        qs = qs.filter(**{f"{date_field}__gte": start})
    if end:
        qs = qs.filter(**{f"{date_field}__lt": end})
    return qs


def _group(qs, filters: Filters, act: str, date_field: str, officer_path: str):
    """The queryset's rows annotated with the group key ``g``."""
    key: TruncMonth | F
    if filters.by == "month":
        if date_field.endswith("provided_on"):  # a date, not a moment
            key = TruncMonth(date_field)
        else:
            key = TruncMonth(date_field, tzinfo=SHANGHAI)
    elif filters.by == "kind":
        key = F(f"{act}kind")
    elif filters.by == "district":
        own = date_field in ("requested_at", "provided_on")
        key = F("agency__district" if own else f"{act}agency__district")
    else:
        key = F(officer_path)
    return qs.annotate(g=key).values("g").order_by("g")


def _key(value, by: str):
    if by == "month" and value is not None:
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value, SHANGHAI) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m")
    return value


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # A code shown small beside a column's heading (the rule id of a rule's column), "" for none.
    codes: list[str] = field(default_factory=list)

    @property
    def headings(self) -> list[tuple[str, str]]:
        """(heading, code) per column."""
        codes = self.codes or [""] * len(self.columns)
        return list(zip(self.columns, codes, strict=True))

    @property
    def export_columns(self) -> list[str]:
        """The headings of a download: the code, where there is one, in brackets."""
        return [f"{c}（{code}）" if code else c for c, code in self.headings]


@dataclass
class Report:
    filters: Filters
    groups: list = field(default_factory=list)  # group keys in order (the page's, if paged)
    labels: dict = field(default_factory=dict)  # group key → label
    tables: list[Table] = field(default_factory=list)
    group_count: int = 0  # groups on every page

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    @property
    def pages(self) -> int:
        """Pages of officers (1 unless grouped by officer with a page asked for)."""
        if self.filters.by != "officer" or not self.filters.page:
            return 1
        return max(1, -(-self.group_count // OFFICERS_PER_PAGE))

    @property
    def first_rank(self) -> int:
        """The position of the page's first group among all groups, from 1."""
        return (self.filters.page or 1) * OFFICERS_PER_PAGE - OFFICERS_PER_PAGE + 1

    @property
    def last_rank(self) -> int:
        return self.first_rank + len(self.groups) - 1

    @property
    def previous_page(self) -> int | None:
        page = self.filters.page or 1
        return page - 1 if page > 1 else None

    @property
    def next_page(self) -> int | None:
        page = self.filters.page or 1
        return page + 1 if page < self.pages else None


def _page_of(groups: list, filters: Filters) -> list:
    """The groups of the filters' page (every group unless paged by officer)."""
    if filters.by != "officer" or not filters.page:
        return groups
    start = (filters.page - 1) * OFFICERS_PER_PAGE
    return groups[start : start + OFFICERS_PER_PAGE]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def compute_direct(user: User, filters: Filters) -> Report:
    """The figures of the statistics pages for what ``user`` may see, aggregated from the
    record itself (the reference the rollups are checked against; ``compute`` reads those)."""
    by = filters.by
    acts = _group(
        _scope(Act.objects.all(), user, filters, "", "started_at", "officers"),
        filters,
        "",
        "started_at",
        "officers__id",
    ).annotate(
        acts=Count("id", distinct=True),
        checked=Count("id", distinct=True, filter=Q(compliance__isnull=False)),
        complete=Count("id", distinct=True, filter=Q(compliance__status=Completeness.COMPLETE)),
    )
    base = {_key(r["g"], by): r for r in acts}

    findings = _group(
        _scope(
            Finding.objects.active(), user, filters, "act__", "act__started_at", "act__officers"
        ),
        filters,
        "act__",
        "act__started_at",
        "act__officers__id",
    )
    gaps = {
        _key(r["g"], by): r["n"]
        for r in findings.filter(rule_id="A11-gap").annotate(n=Count("id", distinct=True))
    }
    violating: dict = defaultdict(dict)
    for r in findings.values("g", "rule_id").annotate(n=Count("act_id", distinct=True)):
        violating[_key(r["g"], by)][r["rule_id"]] = r["n"]

    registrations = _registration_figures(user, filters)
    devices = {
        _key(r["g"], by): r["n"]
        for r in _group(
            _scope(
                Segment.objects.filter(device__isnull=False, act__isnull=False),
                user,
                filters,
                "act__",
                "act__started_at",
                "officer",
            ),
            filters,
            "act__",
            "act__started_at",
            "officer_id",
        ).annotate(n=Count("device_id", distinct=True))
    }
    requests = {
        _key(r["g"], by): r
        for r in _group(
            _scope(
                AccessRequest.objects.all(),
                user,
                filters,
                "act__",
                "requested_at",
                "requested_by",
                own=True,
            ),
            filters,
            "act__",
            "requested_at",
            "requested_by_id",
        ).annotate(
            n=Count("id", distinct=True),
            approved=Count("id", distinct=True, filter=Q(status=AccessRequest.Status.APPROVED)),
        )
    }
    provisions = {
        _key(r["g"], by): r["n"]
        for r in _group(
            _scope(
                Provision.objects.filter(status=Provision.Status.PROVIDED),
                user,
                filters,
                "act__",
                "provided_on",
                "act__officers",
                own=True,
            ),
            filters,
            "act__",
            "provided_on",
            "act__officers__id",
        ).annotate(n=Count("id", distinct=True))
    }
    return _report(filters, base, gaps, violating, registrations, devices, requests, provisions)


def _report(
    filters, base, gaps, violating, registrations, devices, requests, provisions, paged_of=None
):
    """The tables from the figures by group key (the same for both ways of counting). The
    figures are of one page of officers already when ``paged_of`` gives the count of all."""
    by = filters.by
    keys = set(base) | set(requests) | set(provisions)
    groups = sorted((k for k in keys if k is not None), key=str)
    count = len(groups) if paged_of is None else paged_of
    if paged_of is None:
        groups = _page_of(groups, filters)
    report = Report(filters=filters, groups=groups, labels=_labels(groups, by), group_count=count)
    label = GROUPINGS[by]
    t_acts = Table(
        "acts",
        "执法行为与记录完整",
        [label, "执法行为", "已检查", "记录完整", "完整率（%）", "未说明的中断"],
    )
    t_rules = Table(
        "rules",
        "各规则合规率（%）",
        [label, *(RULE_TITLES[rule] for rule in RATED_RULES)],
        codes=["", *RATED_RULES],
    )
    t_reg = Table(
        "registration",
        "记录登记时效（第二十一条）",
        [
            label,
            "执法行为",
            "已登记",
            "按期登记",
            "逾期登记",
            "未登记",
            "平均用时（工作日）",
            "最长用时（工作日）",
        ],
    )
    t_dev = Table("devices", "在用设备", [label, "在用设备"])
    t_access = Table("access", "调阅与对外提供", [label, "调阅申请", "已批准", "对外提供"])
    for key in groups:
        name = report.labels[key]
        row = base.get(key, {"acts": 0, "checked": 0, "complete": 0})
        t_acts.rows.append(
            [
                name,
                row["acts"],
                row["checked"],
                row["complete"],
                _rate(row["complete"], row["acts"]),
                gaps.get(key, 0),
            ]
        )
        t_rules.rows.append(
            [
                name,
                *(
                    _rate(row["checked"] - violating[key].get(rule, 0), row["checked"])
                    for rule in RATED_RULES
                ),
            ]
        )
        reg = registrations.get(key, {"n": 0, "on_time": 0, "avg": None, "max": None})
        t_reg.rows.append(
            [
                name,
                row["acts"],
                reg["n"],
                reg["on_time"],
                reg["n"] - reg["on_time"],
                row["acts"] - reg["n"],
                round(reg["avg"], 2) if reg["avg"] is not None else None,
                reg["max"],
            ]
        )
        t_dev.rows.append([name, devices.get(key, 0)])
        req = requests.get(key, {"n": 0, "approved": 0})
        t_access.rows.append([name, req["n"], req["approved"], provisions.get(key, 0)])
    report.tables = [t_acts, t_rules, t_reg, t_dev, t_access]
    return report


def compute(user: User, filters: Filters) -> Report:  # noqa: C901 - one read per table of the statistics page
    """The figures of the statistics pages for what ``user`` may see, read from the rollups
    (a few queries whatever the number of acts and the period)."""
    from .rollups import apply_marks

    apply_marks()
    by = filters.by
    group = {
        "month": F("month"),
        "kind": F("kind"),
        "district": F("agency__district"),
        "officer": F("officer"),
    }[by]

    def rows(model):
        qs = model.objects.all()
        if filters.officer:
            qs = qs.filter(officer=filters.officer)
        elif by == "officer":
            qs = qs.exclude(officer=ACT_LEVEL)
        elif filters.kind or by == "kind":
            qs = qs.filter(officer=ACT_LEVEL).exclude(kind=ALL_KINDS)
        else:
            qs = qs.filter(officer=ACT_LEVEL, kind=ALL_KINDS)  # each month and agency's sum
        if not (getattr(user, "is_authenticated", False) and user.sees_whole_city):
            qs = qs.filter(agency__in=agencies_visible_to(user))
        if filters.district:
            qs = qs.filter(agency__district=filters.district)
        if filters.kind:
            qs = qs.filter(kind=filters.kind)
        if filters.start:
            qs = qs.filter(month__gte=filters.start.replace(day=1))
        if filters.end:
            qs = qs.filter(month__lte=filters.end.replace(day=1))
        if page is not None:
            qs = qs.filter(officer__in=page)
        return qs.annotate(g=group).values("g").order_by("g")

    page = None
    count = None
    if by == "officer" and filters.page:
        # The page's officers first (as _report orders all groups), then only their rows.
        everyone = sorted(
            rows(StatCount)
            .annotate(a=Sum("acts"), r=Sum("requests"), p=Sum("provisions"))
            .filter(Q(a__gt=0) | Q(r__gt=0) | Q(p__gt=0))
            .values_list("g", flat=True),
            key=str,
        )
        page, count = _page_of(everyone, filters), len(everyone)

    def key(value):
        if by == "kind" and value == "":
            return None  # access requests and provisions naming no act
        return _key(value, by)

    sums = {name: Sum(name) for name in COUNT_FIELDS}
    base, registrations, requests, provisions, gaps = {}, {}, {}, {}, {}
    for r in rows(StatCount).annotate(**sums, longest=Max("delay_max")):
        k = key(r["g"])
        if r["acts"]:
            base[k] = r
            gaps[k] = r["gaps"]
        if r["registered"]:
            avg = r["delay_sum"] / r["registered"]
            registrations[k] = {"n": r["registered"], "on_time": r["on_time"], "avg": avg}
            registrations[k]["max"] = r["longest"]
        if r["requests"]:
            requests[k] = {"n": r["requests"], "approved": r["approved"]}
        if r["provisions"]:
            provisions[k] = r["provisions"]
    violating: dict = defaultdict(dict)
    for r in rows(StatRule).values("g", "rule_id").annotate(n=Sum("acts")):
        if r["n"]:
            violating[key(r["g"])][r["rule_id"]] = r["n"]
    devices = {
        key(r["g"]): r["n"] for r in rows(StatDevice).annotate(n=Count("device_id", distinct=True))
    }
    figures = (base, gaps, violating, registrations, devices, requests, provisions)
    return _report(filters, *figures, paged_of=count)


def _registration_figures(user: User, filters: Filters) -> dict:
    by = filters.by
    qs = _scope(
        ActRegistration.objects.all(), user, filters, "act__", "act__started_at", "act__officers"
    )
    span = qs.aggregate(
        lo=Min(TruncDate("act__ended_at", tzinfo=SHANGHAI)),
        hi=Max(TruncDate("registered_at", tzinfo=SHANGHAI)),
    )
    if span["lo"] is None:
        return {}
    ensure_calendar(_as_date(span["lo"]), _as_date(span["hi"]))
    qs = qs.annotate(
        end_day=TruncDate("act__ended_at", tzinfo=SHANGHAI),
        reg_day=TruncDate("registered_at", tzinfo=SHANGHAI),
    ).annotate(delay=_working_index("reg_day") - _working_index("end_day"))
    rows = _group(qs, filters, "act__", "act__started_at", "act__officers__id").annotate(
        n=Count("id", distinct=True),
        on_time=Count("id", distinct=True, filter=Q(on_time=True)),
        avg=Avg("delay"),
        max=Max("delay"),
    )
    return {_key(r["g"], by): r for r in rows}


def _as_date(value) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _labels(groups, by: str) -> dict:
    if by == "kind":
        return {k: Act.Kind(k).label if k in Act.Kind.values else k for k in groups}
    if by == "officer":
        names = dict(User.objects.filter(pk__in=groups).values_list("pk", "full_name"))
        return {k: names.get(k, str(k)) for k in groups}
    return {k: str(k) for k in groups}
