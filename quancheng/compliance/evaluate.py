"""Evaluating the rules on acts: findings and completeness (idempotent).

``evaluate_acts`` builds the timelines of a batch of acts with a fixed number of queries, runs
every rule, and brings the stored findings in line with what the rules found:
1. a hit with no finding → a new open finding (``finding.opened``);
2. a hit whose finding was closed → reopened (``finding.reopened``);
3. an open or returned finding no hit supports any more → closed (``finding.closed``);
4. answered and accepted findings are kept as they are (the officer's answer and the head's
   decision stand);
then the act's completeness (and its case's) is stored. Nothing is written when nothing changed,
so evaluating twice writes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.ledger.actions import Action
from quancheng.ledger.integrator import holder_name, integrate_pending
from quancheng.ledger.services import PendingEvent, record_events
from quancheng.lib import forking, transactions
from quancheng.registration.deadlines import deadline_for_end, loaded_schedules
from quancheng.registration.models import ActRegistration

from .alerts import gap_findings, missing_av_findings, sync_gap_alert, sync_missing_av_alert
from .config import Config, current_config
from .custody import load_custody
from .models import (
    COMPLETENESS_RANK,
    ActCompliance,
    CaseCompliance,
    Completeness,
    Finding,
)
from .rules import RULES
from .rules.base import Context, Hit, Registration, note_manual_times
from .signals import acts_checked
from .timeline import Timeline, build_timelines

BATCH = 500


@dataclass
class Result:
    act_id: int
    status: str
    hits: list[tuple[str, Hit]]
    opened: int = 0
    closed: int = 0


@dataclass
class Summary:
    acts: int = 0
    opened: int = 0
    closed: int = 0


def run_rules(context: Context) -> list[tuple[str, Hit]]:
    """Every rule's hits on one act, as (rule id, hit)."""
    return [
        (rule.id, note_manual_times(hit, context.timeline))
        for rule in RULES
        for hit in rule.check(context)
    ]


def contexts_for(
    acts: Sequence[Act], config: Config | None = None, now: dt.datetime | None = None
) -> dict[int, Context]:
    config = config or current_config()
    now = now or timezone.now()
    timelines = build_timelines(acts)
    registrations = {
        act_id: Registration(registered_at, on_time, deadline, late_id, decided_at, until)
        for act_id, registered_at, on_time, deadline, late_id, decided_at, until in (
            ActRegistration.objects.filter(act_id__in=list(timelines)).values_list(
                "act_id",
                "registered_at",
                "on_time",
                "deadline",
                "late_request_id",
                "late_request__decided_at",
                "late_request__approved_until",
            )
        )
    }
    custody = load_custody(timelines, config)
    schedules = loaded_schedules()
    deadlines: dict[dt.date, object] = {}
    contexts = {}
    for act_id, timeline in timelines.items():
        act = timeline.act
        deadline = None
        if act_id not in registrations and act.ended_at <= now:
            ended_on = timezone.localdate(act.ended_at)
            if ended_on not in deadlines:
                deadlines[ended_on] = deadline_for_end(ended_on, schedules)
            deadline = deadlines[ended_on]
        contexts[act_id] = Context(
            timeline=timeline,
            config=config,
            now=now,
            registration=registrations.get(act_id),
            deadline=deadline,
            custody=custody[act_id],
            schedules=schedules,
        )
    return contexts


def completeness(findings: Iterable[Finding]) -> tuple[str, int]:
    active = [f for f in findings if f.status in Finding.ACTIVE]
    if any(f.missing_record for f in active):
        return Completeness.MANDATORY_MISSING, len(active)
    if active:
        return Completeness.FINDINGS_OPEN, len(active)
    return Completeness.COMPLETE, 0


def _finding_body(finding: Finding) -> dict:
    return {
        "act": finding.act_id,
        "rule": finding.rule_id,
        "key": finding.key,
        "article": finding.article,
        "severity": finding.severity,
        "message": finding.message,
        "evidence": finding.evidence,
    }


@dataclass
class _Change:
    """An act whose findings or completeness change, as the batch writes it (``_write_batch``)."""

    position: int  # in the batch's results
    act: Act
    hits: list[tuple[str, Hit]]
    existing: list[Finding]  # the act's findings; the new ones are appended
    new: dict[tuple[str, str], Finding] = field(default_factory=dict)  # by (rule id, key)
    missing_av_before: bool = False
    gaps_before: int = 0


def _finding_fields(rule_id: str, hit: Hit) -> dict:
    from .rules import BY_ID

    rule = BY_ID[rule_id]
    return {
        "article": rule.reference,
        "severity": hit.severity or rule.severity,
        "message": rule.render(hit),
        "evidence": hit.evidence,
        "missing_record": hit.missing_record,
    }


def _add_new_findings(change: _Change, now) -> None:
    """The act's findings for hits that have none yet, unsaved (the batch inserts them all)."""
    change.missing_av_before = bool(missing_av_findings(change.existing))
    change.gaps_before = len(gap_findings(change.existing))
    known = {(f.rule_id, f.key) for f in change.existing}
    for rule_id, hit in change.hits:
        if (rule_id, hit.key) in known or (rule_id, hit.key) in change.new:
            continue
        finding = Finding(
            act=change.act,
            rule_id=rule_id,
            key=hit.key,
            created_at=now,
            updated_at=now,
            **_finding_fields(rule_id, hit),
        )
        change.new[(rule_id, hit.key)] = finding
        change.existing.append(finding)


def _sync(change: _Change, events: list[PendingEvent], now) -> Result:
    """Bring one act's findings in line with its hits, its new findings already saved: the
    ledger events for every change go to ``events`` in the order they happen, staged before
    an alert stages its own (so the ledger holds them in the order one act at a time gives)."""
    act, existing = change.act, change.existing
    result = Result(act_id=act.pk, status="", hits=change.hits)
    by_key = {(f.rule_id, f.key): f for f in existing}
    seen = set()
    for rule_id, hit in change.hits:
        seen.add((rule_id, hit.key))
        finding = by_key[(rule_id, hit.key)]
        if change.new.get((rule_id, hit.key)) is finding:
            events.append(
                PendingEvent(
                    Action.FINDING_OPENED, finding, _finding_body(finding), agency=act.agency
                )
            )
            result.opened += 1
            continue
        fields = _finding_fields(rule_id, hit)
        changed = [name for name, value in fields.items() if getattr(finding, name) != value]
        reopen = finding.status == Finding.Status.CLOSED
        if not changed and not reopen:
            continue
        for name in changed:
            setattr(finding, name, fields[name])
        if reopen:
            finding.status = Finding.Status.OPEN
        finding.updated_at = now
        finding.save()
        events.append(
            PendingEvent(
                Action.FINDING_REOPENED if reopen else Action.FINDING_UPDATED,
                finding,
                {**_finding_body(finding), "changed": changed},
                agency=act.agency,
            )
        )
        result.opened += reopen
    for finding in existing:
        if (finding.rule_id, finding.key) in seen:
            continue
        if finding.status not in (Finding.Status.OPEN, Finding.Status.RETURNED):
            continue
        finding.status = Finding.Status.CLOSED
        finding.updated_at = now
        finding.save(update_fields=["status", "updated_at"])
        events.append(
            PendingEvent(
                Action.FINDING_CLOSED,
                finding,
                {"act": act.pk, "rule": finding.rule_id, "key": finding.key, "reason": "no_longer"},
                agency=act.agency,
            )
        )
        result.closed += 1
    missing_av_changed = change.missing_av_before != bool(missing_av_findings(existing))
    gaps_changed = change.gaps_before != len(gap_findings(existing))
    if missing_av_changed or gaps_changed:
        _stage(events)
    if missing_av_changed:
        sync_missing_av_alert(act, existing)  # A27: acts not recorded (compliance/alerts.py)
    if gaps_changed:
        sync_gap_alert(act, existing)  # A27: parts of an act not recorded
    result.status, _ = completeness(existing)
    return result


def _stage(events: list[PendingEvent]) -> None:
    """Stage the pending events by one insert and empty the list."""
    record_events(None, events)
    events.clear()


def _new_compliance(act: Act, existing: list[Finding], config: Config, now) -> ActCompliance:
    status, active = completeness(existing)
    return ActCompliance(
        act=act,
        status=status,
        active_findings=active,
        config_version=config.version,
        changed_at=now,
    )


def _store_completeness(act: Act, existing: list[Finding], stored, config: Config, now) -> bool:
    """Update a stored completeness that changed; whether its status did."""
    status, active = completeness(existing)
    if (stored.status, stored.active_findings, stored.config_version) == (
        status,
        active,
        config.version,
    ):
        return False
    ActCompliance.objects.update_or_create(
        act=act,
        defaults={
            "status": status,
            "active_findings": active,
            "config_version": config.version,
            "changed_at": now,
        },
    )
    return stored.status != status


def _write_batch(
    changes: list[_Change],
    first_complete: list[ActCompliance],
    stored: dict[int, ActCompliance],
    config: Config,
    now,
) -> tuple[list[Result], set[int]]:
    """Write a batch's changes in the caller's transaction; the changed acts' results and the
    cases whose completeness may have changed.

    The statements are per batch where that is simple, per act for the rare rest:
    1. every act's new findings by one insert (their ids name them in events and alerts);
    2. act by act, the updated, reopened and closed findings saved and the alerts synced; the
       events of all of it staged in the acts' order, by one insert between alerts;
    3. the completeness of acts evaluated for the first time by one insert, the others'
       updated one by one; the rollups learn of the acts whose rows were inserted by one
       ``acts_checked`` signal (a bulk insert sends no save signals).
    """
    for change in changes:
        _add_new_findings(change, now)
    Finding.objects.bulk_create([f for change in changes for f in change.new.values()])
    events: list[PendingEvent] = []
    results = [_sync(change, events, now) for change in changes]
    _stage(events)
    inserted = list(first_complete)
    cases = {c.act.case_id for c in first_complete if c.act.case_id}
    for change in changes:
        act = change.act
        if act.pk in stored:
            changed = _store_completeness(act, change.existing, stored[act.pk], config, now)
        else:
            inserted.append(_new_compliance(act, change.existing, config, now))
            changed = True
        if act.case_id and changed:
            cases.add(act.case_id)
    ActCompliance.objects.bulk_create(inserted)
    marked = [c.act_id for c in inserted] + [c.act.pk for c in changes if c.new]
    if marked:
        # the rows and what the statistics learn of them, together
        acts_checked.send(ActCompliance, act_ids=list(dict.fromkeys(marked)))
    return results, cases


def evaluate_acts(
    acts: Sequence[Act], config: Config | None = None, now: dt.datetime | None = None
) -> list[Result]:
    """Evaluate a batch of acts (idempotent); their results, in the order given."""
    config = config or current_config()
    now = now or timezone.now()
    acts = list(acts)
    contexts = contexts_for(acts, config, now)
    ids = [act.pk for act in acts]
    findings: dict[int, list[Finding]] = defaultdict(list)
    for finding in Finding.objects.filter(act_id__in=ids):
        findings[finding.act_id].append(finding)
    stored = {c.act_id: c for c in ActCompliance.objects.filter(act_id__in=ids)}
    results: list[Result] = []
    cases_touched: set[int] = set()
    first_complete = []  # acts evaluated for the first time with nothing found
    changes = []  # acts whose findings or completeness change
    for act in acts:
        hits = run_rules(contexts[act.pk])
        existing = findings[act.pk]
        if not hits and not existing and act.pk not in stored:
            first_complete.append(_new_compliance(act, existing, config, now))
            results.append(Result(act.pk, Completeness.COMPLETE, hits))
            continue
        unchanged = _same(hits, existing) and act.pk in stored
        if unchanged and _store_is_current(stored[act.pk], existing, config):
            results.append(Result(act.pk, stored[act.pk].status, hits))
            continue
        changes.append(_Change(len(results), act, hits, existing))
        results.append(Result(act.pk, "", hits))  # replaced by _write_batch's result below
    if changes or first_complete:
        # One transaction for the batch's changes (the rules ran above, outside it): its events
        # are integrated together after the commit, and the rollups' marks applied once.
        with transaction.atomic(durable=True):
            synced, cases_touched = _write_batch(changes, first_complete, stored, config, now)
        for change, result in zip(changes, synced, strict=True):
            results[change.position] = result
    if cases_touched:
        update_cases(cases_touched, now)
    return results


def _same(hits, existing: list[Finding]) -> bool:
    """The stored findings already say what the hits say (nothing to write)."""
    from .rules import BY_ID

    live = {(f.rule_id, f.key): f for f in existing}
    keys = set()
    for rule_id, hit in hits:
        keys.add((rule_id, hit.key))
        finding = live.get((rule_id, hit.key))
        if finding is None or finding.status == Finding.Status.CLOSED:
            return False
        rule = BY_ID[rule_id]
        if (
            finding.message != rule.render(hit)
            or finding.evidence != hit.evidence
            or finding.missing_record != hit.missing_record
            or finding.severity != (hit.severity or rule.severity)
        ):
            return False
    return not any(
        (f.rule_id, f.key) not in keys
        and f.status in (Finding.Status.OPEN, Finding.Status.RETURNED)
        for f in existing
    )


def _store_is_current(stored: ActCompliance, existing: list[Finding], config: Config) -> bool:
    status, active = completeness(existing)
    return (stored.status, stored.active_findings, stored.config_version) == (
        status,
        active,
        config.version,
    )


def evaluate_act(act: Act, now: dt.datetime | None = None) -> Result:
    """Evaluate one act (idempotent)."""
    act = Act.objects.select_related("agency").get(pk=act.pk)
    return evaluate_acts([act], now=now)[0]


def update_cases(case_ids: Iterable[int], now: dt.datetime | None = None) -> None:
    """A case's completeness is the worst of its evaluated acts'."""
    now = now or timezone.now()
    case_ids = list(case_ids)
    worst: dict[int, str] = {}
    for case_id, status in ActCompliance.objects.filter(
        act__case_id__in=list(case_ids)
    ).values_list("act__case_id", "status"):
        if case_id not in worst or COMPLETENESS_RANK[status] > COMPLETENESS_RANK[worst[case_id]]:
            worst[case_id] = status
    case_ids = set(case_ids)
    stored = dict(
        CaseCompliance.objects.filter(case_id__in=list(case_ids)).values_list("case_id", "status")
    )
    # A case left without evaluated acts (its last act moved away) is unchecked again.
    gone = [case_id for case_id in stored if case_id not in worst]
    if gone:
        CaseCompliance.objects.filter(case_id__in=gone).delete()
    for case_id, status in worst.items():
        if stored.get(case_id) != status:
            CaseCompliance.objects.update_or_create(
                case_id=case_id, defaults={"status": status, "changed_at": now}
            )


def evaluate_all(
    queryset=None, batch: int = BATCH, now: dt.datetime | None = None, workers: int = 1
) -> Summary:
    """Re-evaluate every act (or the given ones) in batches; the counts.

    With ``workers`` > 1 on PostgreSQL, outside any transaction and with at least two batches,
    the batches are shared among that many forked processes (a city's evaluation: the rules are
    Python, one core each); each batch is evaluated and committed exactly as alone.
    """
    config = current_config()
    now = now or timezone.now()
    queryset = (queryset if queryset is not None else Act.objects.all()).select_related("agency")
    summary = Summary()
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    batches = [ids[start : start + batch] for start in range(0, len(ids), batch)]
    # A transaction per batch, but the statistics rollups brought up to date once, at the end:
    # after each batch's commit they would recompute the same months and agencies again.
    with transactions.after_commits_coalesced():
        if workers > 1 and len(batches) > 1 and forking.can_fork(writes=True):
            counts = _evaluate_in_workers(batches, now, workers)
        else:
            counts = (_evaluate_batch(queryset, pks, config, now) for pks in batches)
        for acts, opened, closed in counts:
            summary.acts += acts
            summary.opened += opened
            summary.closed += closed
    return summary


def _evaluate_batch(queryset, pks: list[int], config: Config, now) -> tuple[int, int, int]:
    acts = list(queryset.filter(pk__in=pks).order_by("pk"))
    results = evaluate_acts(acts, config=config, now=now)
    return len(results), sum(r.opened for r in results), sum(r.closed for r in results)


def _evaluate_in_workers(batches: list[list[int]], now, workers: int):
    context = multiprocessing.get_context("fork")
    connections.close_all()  # never share a connection with the forked workers
    with ProcessPoolExecutor(min(workers, len(batches)), mp_context=context) as pool:
        for counts, hooks in pool.map(_in_worker, batches, [now] * len(batches)):
            for hook in hooks:  # the rollups' marks, applied once here at the end
                transactions.run_once_after(hook)
            yield counts
    # A worker's commit integrates its events unless another worker's integration is busy;
    # whatever is still staged is integrated now, so the evaluation ends fully recorded.
    integrate_pending(holder_name("evaluate"), wait=True, keep=False)


def _in_worker(pks: list[int], now) -> tuple[tuple[int, int, int], list]:
    connections.close_all()  # the parent's connections are not this process's
    with transactions.after_commits_collected() as hooks:
        counts = _evaluate_batch(Act.objects.select_related("agency"), pks, current_config(), now)
    return counts, hooks


def evaluate_overdue(sender, *, act_ids: list[int], now: dt.datetime, **kwargs) -> None:
    """registration ``acts_overdue`` (the daily A21 check): evaluate those acts at once, so
    their A21-deadline finding shows beside the alert."""
    evaluate_all(Act.objects.filter(pk__in=act_ids), now=now)


def timeline_and_findings(act: Act) -> tuple[Timeline, list[Finding]]:
    """What the act page shows (not stored: drawn from the records as they are now)."""
    timeline = build_timelines([act])[act.pk]
    return timeline, list(Finding.objects.filter(act=act).order_by("status", "rule_id", "key"))


def refresh_completeness(act: Act, now: dt.datetime | None = None) -> str:
    """Store the act's completeness from its findings as they are (after an answer or a
    decision), without running the rules; inside the caller's transaction."""
    now = now or timezone.now()
    existing = list(Finding.objects.filter(act=act))
    stored = ActCompliance.objects.filter(act=act).first()
    config_version = stored.config_version if stored else 0
    status, active = completeness(existing)
    sync_missing_av_alert(act, existing)  # an accepted answer closes the A27 alert
    sync_gap_alert(act, existing)
    ActCompliance.objects.update_or_create(
        act=act,
        defaults={
            "status": status,
            "active_findings": active,
            "config_version": config_version,
            "changed_at": now,
        },
    )
    if act.case_id:
        update_cases([act.case_id], now)
    return status
