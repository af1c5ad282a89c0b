"""Statistics rollups (统计汇总): the counters the statistics pages and the dashboard read.

A cell is (Asia/Shanghai month, agency, act kind); its rows are the act-level row
(``officer = ACT_LEVEL``, each act once) and one row per officer. Each month and agency also has
act-level rows of kind ``ALL_KINDS``, the sum of its cells, which the pages read when they
neither filter nor group by kind or officer. A cell's rows are always
recomputed whole from the enforcement record by the queries below, never adjusted by deltas, so
that a cell holds exactly what a direct aggregation of its rows gives:

1. a change to a row the statistics count (an act, its officers, completeness, findings,
   registration, segments; an access request or provision; a holiday schedule) writes a
   ``RollupMark`` in the change's own transaction (``rollup_signals.py``): a rolled-back change
   leaves no mark, a committed one always does;
2. ``apply_marks`` recomputes the marked cells and deletes the marks in one transaction, under a
   lock row so that two appliers never rewrite a cell at once. It runs after the commit of the
   change (like the ledger's integrator) and before any read of the rollups, so readers never
   see a committed change missing;
3. ``rebuild_rollups`` recomputes every cell (``manage.py rebuild_rollups``; after a bulk load
   that bypasses the model signals, such as ``make_demo_city``).

The rollups are derived data: the enforcement record and its ledger are the record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from quancheng.access.models import AccessRequest, Provision
from quancheng.cases.models import Act
from quancheng.compliance.models import Completeness, Finding
from quancheng.lib import transactions
from quancheng.records.models import Segment
from quancheng.registration.models import ActRegistration

from .models import (
    ACT_LEVEL,
    ALL_KINDS,
    CalendarDay,
    RollupLock,
    RollupMark,
    StatCount,
    StatDevice,
    StatRule,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# More marked cells than this are applied as a full rebuild (cheaper than a long OR of cells).
MAX_CELLS = 200
BATCH = 2000

Cell = tuple[dt.date, int, str | None]  # (month, agency id, kind); kind None: every kind
Key = tuple[dt.date, int, str, int]  # (month, agency id, kind, officer)

COUNT_FIELDS = [
    "acts",
    "checked",
    "complete",
    "mandatory_missing",
    "gaps",
    "registered",
    "on_time",
    "delay_sum",
    "requests",
    "approved",
    "provisions",
]


# --- cells and months ---------------------------------------------------------------------------


def month_of(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the Asia/Shanghai month of a moment (or of a date)."""
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment, SHANGHAI).date()
    return moment.replace(day=1)


def _month_value(value) -> dt.date:
    """A TruncMonth result (aware or naive datetime, date or, on SQLite, text) as a date."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value, SHANGHAI) if timezone.is_aware(value) else value
        value = value.date()
    return value.replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(month.replace(day=1), dt.time.min, SHANGHAI)
    following = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return start, dt.datetime.combine(following, dt.time.min, SHANGHAI)


def _cells_q(cells: Iterable[Cell] | None, *, moment: str, agency: str, kind: str, date=False):
    """Rows of the given cells (None: every row). ``kind`` "" is the cell of access requests
    and provisions that name no act."""
    if cells is None:
        return Q()
    q = Q(pk__in=[])
    for month, agency_id, kind_value in cells:
        start, end = month_bounds(month)
        low, high = (start.date(), end.date()) if date else (start, end)
        part = Q(**{agency: agency_id, f"{moment}__gte": low, f"{moment}__lt": high})
        if kind_value is None:
            pass  # the whole month of the agency
        elif kind_value:
            part &= Q(**{kind: kind_value})
        else:
            part &= Q(**{f"{kind}__isnull": True})
        q |= part
    return q


# --- computing cells from the record ------------------------------------------------------------


def _working_index(date_path: str):
    return Subquery(CalendarDay.objects.filter(day=OuterRef(date_path)).values("working_index")[:1])


def _grouped(qs, month_expr, agency, kind, officer: str | None, extra=(), **aggregates):
    """Rows of ``qs`` grouped by cell, officer (a path, or None for the act-level row) and the
    ``extra`` fields, as (key, row)."""
    fields = {
        "m": month_expr,
        "a": F(agency) if isinstance(agency, str) else agency,
        "k": F(kind) if isinstance(kind, str) else kind,
    }
    if officer:
        fields["o"] = F(officer)
        qs = qs.filter(**{f"{officer}__isnull": False})
    rows = qs.annotate(**fields).values(*fields, *extra).order_by().annotate(**aggregates)
    for row in rows:
        officer_id = row["o"] if officer else ACT_LEVEL
        yield (_month_value(row["m"]), row["a"], row["k"] or "", officer_id), row


def compute_cells(cells: Iterable[Cell] | None = None) -> tuple[dict, dict, dict]:  # noqa: C901 - one query per rollup table, sharing the cell filter
    """The rows of the given cells (None: all), straight from the record: StatCount fields by
    key, StatRule acts by (key, rule), StatDevice segments by (key, device)."""
    from .statistics import ensure_calendar

    cells = None if cells is None else list(cells)
    counts: dict[Key, dict] = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    rules: dict[tuple[Key, str], int] = {}
    devices: dict[tuple[Key, int], int] = {}
    act_q = _cells_q(cells, moment="started_at", agency="agency_id", kind="kind")
    in_act = _cells_q(cells, moment="act__started_at", agency="act__agency_id", kind="act__kind")
    act_month = TruncMonth("started_at", tzinfo=SHANGHAI)
    of_act_month = TruncMonth("act__started_at", tzinfo=SHANGHAI)

    acts = Act.objects.filter(act_q)
    for officer in (None, "officers__id"):
        for key, row in _grouped(
            acts,
            act_month,
            "agency_id",
            "kind",
            officer,
            n=Count("id", distinct=True),
            checked=Count("id", distinct=True, filter=Q(compliance__isnull=False)),
            complete=Count("id", distinct=True, filter=Q(compliance__status=Completeness.COMPLETE)),
            missing=Count(
                "id",
                distinct=True,
                filter=Q(compliance__status=Completeness.MANDATORY_MISSING),
            ),
        ):
            counts[key].update(
                acts=row["n"],
                checked=row["checked"],
                complete=row["complete"],
                mandatory_missing=row["missing"],
            )

    findings = Finding.objects.active().filter(in_act)
    for officer in (None, "act__officers__id"):
        for key, row in _grouped(
            findings,
            of_act_month,
            "act__agency_id",
            "act__kind",
            officer,
            extra=["rule_id"],
            n=Count("id", distinct=True),
            n_acts=Count("act_id", distinct=True),
        ):
            rules[(key, row["rule_id"])] = row["n_acts"]
            if row["rule_id"] == "A11-gap":
                counts[key]["gaps"] = row["n"]

    registrations = ActRegistration.objects.filter(in_act)
    span = registrations.aggregate(
        lo=Min(TruncDate("act__ended_at", tzinfo=SHANGHAI)),
        hi=Max(TruncDate("registered_at", tzinfo=SHANGHAI)),
    )
    if span["lo"] is not None:
        ensure_calendar(_as_date(span["lo"]), _as_date(span["hi"]))
        registrations = registrations.annotate(
            end_day=TruncDate("act__ended_at", tzinfo=SHANGHAI),
            reg_day=TruncDate("registered_at", tzinfo=SHANGHAI),
        ).annotate(delay=_working_index("reg_day") - _working_index("end_day"))
        for officer in (None, "act__officers__id"):
            for key, row in _grouped(
                registrations,
                of_act_month,
                "act__agency_id",
                "act__kind",
                officer,
                n=Count("id", distinct=True),
                on_time=Count("id", distinct=True, filter=Q(on_time=True)),
                total=Sum("delay"),
                longest=Max("delay"),
            ):
                counts[key].update(
                    registered=row["n"], on_time=row["on_time"], delay_sum=row["total"] or 0
                )
                counts[key]["delay_max"] = row["longest"]

    segments = Segment.objects.filter(in_act, device__isnull=False, act__isnull=False)
    for officer in (None, "officer_id"):
        for key, row in _grouped(
            segments,
            of_act_month,
            "act__agency_id",
            "act__kind",
            officer,
            extra=["device_id"],
            n=Count("id"),
        ):
            devices[(key, row["device_id"])] = row["n"]

    requests = AccessRequest.objects.filter(
        _cells_q(cells, moment="requested_at", agency="agency_id", kind="act__kind")
    )
    for officer in (None, "requested_by_id"):
        for key, row in _grouped(
            requests,
            TruncMonth("requested_at", tzinfo=SHANGHAI),
            "agency_id",
            Coalesce("act__kind", Value("")),
            officer,
            n=Count("id", distinct=True),
            approved=Count("id", distinct=True, filter=Q(status=AccessRequest.Status.APPROVED)),
        ):
            counts[key].update(requests=row["n"], approved=row["approved"])

    provisions = Provision.objects.filter(
        _cells_q(cells, moment="provided_on", agency="agency_id", kind="act__kind", date=True),
        status=Provision.Status.PROVIDED,
        provided_on__isnull=False,
    )
    for officer in (None, "act__officers__id"):
        for key, row in _grouped(
            provisions,
            TruncMonth("provided_on"),
            "agency_id",
            Coalesce("act__kind", Value("")),
            officer,
            n=Count("id", distinct=True),
        ):
            counts[key]["provisions"] = row["n"]
    _add_all_kinds(counts, rules, devices)
    return dict(counts), rules, devices


def _add_all_kinds(counts: dict, rules: dict, devices: dict) -> None:
    """Each month and agency's act-level rows of kind ALL_KINDS: its cells' rows summed (the
    longest delay is the longest of them)."""
    for (month, agency, kind, officer), fields in list(counts.items()):
        if officer == ACT_LEVEL and kind != ALL_KINDS:
            total = counts[(month, agency, ALL_KINDS, ACT_LEVEL)]
            for name in COUNT_FIELDS:
                total[name] += fields[name]
            longest, so_far = fields.get("delay_max"), total.get("delay_max")
            if longest is not None:
                total["delay_max"] = longest if so_far is None else max(longest, so_far)
    for table in (rules, devices):
        for ((month, agency, kind, officer), extra), n in list(table.items()):
            if officer == ACT_LEVEL and kind != ALL_KINDS:
                key = ((month, agency, ALL_KINDS, ACT_LEVEL), extra)
                table[key] = table.get(key, 0) + n


def _as_date(value) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


# --- writing cells ------------------------------------------------------------------------------


def _write(cells: list[Cell] | None) -> None:
    """Replace the rows of the given cells (None: every row) by freshly computed ones: every
    kind of each cell's month and agency, whose ALL_KINDS rows sum them."""
    if cells is not None:
        cells = sorted({(month, agency, None) for month, agency, _ in cells})
    counts, rules, devices = compute_cells(cells)
    for model in (StatCount, StatRule, StatDevice):
        if cells is None:
            model.objects.all().delete()
        else:
            model.objects.filter(_stored_q(cells)).delete()
    StatCount.objects.bulk_create(
        (
            StatCount(month=k[0], agency_id=k[1], kind=k[2], officer=k[3], **fields)
            for k, fields in counts.items()
        ),
        batch_size=BATCH,
    )
    StatRule.objects.bulk_create(
        (
            StatRule(month=k[0], agency_id=k[1], kind=k[2], officer=k[3], rule_id=r, acts=n)
            for (k, r), n in rules.items()
        ),
        batch_size=BATCH,
    )
    StatDevice.objects.bulk_create(
        (
            StatDevice(month=k[0], agency_id=k[1], kind=k[2], officer=k[3], device_id=d, segments=n)
            for (k, d), n in devices.items()
        ),
        batch_size=BATCH,
    )


def _stored_q(cells: Iterable[Cell]) -> Q:
    q = Q(pk__in=[])
    for month, agency_id, kind in cells:
        part = Q(month=month, agency_id=agency_id)
        q |= part if kind is None else part & Q(kind=kind)
    return q


def rebuild_rollups() -> None:
    """Recompute every rollup row from the record (after a bulk load, or to repair).

    The function a bulk loader calls once its rows are in (``make_demo_city``): it takes the
    appliers' lock, drops the pending marks and rewrites everything in one transaction.
    """
    with transaction.atomic(durable=True):
        _lock()
        RollupMark.objects.all().delete()
        _forget_written_marks()
        _write(None)


def _forget_written_marks() -> None:
    """The marks are deleted: a later change in the open transaction must mark again."""
    connection.__dict__.pop("_qc_rollup_marks", None)


def _lock() -> None:
    """Hold the appliers' lock row until the transaction ends (made again if a test flushed it)."""
    if not list(RollupLock.objects.select_for_update().filter(id=1).values_list("id", flat=True)):
        RollupLock.objects.get_or_create(id=1)
        list(RollupLock.objects.select_for_update().filter(id=1).values_list("id", flat=True))


def apply_marks() -> int:
    """Recompute the cells marked by committed changes; the number of marks applied.

    One query when nothing is pending (what every reader pays)."""
    if not RollupMark.objects.exists():
        return 0
    # not durable: every read applies the pending marks first, inside whatever transaction the
    # reader holds (a service computing figures, a test's batch); after a commit in none.
    with transaction.atomic():
        _lock()
        marks = list(RollupMark.objects.values_list("id", "month", "agency_id", "kind", "act_id"))
        if not marks:
            return 0
        cells: set[Cell] = set()
        acts: set[int] = set()
        everything = False
        for _, month, agency_id, kind, act_id in marks:
            if act_id is not None:
                acts.add(act_id)
            elif month is not None:
                assert agency_id is not None  # a cell's mark names its agency (_insert_mark)
                cells.add((month, agency_id, kind))
            else:
                everything = True
        if not everything and len(acts) <= MAX_CELLS * 50:
            cells |= _cells_of_acts(acts)
            everything = len(cells) > MAX_CELLS
        else:
            everything = True
        if everything:
            RollupMark.objects.all().delete()
            _forget_written_marks()
            _write(None)
        else:
            ids = [mark[0] for mark in marks]
            for start in range(0, len(ids), 10_000):
                RollupMark.objects.filter(id__in=ids[start : start + 10_000]).delete()
            _forget_written_marks()
            if cells:
                _write(sorted(cells))
        return len(marks)


def _cells_of_acts(act_ids: set[int]) -> set[Cell]:
    """The cells an act's changes reach: its own, and those of the access requests and
    provisions naming it (they count by the act's kind and, provisions, its officers)."""
    cells: set[Cell] = set()
    if not act_ids:
        return cells
    ids = sorted(act_ids)
    kinds = {}
    for pk, started_at, agency_id, kind in Act.objects.filter(pk__in=ids).values_list(
        "pk", "started_at", "agency_id", "kind"
    ):
        cells.add((month_of(started_at), agency_id, kind))
        kinds[pk] = kind
    for requested_at, agency_id, act_id in AccessRequest.objects.filter(act_id__in=ids).values_list(
        "requested_at", "agency_id", "act_id"
    ):
        cells.add((month_of(requested_at), agency_id, kinds.get(act_id, "")))
    for provided_on, agency_id, act_id in Provision.objects.filter(
        act_id__in=ids, provided_on__isnull=False
    ).values_list("provided_on", "agency_id", "act_id"):
        assert provided_on is not None  # filtered above
        cells.add((month_of(provided_on), agency_id, kinds.get(act_id, "")))
    return cells


# --- marks (called from rollup_signals in the change's transaction) -----------------------------


def _insert_mark(**fields) -> None:
    _insert_marks([fields])


def _written_marks() -> set | None:
    """The marks the open transaction has written (None outside one).

    Forgotten whenever Django starts a new list of commit hooks - at a commit, a rollback, a
    savepoint rolled back - so a mark whose row may have gone with a savepoint is written again.
    Kept on the connection, not on the atomic block: a decorated service's block is one object
    reused by every call, and would remember marks of transactions long gone.
    """
    if not connection.in_atomic_block:
        return None
    state = connection.__dict__.get("_qc_rollup_marks")
    if state is None or state[0] is not connection.run_on_commit:
        state = (connection.run_on_commit, set())
        connection.__dict__["_qc_rollup_marks"] = state
    return state[1]


def _insert_marks(fieldsets: list[dict]) -> None:
    written = _written_marks()
    if written is not None:
        # Once per transaction (an act's evaluation writes its findings, completeness and alert
        # in savepoints of their own, each a change that marks the act).
        new = {}
        for fields in fieldsets:
            key = tuple(sorted(fields.items()))
            if key not in written:
                new[key] = fields
        written.update(new)
        fieldsets = list(new.values())
    if not fieldsets:
        return
    RollupMark.objects.bulk_create([RollupMark(**fields) for fields in fieldsets])
    if written is not None and getattr(settings, "QC_ROLLUPS_APPLY_ON_COMMIT", True):
        _apply_after_commit()


def _apply_after_commit() -> None:
    # Inside a test case's transaction (which never commits) readers apply the marks instead.
    # django-stubs types the entries as (savepoint ids, func); Django appends a third, robust.
    if transactions.run_once_after(_apply_hook):  # a long run of commits: once at its end
        return
    if any(entry[1] is _apply_hook for entry in connection.run_on_commit):
        return
    transaction.on_commit(_apply_hook, robust=True)


def _apply_hook() -> None:
    apply_marks()


def mark_cell(month: dt.date, agency_id: int, kind: str) -> None:
    _insert_mark(month=month_of(month), agency_id=agency_id, kind=kind or "")


def mark_act(act_id: int | None) -> None:
    if act_id is not None:
        _insert_mark(act_id=act_id)


def mark_acts(act_ids: Iterable[int]) -> None:
    """Mark many acts with one insert (a bulk of first evaluations)."""
    _insert_marks([{"act_id": act_id} for act_id in act_ids])


def mark_everything() -> None:
    _insert_mark()


def stored_cells() -> tuple[dict, dict, dict]:
    """The stored rollup rows, in the shape of ``compute_cells``."""
    counts = {
        (r.month, r.agency_id, r.kind, r.officer): {
            **{name: getattr(r, name) for name in COUNT_FIELDS},
            "delay_max": r.delay_max,
        }
        for r in StatCount.objects.all()
    }
    rules = {
        ((r.month, r.agency_id, r.kind, r.officer), r.rule_id): r.acts
        for r in StatRule.objects.all()
    }
    devices = {
        ((r.month, r.agency_id, r.kind, r.officer), r.device_id): r.segments
        for r in StatDevice.objects.all()
    }
    return counts, rules, devices


def compare_rollups() -> list[str]:
    """Where the stored rollups differ from a computation from the record (after the pending
    marks are applied): one line per differing row, none when they agree."""
    apply_marks()
    fresh = compute_cells()
    counts = {k: {"delay_max": None, **v} for k, v in fresh[0].items()}
    lines = []
    for name, want, have in zip(
        ("counts", "rules", "devices"), (counts, fresh[1], fresh[2]), stored_cells(), strict=True
    ):
        for key in sorted(set(want) | set(have), key=str):
            if want.get(key) != have.get(key):
                lines.append(f"{name} {key}: stored {have.get(key)} computed {want.get(key)}")
    return lines
