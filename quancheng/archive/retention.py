"""Retention per record item (保管期限, A22), kept in :class:`ItemRetention` and in the store.

The rules (A22; 国家档案局令第8号 for the dossier classes):

1. An item in a frozen dossier follows the dossier: its ``retain_until``, or permanent. Evidence
   AV follows the dossier of its case or act (A22 ¶1), found through the dossier's entries or
   through the item's case/act links.
2. Non-evidence AV is kept at least the retention configuration's ``non_evidence_min_months``
   (6) months from recording (``started_at``, else ``created_at``), and as long as its dossier
   if it is in one.
3. Anything else (documents, data, evidence AV) whose dossier is not frozen yet is *pending*
   (待定): never due for disposal.
4. An item covered by an active long-term hold (A23) is ``on_hold``: never due either.

A period runs to the end of its ``retain_until`` day in Asia/Shanghai; an item is due for disposal
from the next day. On a store that enforces retention (S3 Object Lock), each blob's COMPLIANCE
retain-until date is extended to the start of that next day; permanent items get
``PERMANENT_STORE_YEARS`` from now, extended again on every full recompute (some servers refuse
dates like 9999-12-31). Retention in the store is extended, never shortened.

``recompute_for_items`` and ``recompute_for_dossier`` are the hooks other apps call after a change
(evidence flag, dossier frozen or supplemented, hold set or lifted); ``recompute_all`` runs daily.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from quancheng.alerts.services import raise_alert
from quancheng.compliance.hooks import schedule_evaluation
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.lib.blobstore import BlobNotFound, RetentionShortening
from quancheng.orgs import capabilities as caps
from quancheng.records.refs import (
    ITEM_MODELS,
    Item,
    ItemKind,
    items_of_act,
    items_of_case,
    kind_of,
    ref_of,
    resolve_many,
)
from quancheng.records.services import blob_store

from .config import apply_config, current_config
from .models import (
    Dossier,
    DossierEntry,
    Hold,
    ItemRetention,
    RetentionClass,
    RetentionNarrowing,
    retain_until,
)

if TYPE_CHECKING:
    from quancheng.orgs.models import User


log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# How far ahead a permanent item's blob is locked in the store; re-extended by recompute_all.
PERMANENT_STORE_YEARS = 100
BATCH = 500

Ref = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Retention:
    """One item's computed retention: a date, permanent (None) or pending."""

    retain_until: dt.date | None
    basis: str
    pending: bool = False

    @property
    def permanent(self) -> bool:
        return self.retain_until is None and not self.pending

    def label(self) -> str:
        if self.pending:
            return "待定"
        return "永久" if self.retain_until is None else self.retain_until.isoformat()


def today() -> dt.date:
    """Today in Asia/Shanghai (the regulation's calendar)."""
    return timezone.now().astimezone(SHANGHAI).date()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


def min_months() -> int:
    """The minimum for non-evidence AV in force (the retention configuration, A22: at least 6)."""
    return current_config().min_months


def dossier_until(dossier: Dossier, retention_class: str | None = None) -> dt.date | None:
    """The dossier's retain-until date (None: permanent), for its class or a proposed one."""
    if retention_class is None or retention_class == dossier.retention_class:
        if dossier.retention_class == RetentionClass.PERMANENT:
            return None
        if dossier.retain_until is not None:
            return dossier.retain_until
        retention_class = dossier.retention_class
    start = dossier.archived_on or local_date(dossier.frozen_at or dossier.created_at)
    return retain_until(start, RetentionClass(retention_class))


DossierRule = Callable[[Dossier], dt.date | None]


def rule_of(
    item,
    kind: str,
    dossiers: list[Dossier],
    min_months: int,
    until_of: DossierRule,
    *,
    open_case: bool = False,
    narrowing: RetentionNarrowing | None = None,
):
    """The retention of one item (see the module docstring for the rules).

    ``open_case``: the item belongs to a case whose dossier is not frozen yet (A22 ¶1: the
    records of a case are archived with it once it is done, so none of them is due while it
    runs). ``narrowing``: the recorded decision that this AV of a frozen dossier is not used as
    evidence, the only way its retention falls below the dossier's.
    """
    frozen = [d for d in dossiers if d.status == Dossier.Status.FROZEN]
    is_av = kind == ItemKind.SEGMENT
    minimum = None
    if is_av and not item.is_evidence:
        recorded = local_date(getattr(item, "started_at", None) or item.created_at)
        minimum = recorded + relativedelta(months=min_months)
    if frozen:
        if minimum is not None and narrowing is not None:
            return Retention(
                minimum,
                f"封卷后认定不作为证据使用（{narrowing.reason[:60]}），自录制起至少{min_months}个月",
            )
        dates = [until_of(d) for d in frozen]
        known = [d for d in dates if d is not None]
        if len(known) < len(dates):
            return Retention(None, f"随案卷永久保存（{_numbers(frozen)}）")
        until = max(known)
        if minimum is not None and minimum > until:
            return Retention(minimum, f"非证据音像记录，自录制起至少{min_months}个月")
        return Retention(until, f"随案卷保管（{_numbers(frozen)}）")
    if open_case:
        return Retention(None, OPEN_CASE_BASIS, pending=True)
    if minimum is not None:
        return Retention(minimum, f"非证据音像记录，自录制起至少{min_months}个月")
    return Retention(None, "尚未归档，保管期限待定", pending=True)


OPEN_CASE_BASIS = "所属案件尚未办结归档，保管期限待定（至少保存至案件归档）"


def _numbers(dossiers: list[Dossier]) -> str:
    return "、".join(d.number or f"案卷{d.pk}" for d in dossiers)


# --- what covers an item: dossiers and holds ------------------------------------------------------


def _items(refs: Iterable[Ref]) -> dict[Ref, Item]:
    return resolve_many(refs, select_related=("act",))


def _case_ids(item) -> set[int]:
    ids = {item.case_id} if item.case_id else set()
    if item.act_id and item.act.case_id:
        ids.add(item.act.case_id)
    return ids


def dossiers_of(items: dict[Ref, Item]) -> dict[Ref, list[Dossier]]:
    """Every dossier an item is in (its entries) or belongs to (its case's or act's dossier)."""
    result: dict[Ref, list[Dossier]] = defaultdict(list)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, pk in items:
        by_kind[kind].append(pk)
    entry_q = models.Q(pk__in=[])
    for kind, pks in by_kind.items():
        entry_q |= models.Q(item_kind=kind, item_id__in=pks)
    entries = DossierEntry.objects.filter(entry_q).select_related("dossier")
    for entry in entries:
        result[(entry.item_kind, entry.item_id)].append(entry.dossier)
    case_ids = {c for item in items.values() for c in _case_ids(item)}
    act_ids = {item.act_id for item in items.values() if item.act_id}
    linked = Dossier.objects.filter(models.Q(case_id__in=case_ids) | models.Q(act_id__in=act_ids))
    by_case = {d.case_id: d for d in linked if d.case_id}
    by_act = {d.act_id: d for d in linked if d.act_id}
    for ref, item in items.items():
        mine = [by_case[c] for c in _case_ids(item) if c in by_case]
        if item.act_id in by_act:
            mine.append(by_act[item.act_id])
        for d in mine:
            if all(d.pk != other.pk for other in result[ref]):
                result[ref].append(d)
    return result


def holds_of(items: dict[Ref, Item]) -> dict[Ref, list[Hold]]:
    """The active long-term holds (A23) covering each item: on its case or on its act."""
    case_ids = {c for item in items.values() for c in _case_ids(item)}
    act_ids = {item.act_id for item in items.values() if item.act_id}
    holds = list(
        Hold.objects.active().filter(models.Q(case_id__in=case_ids) | models.Q(act_id__in=act_ids))
    )
    result: dict[Ref, list[Hold]] = defaultdict(list)
    for ref, item in items.items():
        cases = _case_ids(item)
        for hold in holds:
            if (hold.case_id and hold.case_id in cases) or (
                hold.act_id and hold.act_id == item.act_id
            ):
                result[ref].append(hold)
    return result


def compute(
    refs: Iterable[Ref],
    *,
    min_months: int | None = None,
    classes: dict[str, str] | None = None,
) -> dict[Ref, tuple[Item, Retention, bool]]:
    """(item, retention, on_hold) per reference, computed now and saved nowhere.

    ``min_months`` and ``classes`` (dossier kind → retention class) stand in for the current
    rules in a preview.
    """
    items = _items(refs)
    if min_months is None:
        min_months = current_config().min_months

    def until_of(dossier: Dossier) -> dt.date | None:
        proposed = (classes or {}).get(dossier.kind)
        return dossier_until(dossier, proposed)

    dossiers = dossiers_of(items)
    holds = holds_of(items)
    open_cases = open_case_items(items)
    narrowings = narrowings_of(items, dossiers)
    return {
        ref: (
            item,
            rule_of(
                item,
                ref[0],
                dossiers.get(ref, []),
                min_months,
                until_of,
                open_case=ref in open_cases,
                narrowing=narrowings.get(ref),
            ),
            bool(holds.get(ref)),
        )
        for ref, item in items.items()
    }


def open_case_items(items: dict[Ref, Item]) -> set[Ref]:
    """The items linked (directly or through their act) to a case whose dossier is not frozen."""
    case_ids = {c for item in items.values() for c in _case_ids(item)}
    archived = set(
        Dossier.objects.filter(case_id__in=case_ids, status=Dossier.Status.FROZEN).values_list(
            "case_id", flat=True
        )
    )
    return {ref for ref, item in items.items() if _case_ids(item) - archived}


def narrowings_of(
    items: dict[Ref, Item], dossiers: dict[Ref, list[Dossier]]
) -> dict[Ref, RetentionNarrowing]:
    """The narrowing in force for each AV item: recorded for one of its frozen dossiers, after
    that dossier was frozen (A22: only a sealed dossier's AV may be found not to be evidence)."""
    segment_ids = [pk for kind, pk in items if kind == ItemKind.SEGMENT]
    if not segment_ids:
        return {}
    found: dict[Ref, RetentionNarrowing] = {}
    for row in RetentionNarrowing.objects.filter(segment_id__in=segment_ids).order_by("-pk"):
        ref = (ItemKind.SEGMENT.value, row.segment_id)
        frozen = {d.pk: d for d in dossiers.get(ref, []) if d.status == Dossier.Status.FROZEN}
        dossier = frozen.get(row.dossier_id)
        if dossier is not None and dossier.frozen_at and row.decided_at >= dossier.frozen_at:
            found.setdefault(ref, row)
    return found


# --- recompute and save ---------------------------------------------------------------------------


def _differs(row: ItemRetention | None, ret: Retention, on_hold: bool) -> bool:
    if row is None:
        return True
    return (row.retain_until, row.basis, row.pending, row.on_hold) != (
        ret.retain_until,
        ret.basis,
        ret.pending,
        on_hold,
    )


def _label(row: ItemRetention | None) -> str | None:
    if row is None:
        return None
    if row.pending:
        return "待定"
    return "永久" if row.retain_until is None else row.retain_until.isoformat()


def recompute_for_items(
    refs: Iterable[Ref], *, actor: User | None = None, sync_all: bool = False
) -> int:
    """Recompute and save the retention of these items; how many rows changed.

    Disposed items are left as they are. Each agency's changes are one ``retention.recomputed``
    ledger event. After the commit the store's retention dates and legal holds follow.
    """
    refs = list(dict.fromkeys((str(k), int(pk)) for k, pk in refs))
    changed_total = 0
    for start in range(0, len(refs), BATCH):
        changed_total += _recompute_batch(refs[start : start + BATCH], actor, sync_all)
    return changed_total


def recompute_for_changed_item(sender, *, item, actor: User | None, **kwargs) -> None:
    """An item linked, unlinked or marked as evidence: its retention (A22) and holds (A23)
    again, in the changing transaction (records.signals.item_changed)."""
    recompute_for_items([(item._meta.model_name, item.pk)], actor=actor)


def _recompute_batch(refs: list[Ref], actor: User | None, sync_all: bool) -> int:
    # Alone from recompute_all (the daily task, the command, the step after a retention
    # configuration's commit) and the scenarios; inside the caller's transaction from
    # item_changed's receiver (link, unlink, evidence), the hold and lift decisions
    # (approvals.decide), freezing and supplementing a dossier, and narrow_retention.
    # not durable: runs alone and inside the callers' transactions named above.
    with transaction.atomic():
        q = models.Q(pk__in=[])
        for kind in {k for k, _ in refs}:
            q |= models.Q(item_kind=kind, item_id__in=[pk for k, pk in refs if k == kind])
        rows = {
            (r.item_kind, r.item_id): r for r in ItemRetention.objects.select_for_update().filter(q)
        }
        computed = compute(refs)
        changes: dict[int, list[dict]] = defaultdict(list)
        agencies = {}
        touched_acts: set[int | None] = set()
        newly_held: list[Item] = []
        to_sync: list[Ref] = []
        for ref, (item, ret, on_hold) in computed.items():
            row = rows.get(ref)
            if row is not None and row.disposed:
                continue
            if sync_all and not ret.pending:
                to_sync.append(ref)
            if not _differs(row, ret, on_hold):
                continue
            before = _label(row)
            was_held = row.on_hold if row is not None else False
            if row is None:
                row = ItemRetention(item_kind=ref[0], item_id=ref[1], agency_id=item.agency_id)
            row.retain_until = ret.retain_until
            row.basis = ret.basis
            row.pending = ret.pending
            row.on_hold = on_hold
            row.computed_at = timezone.now()
            row.save()
            agencies[item.agency_id] = item.agency
            touched_acts.add(item.act_id)
            changes[item.agency_id].append(
                {
                    "kind": ref[0],
                    "id": ref[1],
                    "before": before,
                    "after": ret.label(),
                    "on_hold": on_hold,
                    "was_on_hold": was_held,
                }
            )
            if ref not in to_sync:
                to_sync.append(ref)
            if on_hold and not was_held:
                newly_held.append(item)
        for agency_id, items in changes.items():
            record_event(
                actor,
                Action.RETENTION_RECOMPUTED,
                None,
                {"items": items},
                object_type="archive.itemretention",
                object_id="",
                agency=agencies[agency_id],
            )
        if newly_held:
            _queue_copies_for(newly_held)
        if to_sync:
            transaction.on_commit(lambda: sync_store(to_sync))
        # A22-retention and A23-longterm read what changed here: their acts are checked again.
        schedule_evaluation(*touched_acts)
    return sum(len(v) for v in changes.values())


def _queue_copies_for(items: list[Item]) -> None:
    """Items that came under a hold after it was approved (linked to its act or case later)
    get their offline copy jobs too (A23: held items are copied to offline media)."""

    from .holds import queue_offline_copies

    by_ref = {ref_of(item): item for item in items}
    by_hold: dict[int, tuple[Hold, list]] = {}
    for ref, holds in holds_of(by_ref).items():
        item = by_ref[ref]
        for hold in holds:
            by_hold.setdefault(hold.pk, (hold, []))[1].append(item)
    for hold, held in by_hold.values():
        queue_offline_copies(hold, held)


def refs_of_dossier(dossier: Dossier) -> list[Ref]:
    """The record items of a dossier: its entries, plus every item of its case or act."""
    kinds = set(ItemKind.values)
    refs = [
        (e.item_kind, e.item_id)
        for e in dossier.entries.all()
        if e.item_kind in kinds  # explanations and findings have no retention of their own
    ]

    linked = items_of_case(dossier.case) if dossier.case_id else items_of_act(dossier.act)
    return list(dict.fromkeys(refs + [ref_of(item) for item in linked]))


def recompute_for_dossier(dossier: Dossier, *, actor: User | None = None) -> int:
    """Hook: call after a dossier is frozen or supplemented (in or after its transaction)."""
    return recompute_for_items(refs_of_dossier(dossier), actor=actor)


def all_refs() -> Iterable[Ref]:
    for kind, model in ITEM_MODELS.items():
        for pk in model.objects.order_by("pk").values_list("pk", flat=True).iterator(BATCH):
            yield (kind, pk)


def recompute_all(*, actor: User | None = None) -> int:
    """Every item, and every blob's store retention re-asserted (the daily job)."""
    return recompute_for_items(all_refs(), actor=actor, sync_all=True)


# --- the store follows ----------------------------------------------------------------------------


def store_until(row: ItemRetention, now: dt.datetime | None = None) -> dt.datetime | None:
    """The retain-until datetime for the item's blobs in the store; None while pending."""
    if row.pending or row.disposed:
        return None
    if row.retain_until is None:
        now = now or timezone.now()
        return now + relativedelta(years=PERMANENT_STORE_YEARS)
    next_day = row.retain_until + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(0), tzinfo=SHANGHAI)


def blobs_of(item) -> list[str]:
    """The blobs holding an item's content: the original and, for AV, its derivatives."""
    return [
        sha
        for sha in (
            getattr(item, "blob_id", None),
            getattr(item, "thumbnail_id", None),
            getattr(item, "proxy_id", None),
        )
        if sha
    ]


def sync_store(refs: Iterable[Ref]) -> None:
    """Extend the store's retention of these items' blobs and set their legal holds.

    A failure is logged and alerted, never raised: the database state is already committed and
    the next recompute tries again.
    """

    store = blob_store()
    if not store.enforces_retention:
        return
    refs = list(refs)
    items = _items(refs)
    rows = _rows(refs)
    held_blobs = held_blob_set({sha for item in items.values() for sha in blobs_of(item)})
    for ref, item in items.items():
        row = rows.get(ref)
        if row is None:
            continue
        until = store_until(row)
        for sha in blobs_of(item):
            _sync_blob(store, sha, until, sha in held_blobs, item)


def _rows(refs: list[Ref]) -> dict[Ref, ItemRetention]:
    q = models.Q(pk__in=[])
    for kind in {k for k, _ in refs}:
        q |= models.Q(item_kind=kind, item_id__in=[pk for k, pk in refs if k == kind])
    return {(r.item_kind, r.item_id): r for r in ItemRetention.objects.filter(q)}


def held_blob_set(shas: set[str]) -> set[str]:
    """Those of ``shas`` that some item on hold (not disposed) keeps its content in."""
    held = set()
    on_hold = ItemRetention.objects.filter(on_hold=True, disposed=False)
    for kind, model in ITEM_MODELS.items():
        ids = on_hold.filter(item_kind=kind).values("item_id")
        fields = [f for f in ("blob", "thumbnail", "proxy") if _has_field(model, f)]
        for field in fields:
            held |= set(
                model.objects.filter(pk__in=ids, **{f"{field}_id__in": shas}).values_list(
                    f"{field}_id", flat=True
                )
            )
    return held


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist
        return False
    return True


def _sync_blob(store, sha256: str, until, held: bool, item) -> None:
    try:
        # A date already past needs nothing (and S3 refuses a retain-until in the past).
        if until is not None and until > timezone.now():
            # The store may keep it longer already: retention never shortens.
            with contextlib.suppress(RetentionShortening):
                store.extend_retention(sha256, until)
        if getattr(store, "legal_hold", None) is None or store.legal_hold(sha256) != held:
            store.set_legal_hold(sha256, held)
    except BlobNotFound:
        log.warning("retention: blob %s of %r is not in the store", sha256, item)
    except Exception as exc:
        log.exception("retention: could not update blob %s in the store", sha256)
        # sync_store runs after the commit (on_commit): the alert opens its own transaction.
        with transaction.atomic(durable=True):
            _alert_sync_failed(sha256, item, exc)


def _alert_sync_failed(sha256: str, item, exc: Exception) -> None:
    raise_alert(
        "retention.store_sync_failed",
        f"保管期限未能同步到存储：{sha256[:16]}…",
        agency=item.agency,
        detail={"sha256": sha256, "error": f"{type(exc).__name__}: {exc}"},
        object_type="records.blob",
        object_id=sha256,
    )


# --- preview and apply a change of the rules ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewRow:
    ref: Ref
    item: Item
    before: str
    after: str
    basis: str


def preview_change(
    *, min_months: int | None = None, classes: dict[str, str] | None = None, limit: int = 200
) -> tuple[int, list[PreviewRow]]:
    """How many items' retention a rule change would change, and the first ``limit`` of them.

    Nothing is saved. ``min_months`` is a proposed minimum for non-evidence AV; ``classes`` a
    proposed dossier kind → retention class mapping (config.proposed_config).
    """
    count = 0
    rows: list[PreviewRow] = []
    refs = list(all_refs())
    for start in range(0, len(refs), BATCH):
        batch = refs[start : start + BATCH]
        current = _rows(batch)
        proposed = compute(batch, min_months=min_months, classes=classes)
        unsaved = [ref for ref in batch if ref not in current]
        now = compute(unsaved) if unsaved else {}
        for ref, (item, ret, _) in proposed.items():
            row = current.get(ref)
            if row is not None and row.disposed:
                continue
            before = _label(row) or now[ref][1].label()  # None: no row yet
            if before == ret.label():
                continue
            count += 1
            if len(rows) < limit:
                rows.append(PreviewRow(ref, item, before, ret.label(), ret.basis))
    return count, rows


class PolicyChangeRefused(ValueError):
    pass


def apply_min_months(user: User, min_months: int) -> int:
    """Apply a previewed change of the non-evidence AV minimum (a new version of the retention
    configuration, ``archive.retention_config_changed``); how many items changed."""
    try:
        saved = apply_config(user, {}, min_months=min_months)
    except PermissionDenied as e:
        raise PolicyChangeRefused(str(e)) from e
    except ValidationError as e:
        raise PolicyChangeRefused("；".join(m for ms in e.message_dict.values() for m in ms)) from e
    changed = saved.after_commit_result  # archive/config.py's _after_commit: a count
    return changed if isinstance(changed, int) else 0


def retention_of(item) -> ItemRetention | None:
    """The saved retention row of an item (for its page's 保管期限 box)."""

    return ItemRetention.objects.filter(item_kind=kind_of(item), item_id=item.pk).first()


# --- narrowing: AV of a sealed dossier found not to be evidence (A22 ¶3) ----------------------


class NarrowingRefused(ValueError):
    """A narrowing outside the rules; the message (Chinese) is shown to the user."""


def narrow_retention(user: User, segment, reason: str) -> RetentionNarrowing:
    """Record that a frozen dossier's AV item is not used as evidence, with the reason: its
    retention becomes the non-evidence minimum (A22 ¶3) instead of the dossier's period.

    Only the custodian (or head) of the item's agency; only AV not flagged as evidence; only once
    its dossier is frozen (before that, the case's AV is kept with the case, whatever the flag).
    """

    verdict = caps.check(user, caps.RETENTION_NARROW, segment)
    if not verdict:
        if not verdict.in_scope:
            raise Http404(verdict.reason)
        raise NarrowingRefused(verdict.reason)
    reason = (reason or "").strip()
    if not reason:
        raise NarrowingRefused("请填写不作为证据使用的理由（第二十二条）")
    with transaction.atomic(durable=True):
        segment = type(segment).objects.select_for_update().get(pk=segment.pk)
        if segment.is_evidence:
            raise NarrowingRefused("该音像记录已标记为证据使用，保管期限应与案卷相同（第二十二条）")
        ref = (ItemKind.SEGMENT.value, segment.pk)
        frozen = [
            d for d in dossiers_of(_items([ref])).get(ref, []) if d.status == Dossier.Status.FROZEN
        ]
        if not frozen:
            raise NarrowingRefused("案卷封卷归档后才能认定音像记录不作为证据使用（第二十二条）")
        row = RetentionNarrowing.objects.create(
            agency=segment.agency,
            segment=segment,
            dossier=frozen[0],
            reason=reason,
            decided_by=user,
        )
        record_event(
            user,
            Action.RETENTION_NARROWED,
            segment,
            {"dossier": frozen[0].pk, "reason": reason, "narrowing": row.pk},
        )
        recompute_for_items([ref], actor=user)
    return row
