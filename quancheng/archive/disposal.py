"""Disposal (销毁) of record items whose retention has ended: the only delete path for content.

1. The disposal list: items due (``retain_until`` before today in Asia/Shanghai), on no hold,
   not pending, not disposed, not in an open proposal. Items of permanent dossiers have no date
   and are never due.
2. The custodian proposes items with a reason (:func:`propose_disposal`).
3. The agency head approves or refuses (:func:`decide_disposal`); never the proposer (also a
   database constraint).
4. On approval, per item: the content's hash is re-verified through fixity (a mismatch or a
   missing blob raises fixity's alert, aborts that item and fails the proposal); then, in one
   transaction, the tombstone ledger event ``<kind>.disposed`` (hash, size, metadata, proposer,
   approver, time), the item marked disposed and the event's number kept; after the commit the
   blobs no other live item uses are removed from the store (``BlobStore.dispose``).

Any attempt outside these rules is refused, written to the ledger (``disposal.attempt_refused``)
and raised as an alert to the legal auditor (A27).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from quancheng.alerts.services import raise_alert
from quancheng.cases.models import Act
from quancheng.fixity.checks import check_blob, record_check
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, record_sequenced_event, require_own_transaction
from quancheng.lib.blobstore import BlobNotFound
from quancheng.lib.canonical import canonical_bytes
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Role
from quancheng.records.models import Blob, DataRecord
from quancheng.records.refs import ITEM_MODELS, ItemKind, kind_of
from quancheng.records.services import blob_store
from quancheng.records.sm3 import file_digests

from .longterm import disposal_blockers
from .models import DisposalItem, DisposalProposal, ItemRetention
from .retention import Ref, blobs_of, compute, today

if TYPE_CHECKING:
    from quancheng.orgs.models import User


log = logging.getLogger(__name__)

# The content of a data record is its JSON; no metadata field carries it.
CONTENT_FIELDS = {"data"}


class DisposalRefused(ValueError):
    """A disposal step outside the rules; the message (Chinese) is shown to the user."""


# --- the disposal list ----------------------------------------------------------------------------


def _open_items() -> models.QuerySet:
    return DisposalItem.objects.filter(proposal__status=DisposalProposal.Status.PROPOSED)


def due_items(user: User, on=None) -> models.QuerySet[ItemRetention]:
    """Step 1: the items the user's scope may propose for disposal (待销毁)."""
    on = on or today()
    rows = ItemRetention.objects.visible_to(user).filter(
        disposed=False, on_hold=False, pending=False, retain_until__lt=on
    )
    if caps.can(user, caps.DISPOSAL_PROPOSE):
        rows = rows.filter(agency_id=user.agency_id)  # what they may propose: their own agency
    for kind in ItemKind.values:
        taken = _open_items().filter(item_kind=kind).values("item_id")
        rows = rows.exclude(item_kind=kind, item_id__in=taken)
    return rows.order_by("retain_until", "item_kind", "item_id")


def _why_not_due(ref: Ref, current, row: ItemRetention | None, on) -> str | None:
    """Why an item may not be disposed of now, or None when it may."""
    label = f"{dict(ItemKind.choices).get(ref[0], ref[0])} {ref[1]}"
    if current is None:
        return f"{label} 不存在"
    if row is None:
        return f"{label} 尚未计算保管期限"
    _, ret, on_hold = current
    if row.disposed:
        return f"{label} 已销毁"
    if on_hold or row.on_hold:
        return f"{label} 处于长期保存中，不得销毁"
    if ret.pending:
        return f"{label} {ret.basis}"
    if ret.retain_until is None:
        return f"{label} 永久保存"
    if ret.retain_until >= on:
        return f"{label} 保管期限未满（保管至 {ret.retain_until}）"
    return None


def _check_due(refs: list[Ref], on) -> list[str]:
    """Every reason the items may not be disposed of now: retention (A22) and what A23 keeps
    (a pending hold request, an unresolved marked circumstance, an open A23 finding)."""
    current = compute(refs)
    rows = {
        (r.item_kind, r.item_id): r
        for kind in {k for k, _ in refs}
        for r in ItemRetention.objects.filter(
            item_kind=kind, item_id__in=[pk for k, pk in refs if k == kind]
        )
    }
    problems = [_why_not_due(ref, current.get(ref), rows.get(ref), on) for ref in refs]
    blockers = disposal_blockers({ref: found[0] for ref, found in current.items()})
    for ref in refs:
        label = f"{dict(ItemKind.choices).get(ref[0], ref[0])} {ref[1]}"
        problems += [f"{label} {reason}" for reason in blockers.get(ref, [])]
    return [p for p in problems if p]


def why_not_disposable(refs: list[Ref]) -> list[str]:
    """Every reason these items may not be disposed of today (empty: they may)."""
    return _check_due([(str(k), int(pk)) for k, pk in refs], today())


def blockers_of(items: dict) -> dict[Ref, list[str]]:
    """What A23 keeps of these items (ref → item), for the disposal list."""
    return disposal_blockers(items)


def _lock_acts(refs: list[Ref]) -> None:
    """Lock the acts (and their cases' acts) of the items, so that a hold requested or a
    not-applicable decision recorded at the same moment waits for this transaction, or this
    one sees it (holds.request_hold and longterm.waive_longterm lock the same rows)."""

    items = [item for item in (_item(ref) for ref in refs) if item is not None]
    act_ids = {item.act_id for item in items if item.act_id}
    case_ids = {item.case_id for item in items if getattr(item, "case_id", None)}
    case_ids |= set(
        Act.objects.filter(pk__in=act_ids, case_id__isnull=False).values_list("case_id", flat=True)
    )
    query = models.Q(pk__in=act_ids) | models.Q(case_id__in=case_ids)
    list(Act.objects.select_for_update().filter(query).order_by("pk").values_list("pk"))


# --- refusals are evidence too (A27) --------------------------------------------------------------


def _refuse(user: User, message: str, *, agency, proposal=None, detail=None) -> DisposalRefused:
    """Write the refused attempt to the ledger and alert the legal auditor; the error to raise."""
    body = {"message": message, "proposal": proposal.pk if proposal else None, **(detail or {})}
    with transaction.atomic(durable=True):
        record_event(
            user,
            Action.DISPOSAL_ATTEMPT_REFUSED,
            proposal,
            body,
            object_type="archive.disposalproposal",
            object_id="",
            agency=agency,
        )
        raise_alert(
            "disposal.attempt_refused",
            f"违规销毁尝试：{message}"[:200],
            agency=agency,
            detail={**body, "user": str(user), "user_id": user.pk},
            audience=[Role.AUDITOR.value],
            actor=user,
        )
    return DisposalRefused(message)


# --- step 2: the proposal -------------------------------------------------------------------------


def _metadata(item) -> dict:
    data = {
        f.attname: f.value_from_object(item)
        for f in item._meta.concrete_fields
        if f.name not in CONTENT_FIELDS
    }
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _content_ref(item) -> tuple[str, int | None]:
    if isinstance(item, DataRecord):
        return item.sha256, len(canonical_bytes(item.data))
    return item.blob_id, item.blob.size


def propose_disposal(user: User, refs: list[Ref], reason: str) -> DisposalProposal:
    """The custodian proposes due items of their agency for disposal."""
    refs = list(dict.fromkeys((str(k), int(pk)) for k, pk in refs))
    agency = user.agency
    if not caps.can(user, caps.DISPOSAL_PROPOSE):
        raise _refuse(user, "只有记录管理专人可以提出销毁申请", agency=agency)
    reason = (reason or "").strip()
    if not refs:
        raise DisposalRefused("请选择要销毁的条目")
    if not reason:
        raise DisposalRefused("请填写销毁理由")
    assert agency is not None  # the capability above is held in an agency
    items = {ref: _item(ref) for ref in refs}
    foreign = [ref for ref, item in items.items() if item is None or item.agency_id != agency.pk]
    if foreign:
        raise _refuse(
            user, "不能对其他机构的记录提出销毁申请", agency=agency, detail={"items": foreign}
        )
    problems = _check_due(refs, today())
    if problems:
        raise _refuse(user, "；".join(problems), agency=agency, detail={"items": refs})
    taken = [ref for ref in refs if _open_items().filter(item_kind=ref[0], item_id=ref[1]).exists()]
    if taken:
        raise DisposalRefused("所选条目已在其他待审批的销毁申请中")
    with transaction.atomic(durable=True):
        proposal = DisposalProposal.objects.create(agency=agency, reason=reason, requested_by=user)
        for ref, item in items.items():
            sha256, size = _content_ref(item)
            DisposalItem.objects.create(
                proposal=proposal,
                item_kind=ref[0],
                item_id=ref[1],
                sha256=sha256,
                size=size,
                metadata=_metadata(item),
            )
        record_event(
            user,
            Action.DISPOSAL_PROPOSED,
            proposal,
            {"reason": reason, "items": [{"kind": k, "id": pk} for k, pk in refs]},
        )
    return proposal


def _item(ref: Ref):
    model = ITEM_MODELS.get(ref[0])
    return model.objects.filter(pk=ref[1]).first() if model else None


# --- step 3 and 4: the decision and the disposal --------------------------------------------------


def disposal_consequences(proposal: DisposalProposal) -> list[str]:
    """What approving a disposal does, for the confirmation page and the API's refusal."""
    items = list(proposal.items.all())
    size = sum(i.size or 0 for i in items)
    found = {i.item_kind for i in items}
    kinds = ItemKind(found.pop()).label if len(found) == 1 else ""
    return [
        f"逐条复核保管期限与长期保存（第二十二条、第二十三条）及文件哈希，通过后销毁"
        f"{len(items)}项{kinds or '记录'}的文件（共{filesizeformat(size)}）",
        "文件从存储中删除，不可恢复；只保留销毁记录（墓碑：SHA-256、大小、元数据、"
        "销毁时间、批准人），记入不可篡改的操作日志",
        "销毁后这些记录不能再查看、下载、提取或对外提供",
    ]


def approval_blockers(proposal: DisposalProposal) -> list[str]:
    """Why approving the proposal would be refused today, in Chinese (empty: nothing blocks):
    the same checks the approval makes (retention not yet expired, a hold or a pending hold
    request, an unresolved A23 circumstance or finding), run in advance for the confirmation
    page and the API; nothing is written."""
    return _check_due(list(proposal.items.values_list("item_kind", "item_id")), today())


class _NotDue(Exception):
    """Raised inside the decision's transaction: the items may not go yet (rolled back)."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


def decide_disposal(
    user: User, proposal: DisposalProposal, *, approve: bool, note: str = ""
) -> DisposalProposal:
    """The head approves (and the items are disposed of) or refuses the proposal."""
    # Each step commits on its own, none inside another: the decision (approvals.decide), each
    # item's disposal (dispose_item re-hashes the content first and removes it after its
    # commit), then the failure if any. Refused attempts are written to the ledger and alerted
    # before ``approvals.decide`` (which checks the same again) refuses them.
    if not caps.can(user, caps.REQUESTS_DECIDE, proposal):
        raise _refuse(
            user, "只有本机构负责人可以审批销毁申请", agency=proposal.agency, proposal=proposal
        )
    if user.pk == proposal.requested_by_id:
        raise _refuse(user, "不能审批本人提出的销毁申请", agency=proposal.agency, proposal=proposal)
    try:
        approvals.decide("disposal", proposal, user, approve=approve, note=note)
    except _NotDue as not_due:
        raise _refuse(
            user, "；".join(not_due.problems), agency=proposal.agency, proposal=proposal
        ) from None
    if approve:
        failed = [
            ditem.pk for ditem in proposal.items.all() if not dispose_item(ditem, proposal, user)
        ]
        if failed:
            with transaction.atomic(durable=True):
                DisposalProposal.objects.filter(pk=proposal.pk).update(
                    status=DisposalProposal.Status.FAILED
                )
                record_event(user, Action.DISPOSAL_FAILED, proposal, {"failed_items": failed})
    proposal.refresh_from_db()
    return proposal


def apply_disposal_decision(locked: DisposalProposal, user: User, approve: bool, note: str):
    """The proposal's own outcome (``approvals.decide`` calls it, in its transaction): an
    approval re-checks every item first (retention and A23, with the items' acts locked)."""
    require_own_transaction("apply_disposal_decision")  # inside approvals.decide()
    if approve:
        refs = list(locked.items.values_list("item_kind", "item_id"))
        _lock_acts(refs)
        problems = _check_due(refs, today())
        if problems:
            raise _NotDue(problems)
    status = DisposalProposal.Status
    locked.status = status.APPROVED if approve else status.REFUSED
    locked.save()
    record_event(
        user,
        Action.DISPOSAL_APPROVED if approve else Action.DISPOSAL_REFUSED,
        locked,
        {"note": note},
    )
    return locked


def _verify(ditem: DisposalItem, item, user: User) -> bool:
    """Re-hash the content before it goes (fixity records the check; a problem alerts)."""
    if isinstance(item, DataRecord):
        return hashlib.sha256(canonical_bytes(item.data)).hexdigest() == ditem.sha256

    blob = Blob.objects.select_related("agency").get(sha256=ditem.sha256)
    result = check_blob(blob_store(), blob.sha256, blob.size, sm3=blob.sm3 or None)
    with transaction.atomic(durable=True):
        record_check(result, blob, {"disposal": ditem.proposal_id}, actor=user)
    return result.ok


def dispose_item(ditem: DisposalItem, proposal: DisposalProposal, user: User) -> bool:
    """Step 4 for one item; False when it was kept (verification failed, or retention or A23
    forbids it now: ``disposal.item_kept`` with the reasons)."""
    item = _item((ditem.item_kind, ditem.item_id))
    if item is None or not _verify(ditem, item, user):
        _alert_mismatch(ditem, proposal, user)
        return False
    ref = (ditem.item_kind, ditem.item_id)
    with transaction.atomic(durable=True):
        row = ItemRetention.objects.select_for_update().get(
            item_kind=ditem.item_kind, item_id=ditem.item_id
        )
        if row.disposed:
            return True
        # Checked again in the transaction that disposes, with the item's acts locked: a hold
        # requested, a circumstance marked or a finding opened since the approval keeps it.
        _lock_acts([ref])
        problems = _check_due([ref], today())
        if problems:
            body = {"kind": ref[0], "id": ref[1], "reasons": problems}
            record_event(user, Action.DISPOSAL_ITEM_KEPT, proposal, body)
        else:
            unused = _tombstone(ditem, proposal, user, item, row)
    if problems:
        return False
    # Only after the tombstone is committed does the content go.
    _remove_from_store(unused, item)
    return True


def _tombstone(ditem, proposal, user: User, item, row) -> list[str]:
    """The tombstone event and the rows marked disposed; the blobs no live row uses any more."""
    now = timezone.now()
    # The tombstone's seq is kept on the item in the same transaction.
    event = record_sequenced_event(
        user,
        Action(f"{ditem.item_kind}.disposed"),  # type: ignore[call-arg]  # lookup by value
        item,
        {
            **file_digests(ditem.sha256),
            "size": ditem.size,
            "metadata": ditem.metadata,
            "proposal": proposal.pk,
            "reason": proposal.reason,
            "proposed_by": proposal.requested_by.get_username(),
            "approved_by": user.get_username(),
            "disposed_at": now.isoformat(),
        },
    )
    row.disposed = True
    row.save(update_fields=["disposed"])
    ditem.disposed_at = now
    ditem.tombstone_seq = event.seq
    ditem.save(update_fields=["disposed_at", "tombstone_seq"])
    if isinstance(item, DataRecord):
        # A data record's content is its JSON: emptied here (its hash stays in the row).
        DataRecord.objects.filter(pk=item.pk).update(data={})
    unused = [sha for sha in blobs_of(item) if not blob_in_use(sha)]
    Blob.objects.filter(sha256__in=unused).update(disposed_at=now)
    return unused


def _alert_mismatch(ditem, proposal, user: User) -> None:
    with transaction.atomic(durable=True):
        raise_alert(
            "disposal.verification_failed",
            f"销毁前校验不符，已中止：{ditem.get_item_kind_display()} {ditem.item_id}",
            agency=proposal.agency,
            detail={"proposal": proposal.pk, "sha256": ditem.sha256},
            obj=ditem.proposal,
            actor=user,
        )


def blob_in_use(sha256: str) -> bool:
    """Does any live row still use this blob? Record items count unless disposed; any other
    reference (signature images, export packages…) always counts. Dedup makes this necessary:
    one blob may be the content of several items."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not (field.is_relation and field.related_model is Blob):
                continue
            rows = model.objects.filter(**{field.attname: sha256})  # type: ignore[attr-defined]  # every model here has objects
            if model in ITEM_MODELS.values():
                disposed = ItemRetention.objects.filter(
                    item_kind=kind_of(model()), disposed=True
                ).values("item_id")
                rows = rows.exclude(pk__in=disposed)
            if rows.exists():
                return True
    return False


def _remove_from_store(shas: list[str], item) -> None:

    store = blob_store()
    for sha256 in shas:
        try:
            store.dispose(sha256)
        except BlobNotFound:
            pass
        except Exception as exc:
            log.exception("disposal: blob %s could not be removed", sha256)
            with transaction.atomic(durable=True):
                raise_alert(
                    "disposal.store_failed",
                    f"销毁后存储删除失败：{sha256[:16]}…",
                    agency=item.agency,
                    detail={"sha256": sha256, "error": f"{type(exc).__name__}: {exc}"},
                    object_type="records.blob",
                    object_id=sha256,
                )


def resume_disposals() -> dict[str, int]:
    """Finish what a crash interrupted (run by the daily retention task).

    An approved proposal whose process died part-way has items without a tombstone: they are
    verified and disposed of now, as the approver decided. A tombstone whose content is still in
    the store (the process died after the commit, before the removal) has its content removed.
    """

    done = 0
    pending = DisposalItem.objects.filter(
        proposal__status=DisposalProposal.Status.APPROVED, disposed_at__isnull=True
    ).select_related("proposal__decided_by", "proposal__requested_by")
    for ditem in pending:
        decided_by = ditem.proposal.decided_by
        assert decided_by is not None  # an approved proposal names who approved it
        done += dispose_item(ditem, ditem.proposal, decided_by)
    store = blob_store()
    leftovers = [
        blob
        for blob in Blob.objects.filter(disposed_at__isnull=False).select_related("agency")
        if store.exists(blob.sha256)
    ]
    for blob in leftovers:
        _remove_from_store([blob.sha256], blob)
    return {"items": done, "contents": len(leftovers)}


# --- what item pages and inboxes ask --------------------------------------------------------------


def is_disposed(item) -> bool:
    return ItemRetention.objects.filter(
        item_kind=kind_of(item), item_id=item.pk, disposed=True
    ).exists()


def tombstone_of(item) -> DisposalItem | None:
    """The disposal record of a disposed item (what its page shows instead of the content)."""
    return (
        DisposalItem.objects.filter(
            item_kind=kind_of(item), item_id=item.pk, disposed_at__isnull=False
        )
        .select_related("proposal__requested_by", "proposal__decided_by")
        .first()
    )


def pending_for_head(user: User) -> models.QuerySet[DisposalProposal]:
    """Disposal proposals awaiting this head's decision (the approvals inbox's section)."""
    return approvals.awaiting("disposal", user)
