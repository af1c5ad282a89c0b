"""What A23 keeps from disposal, and the head's decision that it does not apply (第二十三条).

An act's records must be kept long-term (and copied to offline media) when its recordings are
marked with an A23 circumstance (the configured ``longterm_marker_kinds``: 阻碍执法, 当事人异议,
群体性事件…), or when someone asked for a hold, which names the circumstance as its reason. The
circumstance is *resolved* only by the agency head:

1. a hold on the act or its case approved by the head (in force, or approved and later lifted by
   the head), or
2. the head's reasoned decision that it does not apply (:class:`LongtermWaiver`, the ledger
   event ``hold.not_applicable``), covering the markers and the refused holds it answers.

Until then nothing of the act is disposed of. Besides, a hold request waiting for the head blocks
the items it would cover, and an open A23-longterm finding blocks its act's items. Disposal asks
:func:`disposal_blockers` when it is proposed, when it is approved and again in each item's own
transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from quancheng.cases.models import Act
from quancheng.compliance.config import current_config
from quancheng.compliance.custody import HoldRow, WaiverRow
from quancheng.compliance.hooks import schedule_evaluation
from quancheng.compliance.models import Finding, Marker
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.orgs.models import Role

from .models import Hold, LongtermWaiver

if TYPE_CHECKING:
    from quancheng.orgs.models import User


# A hold the head approved: in force, or approved and later lifted by the head.
APPROVED = {Hold.Status.ACTIVE, Hold.Status.LIFT_REQUESTED, Hold.Status.LIFTED}
RULE_ID = "A23-longterm"


class WaiverRefused(ValueError):
    """A not-applicable decision outside the rules; the message (Chinese) is shown."""


@dataclass(slots=True)
class MarkerRow:
    id: int
    kind: str


def unresolved(markers: Iterable, holds: Iterable, waivers: Iterable) -> tuple[list, list]:
    """The markers and the refused holds of one act that the head has not resolved.

    ``markers`` have ``id`` and ``kind``; ``holds`` (on the act or its case) ``id`` and
    ``status``; ``waivers`` ``markers`` and ``holds`` (the ids they answer).
    """
    holds = list(holds)
    if any(h.status in APPROVED for h in holds):
        return [], []
    waivers = list(waivers)
    covered_markers = {pk for w in waivers for pk in w.markers}
    covered_holds = {pk for w in waivers for pk in w.holds}
    open_markers = [m for m in markers if m.id not in covered_markers]
    refused = [h for h in holds if h.status == Hold.Status.REFUSED and h.id not in covered_holds]
    return open_markers, refused


def marker_kinds() -> frozenset[str]:

    return current_config().longterm_marker_kinds


def labels() -> dict[str, str]:
    """Chinese labels of the circumstances: marker kinds, else hold reasons."""

    return {k: str(v) for k, v in (dict(Hold.Reason.choices) | dict(Marker.Kind.choices)).items()}


def _kind_labels(kinds: Iterable[str]) -> str:
    names = labels()
    return "、".join(names.get(k, k) for k in dict.fromkeys(kinds))


@dataclass
class _Acts:
    """The A23 circumstances of a set of acts, read in four queries."""

    case_of: dict[int, int | None]
    markers: dict[int, list[MarkerRow]]
    holds_on_act: dict[int, list[HoldRow]]
    holds_on_case: dict[int, list[HoldRow]]
    pending_on_act: set[int]
    pending_on_case: set[int]
    waivers: dict[int, list[WaiverRow]]
    open_findings: set[int]

    def holds(self, act_id: int) -> list[HoldRow]:
        case_id = self.case_of.get(act_id)
        on_case = self.holds_on_case.get(case_id, []) if case_id is not None else []
        return self.holds_on_act.get(act_id, []) + on_case

    def unresolved(self, act_id: int) -> tuple[list, list]:
        return unresolved(
            self.markers.get(act_id, []), self.holds(act_id), self.waivers.get(act_id, [])
        )


def _load(act_ids: set[int], case_ids: set[int]) -> _Acts:

    case_of: dict[int, int | None] = dict(
        Act.objects.filter(models.Q(pk__in=act_ids) | models.Q(case_id__in=case_ids)).values_list(
            "pk", "case_id"
        )
    )
    act_ids = set(case_of)
    case_ids = {c for c in case_of.values() if c} | case_ids
    markers: dict[int, list[MarkerRow]] = defaultdict(list)
    for pk, kind, act_id in (
        Marker.objects.current()
        .filter(segment__act_id__in=act_ids, kind__in=marker_kinds())
        .values_list("pk", "kind", "segment__act_id")
    ):
        markers[act_id].append(MarkerRow(pk, kind))
    on_act: dict[int, list[HoldRow]] = defaultdict(list)
    on_case: dict[int, list[HoldRow]] = defaultdict(list)
    pending_act, pending_case = set(), set()
    for pk, act_id, case_id, status, reason in Hold.objects.filter(
        models.Q(act_id__in=act_ids) | models.Q(case_id__in=case_ids)
    ).values_list("pk", "act_id", "case_id", "status", "reason"):
        row = HoldRow(pk, status, reason)
        (on_act[act_id] if act_id else on_case[case_id]).append(row)
        if status == Hold.Status.REQUESTED:
            (pending_act.add(act_id) if act_id else pending_case.add(case_id))
    waivers: dict[int, list[WaiverRow]] = defaultdict(list)
    for act_id, w_markers, w_holds in LongtermWaiver.objects.filter(act_id__in=act_ids).values_list(
        "act_id", "markers", "holds"
    ):
        waivers[act_id].append(WaiverRow(list(w_markers or []), list(w_holds or [])))
    findings = set(
        Finding.objects.active()
        .filter(rule_id=RULE_ID, act_id__in=act_ids)
        .values_list("act_id", flat=True)
    )
    return _Acts(case_of, markers, on_act, on_case, pending_act, pending_case, waivers, findings)


def _case_ids(item) -> set[int]:
    ids = {item.case_id} if getattr(item, "case_id", None) else set()
    if item.act_id and item.act.case_id:
        ids.add(item.act.case_id)
    return ids


def disposal_blockers(items: dict) -> dict[tuple[str, int], list[str]]:
    """Why A23 keeps each item (ref → item) from disposal; items free of it are left out.

    An item's acts are its own act and, when it belongs to a case, every act of that case: the
    circumstance of one act of a case (an objection, an obstruction) concerns the whole case.
    """
    if not items:
        return {}
    act_ids = {item.act_id for item in items.values() if item.act_id}
    case_ids = {c for item in items.values() for c in _case_ids(item)}
    acts = _load(act_ids, case_ids)
    by_case: dict[int, set[int]] = defaultdict(set)
    for act_id, case_id in acts.case_of.items():
        if case_id:
            by_case[case_id].add(act_id)
    result: dict[tuple[str, int], list[str]] = {}
    for ref, item in items.items():
        cases = _case_ids(item)
        mine = ({item.act_id} if item.act_id else set()).union(*(by_case[c] for c in cases))
        reasons = []
        if item.act_id in acts.pending_on_act or cases & acts.pending_on_case:
            reasons.append("所属执法行为或案件有待机构负责人审批的长期保存申请（第二十三条）")
        kinds = []
        for act_id in sorted(mine):
            open_markers, refused = acts.unresolved(act_id)
            kinds += [m.kind for m in open_markers] + [h.reason for h in refused]
        if kinds:
            reasons.append(
                f"所属执法行为存在“{_kind_labels(kinds)}”情形，应当长期保存，须经机构负责人批准"
                "长期保存（其后解除）或决定不适用（第二十三条）"
            )
        if mine & acts.open_findings:
            reasons.append("所属执法行为有未处理的长期保存检查发现（第二十三条）")
        if reasons:
            result[ref] = reasons
    return result


def circumstances_of(act: Act) -> tuple[list, list]:
    """The unresolved markers and refused holds of one act (for its pages and the waiver)."""
    return _load({act.pk}, set()).unresolved(act.pk)


def waive_longterm(user: User, act: Act, *, reason: str) -> LongtermWaiver:
    """The head records that the marked A23 circumstances of an act do not call for long-term
    keeping, with the reasons (不适用长期保存决定): a ledger event, shown in the dossier."""
    if getattr(user, "role", None) != Role.HEAD or user.agency_id != act.agency_id:
        raise PermissionDenied("只有本机构负责人可以决定不适用长期保存")
    reason = (reason or "").strip()
    if not reason:
        raise WaiverRefused("请填写不适用长期保存的理由（第二十三条）")
    with transaction.atomic(durable=True):
        act = Act.objects.select_for_update().get(pk=act.pk)
        state = _load({act.pk}, set())
        if act.pk in state.pending_on_act or act.case_id in state.pending_on_case:
            raise WaiverRefused("该执法行为有待审批的长期保存申请，请先审批该申请")
        open_markers, refused = state.unresolved(act.pk)
        if not open_markers and not refused:
            raise WaiverRefused("该执法行为没有待机构负责人决定的长期保存情形")
        waiver = LongtermWaiver.objects.create(
            agency=act.agency,
            act=act,
            reason=reason,
            markers=[m.id for m in open_markers],
            holds=[h.id for h in refused],
            decided_by=user,
        )
        record_event(
            user,
            Action.HOLD_NOT_APPLICABLE,
            act,
            {
                "waiver": waiver.pk,
                "reason": reason,
                "markers": waiver.markers,
                "holds": waiver.holds,
                "circumstances": [m.kind for m in open_markers] + [h.reason for h in refused],
            },
        )
        # A23-longterm reads the decision.
        schedule_evaluation(act.pk)
    return waiver
