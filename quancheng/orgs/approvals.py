"""One approval service (审批): a registry of approvable kinds and the one ``decide()``.

Every flow where someone asks and the agency head decides (调阅申请, 证据提取, 对外提供, 脱敏副本,
延期登记, 第十三条工作记录审核, 长期保存 and its lifting, 销毁, 补充归档, 档案移交) registers an
:class:`ApprovableKind` from its app's ``AppConfig.ready()``. Its own service then calls
:func:`decide`, which does what every flow must do, in this order:

1. the capability, through the capability table (``orgs/capabilities.py``);
2. never the requester (自己不能审批自己的申请), whatever role they hold now;
3. a refusal needs a reason (不予批准须填写审批意见);
4. in one transaction: the row locked, refused if already decided, the decider, time and note
   written, then the kind's ``effect`` — its own state change and ledger event, in the same
   transaction.

The head's inbox (``access/inbox.py``) lists every registered kind through its ``inbox``
queryset; a new flow shows up there by registering, with no change to the inbox.

This module sits in ``orgs`` (it refers to users and the capability table) and imports no
domain app: the apps register themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Approval

if TYPE_CHECKING:
    from quancheng.orgs.models import User

# The codes ``decide()`` refuses with (the API's JSON error codes).
FORBIDDEN = "forbidden"
SELF_APPROVAL = "self_approval"
ALREADY_DECIDED = "already_decided"
NOTE_REQUIRED = "note_required"


def _default_fail(code: str, message: str) -> Exception:
    if code in (FORBIDDEN, SELF_APPROVAL):
        return PermissionDenied(message)
    return ValidationError(message, code=code)


@dataclass(frozen=True)
class ApprovableKind:
    """One kind of thing the head approves (one section of the inbox)."""

    code: str  # "access_request"
    label: str  # the inbox section's Chinese title
    noun: str  # what is asked, in messages: "调阅申请"
    model: type[Approval]
    capability: str  # a row of the capability table
    # Pending rows of the decider's agency, not filtered by requester (``inbox`` does that).
    pending: Callable[[Any], models.QuerySet]
    is_pending: Callable[[Any], bool]
    # The kind's own outcome: status, its own fields, the ledger event, follow-up work.
    # Called as effect(obj, actor, approve, note, **extra) inside decide()'s transaction;
    # returns the object.
    effect: Callable[..., Any]
    # Every model is an ``orgs.models.Approval`` and carries its field names; decide() writes
    # decided_by, decided_at and decision_note. One row holding a second request (a hold's
    # lifting) names that request's asker and leaves the decider to ``effect``.
    requester_field: str = "requested_by"
    records_decider: bool = True
    capability_target: Callable[[Any], Any] = lambda obj: obj
    title: Callable[[Any], str] = str
    url: Callable[[Any], str] = lambda obj: ""
    # Exceptions in the kind's own vocabulary (its pages and API already map them).
    fail: Callable[[str, str], Exception] = _default_fail
    messages: dict[str, str] = field(default_factory=dict)
    select_related: tuple[str, ...] = ()
    # True: a refusal is the table's own (404 outside the scope, 403 with its reason);
    # False: the kind's FORBIDDEN message, as its pages showed before.
    table_refusal: bool = False
    order: int = 100  # the inbox's order of sections
    status_label: Callable[[Any], str] = lambda obj: obj.get_status_display()

    def requester_id(self, obj) -> int | None:
        return getattr(obj, f"{self.requester_field}_id")

    def requester(self, obj):
        return getattr(obj, self.requester_field)

    def requested_at(self, obj):
        return obj.requested_at

    def message(self, code: str, obj=None) -> str:
        status = self.status_label(obj) if obj is not None else ""
        if code in self.messages:
            return self.messages[code].format(status=status)
        if code == FORBIDDEN:
            return f"只有本机构负责人可以审批{self.noun}"
        if code == SELF_APPROVAL:
            return f"申请人不能审批自己的{self.noun}"
        if code == NOTE_REQUIRED:
            return "不予批准时请填写审批意见"
        return f"该{self.noun}已处理" + (f"（{status}）" if status else "")

    def inbox(self, user: User) -> models.QuerySet:
        """What waits for ``user``: pending, in their agency, not their own."""
        qs = self.pending(user).exclude(**{self.requester_field: user})
        related = (self.requester_field, *self.select_related)
        return qs.select_related(*related)


_REGISTRY: dict[str, ApprovableKind] = {}


def register_approvable(kind: ApprovableKind) -> ApprovableKind:
    """Add a kind (from the app's ``AppConfig.ready()``); a code registers once."""
    existing = _REGISTRY.get(kind.code)
    if existing is not None and existing is not kind:
        raise ValueError(f"approvable kind {kind.code!r} is already registered")
    _REGISTRY[kind.code] = kind
    return kind


def unregister_approvable(code: str) -> None:
    """Remove a kind (tests registering their own)."""
    _REGISTRY.pop(code, None)


def approvable_kinds() -> list[ApprovableKind]:
    """Every registered kind, in registration order (the inbox's sections)."""
    return sorted(_REGISTRY.values(), key=lambda kind: kind.order)


def kind_of(code: str) -> ApprovableKind:
    return _REGISTRY[code]


def awaiting(code: str, user: User) -> models.QuerySet:
    """What of one kind waits for ``user``'s decision: the kind's inbox section (pending, in
    their agency, not their own) when the capability table lets them decide it, else nothing.
    The pages and the API ask this whether to offer the decision form."""
    kind = kind_of(code)
    if not caps.can(user, kind.capability):
        return kind.model._default_manager.none()
    return kind.inbox(user)


def _authorise(kind: ApprovableKind, actor: User, obj) -> None:
    target = kind.capability_target(obj)
    if kind.table_refusal:
        caps.require(actor, kind.capability, target)  # 404 outside the scope, 403 inside
    elif not caps.can(actor, kind.capability, target):
        raise kind.fail(FORBIDDEN, kind.message(FORBIDDEN, obj))


def decide(kind: ApprovableKind | str, obj, actor: User, *, approve: bool, note: str = "", **extra):
    """The one decision of an approvable ``obj`` by ``actor``: approve or refuse with ``note``."""
    kind = kind_of(kind) if isinstance(kind, str) else kind
    note = (note or "").strip()
    _authorise(kind, actor, obj)
    if actor.pk is not None and kind.requester_id(obj) == actor.pk:
        raise kind.fail(SELF_APPROVAL, kind.message(SELF_APPROVAL, obj))
    if not approve and not note:
        raise kind.fail(NOTE_REQUIRED, kind.message(NOTE_REQUIRED, obj))
    with transaction.atomic(durable=True):
        locked = kind.model._default_manager.select_for_update().get(pk=obj.pk)
        if kind.requester_id(locked) == actor.pk:
            raise kind.fail(SELF_APPROVAL, kind.message(SELF_APPROVAL, locked))
        if not kind.is_pending(locked):
            raise kind.fail(ALREADY_DECIDED, kind.message(ALREADY_DECIDED, locked))
        if kind.records_decider:
            locked.decided_by = actor
            locked.decided_at = timezone.now()
        locked.decision_note = note
        return kind.effect(locked, actor, approve, note, **extra)
