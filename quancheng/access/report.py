"""The access report (A24, A27): who saw what, from the ledger, with three flags.

Rows are the ledger's access events (views, playbacks, inline displays, downloads and refused
tries) of the agencies the reader sees. Flags:

* ``after_complaint`` — an officer involved in the act or case views, plays or downloads its
  video after a complaint: a hold (archive.Hold) with reason *objection* on the case or the act,
  in any state but refused; the complaint time is the time the hold was requested;
* ``bulk_download`` — one user downloaded more than ``QC_ACCESS_BULK_DOWNLOADS`` distinct items
  within ``QC_ACCESS_BULK_WINDOW_HOURS`` hours (each download inside such a window is flagged);
* unused accounts — active accounts in scope without a login (web or API token) for
  ``QC_ACCESS_UNUSED_DAYS`` days, listed apart.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, deque
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import CharField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from quancheng.archive.models import Hold
from quancheng.cases.models import Act, Case
from quancheng.ledger.actions import Action, label_of
from quancheng.ledger.models import Event
from quancheng.orgs.models import ApiToken, User
from quancheng.orgs.scoping import agencies_visible_to
from quancheng.records.models import DataRecord, Document, Segment
from quancheng.records.refs import items_of_case

# The reads of record content the report lists (A24).
ACCESS_ACTIONS = {
    Action.SEGMENT_VIEWED,
    Action.DOCUMENT_VIEWED,
    Action.DATARECORD_VIEWED,
    Action.SEGMENT_PLAYED,
    Action.DOCUMENT_DISPLAYED,
    Action.SEGMENT_DOWNLOADED,
    Action.DOCUMENT_DOWNLOADED,
    Action.DOCUMENT_SM2_SIGNATURE_DOWNLOADED,
    Action.ACCESS_DENIED,
}
DOWNLOAD_ACTIONS = {
    Action.SEGMENT_DOWNLOADED,
    Action.DOCUMENT_DOWNLOADED,
    Action.DOCUMENT_SM2_SIGNATURE_DOWNLOADED,
}
SEGMENT_ACTIONS = {Action.SEGMENT_VIEWED, Action.SEGMENT_PLAYED, Action.SEGMENT_DOWNLOADED}
OBJECT_TYPES = {
    Segment._meta.label_lower: "segment",
    Document._meta.label_lower: "document",
    DataRecord._meta.label_lower: "datarecord",
}
KIND_LABELS = {"segment": "音像记录", "document": "执法文书", "datarecord": "电子数据"}
FLAG_LABELS = {"after_complaint": "投诉后承办人员查看本案音像", "bulk_download": "批量下载"}
MAX_ROWS = 5000


@dataclass
class Filters:
    user: str = ""  # username or full name, exact
    item_kind: str = ""
    item_id: int | None = None
    case_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    flagged_only: bool = False


@dataclass
class Row:
    event: Event
    kind: str
    item_id: int
    action_label: str
    body: dict
    flags: list[str] = field(default_factory=list)

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS[f] for f in self.flags]

    @property
    def via_request(self):
        return self.body.get("access_request")


def _events(user: User, filters: Filters):
    qs = Event.objects.filter(
        action__in=ACCESS_ACTIONS,
        object_type__in=OBJECT_TYPES,
        agency__in=agencies_visible_to(user),
    ).select_related("actor")
    if filters.user:
        qs = qs.filter(Q(actor__username=filters.user) | Q(actor__full_name=filters.user))
    if filters.item_kind and filters.item_id:
        label = next(t for t, k in OBJECT_TYPES.items() if k == filters.item_kind)
        qs = qs.filter(object_type=label, object_id=str(filters.item_id))
    if filters.case_id:
        case = Case.objects.visible_to(user).filter(pk=filters.case_id).first()
        refs = items_of_case(case) if case else []
        q = Q(pk__in=[])
        for item in refs:
            q |= Q(object_type=item._meta.label_lower, object_id=str(item.pk))
        qs = qs.filter(q)
    tz = timezone.get_current_timezone()
    if filters.since:
        qs = qs.filter(time__gte=dt.datetime.combine(filters.since, dt.time.min, tzinfo=tz))
    if filters.until:
        end = dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        qs = qs.filter(time__lt=end)
    return qs.order_by("-seq")


def access_rows(user: User, filters: Filters | None = None) -> list[Row]:
    """The report's rows, newest first, each with its flags."""
    filters = filters or Filters()
    rows = [
        Row(e, OBJECT_TYPES[e.object_type], int(e.object_id), label_of(e.action), {})
        for e in _events(user, filters)[:MAX_ROWS]
    ]
    for row in rows:
        row.body = json.loads(row.event.body or "{}")
    _flag_after_complaint(rows)
    _flag_bulk_downloads(rows)
    if filters.flagged_only:
        rows = [r for r in rows if r.flags]
    return rows


def _flag_after_complaint(rows: list[Row]) -> None:

    seen = [r for r in rows if r.event.action in SEGMENT_ACTIONS and r.event.actor_id]
    if not seen:
        return
    segments = {
        s["pk"]: s
        for s in Segment.objects.filter(pk__in={r.item_id for r in seen}).values(
            "pk", "act_id", "case_id", "act__case_id", "officer_id"
        )
    }
    act_ids = {s["act_id"] for s in segments.values() if s["act_id"]}
    case_ids = {c for s in segments.values() for c in (s["case_id"], s["act__case_id"]) if c}
    holds = Hold.objects.filter(reason=Hold.Reason.OBJECTION).exclude(status=Hold.Status.REFUSED)
    holds = holds.filter(Q(act_id__in=act_ids) | Q(case_id__in=case_ids))
    complaint_at: dict[tuple[str, int], dt.datetime] = {}
    for h in holds.values("act_id", "case_id", "requested_at"):
        key = ("act", h["act_id"]) if h["act_id"] else ("case", h["case_id"])
        complaint_at[key] = min(complaint_at.get(key, h["requested_at"]), h["requested_at"])
    if not complaint_at:
        return
    act_officers = set(
        Act.officers.through.objects.filter(act_id__in=act_ids).values_list("act_id", "user_id")
    )
    case_officers = set(
        Case.officers.through.objects.filter(case_id__in=case_ids).values_list("case_id", "user_id")
    )
    for row in seen:
        s = segments.get(row.item_id)
        if s is None:
            continue
        user_id = row.event.actor_id
        cases = {c for c in (s["case_id"], s["act__case_id"]) if c}
        involved = (
            s["officer_id"] == user_id
            or (s["act_id"], user_id) in act_officers
            or any((c, user_id) in case_officers for c in cases)
        )
        times = [complaint_at.get(("act", s["act_id"]))] + [
            complaint_at.get(("case", c)) for c in cases
        ]
        moments = [t for t in times if t is not None]
        if involved and moments and row.event.time >= min(moments):
            row.flags.append("after_complaint")


def _flag_bulk_downloads(rows: list[Row]) -> None:
    """Flag downloads inside a window where one user fetched more than N distinct items."""
    limit = settings.QC_ACCESS_BULK_DOWNLOADS
    window = dt.timedelta(hours=settings.QC_ACCESS_BULK_WINDOW_HOURS)
    by_user: dict[int, list[Row]] = {}
    for row in rows:
        if row.event.action in DOWNLOAD_ACTIONS and row.event.actor_id:
            by_user.setdefault(row.event.actor_id, []).append(row)
    for downloads in by_user.values():
        downloads.sort(key=lambda r: r.event.seq)
        inside: deque[Row] = deque()
        distinct: Counter = Counter()
        for row in downloads:
            inside.append(row)
            distinct[(row.kind, row.item_id)] += 1
            while row.event.time - inside[0].event.time > window:
                old = inside.popleft()
                distinct[(old.kind, old.item_id)] -= 1
                if not distinct[(old.kind, old.item_id)]:
                    del distinct[(old.kind, old.item_id)]
            if len(distinct) > limit:
                for r in inside:
                    if "bulk_download" not in r.flags:
                        r.flags.append("bulk_download")


def unused_accounts(user: User, now: dt.datetime | None = None) -> list[User]:
    """Active accounts in scope with no login (page or API token) for QC_ACCESS_UNUSED_DAYS."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.QC_ACCESS_UNUSED_DAYS)
    last_login_event = (
        Event.objects.filter(
            action="auth.login",
            object_type="orgs.user",
            object_id=Cast(OuterRef("pk"), CharField()),
        )
        .order_by("-seq")
        .values("time")[:1]
    )
    last_token_use = (
        ApiToken.objects.filter(user=OuterRef("pk"))
        .values("user")
        .annotate(last=Max("last_used_at"))
        .values("last")[:1]
    )
    users = (
        User.objects.filter(is_active=True, date_joined__lt=cutoff)
        .filter(agency__in=agencies_visible_to(user))
        .select_related("agency")
        .annotate(last_event=Subquery(last_login_event), last_token=Subquery(last_token_use))
        .order_by("agency__code", "username")
    )
    unused = []
    for u in users:
        moments = [m for m in (u.last_login, u.last_event, u.last_token) if m is not None]
        u.last_seen = max(moments) if moments else None
        if u.last_seen is None or u.last_seen < cutoff:
            unused.append(u)
    return unused
