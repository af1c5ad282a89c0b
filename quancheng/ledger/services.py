"""record_event: the one function through which anything is written to the ledger."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction

from quancheng.lib.transactions import is_callers_block

from .actions import Action
from .entry import build_content, content_hash, require_action
from .models import Event, StagedEvent

if TYPE_CHECKING:
    from quancheng.orgs.models import User  # type-only: the ledger stores people by label


class LedgerOutsideTransaction(RuntimeError):
    pass


def in_own_transaction() -> bool:
    """True inside a transaction.atomic() block that the code itself opened.

    A test case's wrapping transaction (Django's TestCase, pytest-django's `db`) does not count:
    in production there is none, and an event written there would commit on its own, apart from
    the change it records. Counting it would let a test pass where production fails.
    """
    if not connection.in_atomic_block:
        return False
    return any(is_callers_block(block) for block in connection.atomic_blocks)


def require_own_transaction(name: str) -> None:
    """Raise LedgerOutsideTransaction unless the caller runs inside its change's transaction."""
    if not in_own_transaction():
        raise LedgerOutsideTransaction(f"{name} must run inside the change's transaction")


def _object_ref(obj: models.Model | None, object_type: str, object_id: str) -> tuple[str, str]:
    if obj is not None:
        return obj._meta.label_lower, str(obj.pk)
    return object_type, object_id


def _agency_id(obj) -> int | None:
    """The id of the agency an object belongs to, without loading the agency when it is the
    object's own foreign key (one query fewer per event)."""
    meta = getattr(obj, "_meta", None)
    try:
        field = meta.get_field("agency") if meta is not None else None
    except FieldDoesNotExist:
        field = None
    if field is not None and field.many_to_one:
        return getattr(obj, field.attname)
    agency = getattr(obj, "agency", None)
    return agency.pk if agency is not None else None


def _in_test_case_transaction() -> bool:
    """True when a test case's wrapping transaction (which never commits) holds the change's."""
    return bool(connection.atomic_blocks) and not is_callers_block(connection.atomic_blocks[0])


def _staging_block():
    """The outermost atomic block the code itself opened: the change's transaction."""
    return next(block for block in connection.atomic_blocks if is_callers_block(block))


def _is_sha256(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in HEX for c in value)


HEX = frozenset("0123456789abcdef")


# Keys that name a stored file by its SHA-256 without saying so in their name (a Segment's
# blob, its derivatives): each is paired with ``<key>_sm3``.
FILE_KEYS = frozenset({"original", "thumbnail", "proxy"})
# Keys ending in ``sha256`` whose value is not a file's digest: left unpaired (a document's
# ``data_sha256`` is the digest of the form values signed, documents/services.py).
NOT_FILE_KEYS = frozenset({"data_sha256"})


def sm3_partner(key: str) -> str | None:
    """The key that carries the SM3 beside a key naming a file's SHA-256, or None.

    ``sha256`` → ``sm3``; ``<x>_sha256`` → ``<x>_sm3`` (``actual_sha256`` → ``actual_sm3``,
    ``toc_sha256`` → ``toc_sm3``); ``original`` → ``original_sm3`` (FILE_KEYS)."""
    if key == "sha256":
        return "sm3"
    if key in NOT_FILE_KEYS:
        return None
    if key.endswith("_sha256"):
        return key[: -len("sha256")] + "sm3"
    if key in FILE_KEYS:
        return f"{key}_sm3"
    return None


def _files_named(value, found: list[tuple[dict, str, str]]) -> None:
    """(dict, key, partner) for each file an event body names by SHA-256 but not by SM3."""
    if isinstance(value, dict):
        for key, item in value.items():
            partner = sm3_partner(key) if isinstance(key, str) else None
            if partner and _is_sha256(item) and partner not in value:
                found.append((value, key, partner))
        for item in value.values():
            _files_named(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _files_named(item, found)


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def with_both_digests(body: dict[str, Any]) -> dict[str, Any]:
    """Issue 19: each event body that names a file names both digests. Wherever a body (or a
    dict inside it) names a file's SHA-256 (``sha256``, ``<x>_sha256``, or a FILE_KEYS key)
    without its SM3 partner (``sm3_partner``), the SM3 is added: the blob's, else the data
    record's, ``None`` while still pending (records/sm3.py computes it after ingest). A partner
    the caller wrote (computed where it read the file) is kept as written
    (docs/national-crypto.md)."""
    found: list[tuple[dict, str, str]] = []
    _files_named(body, found)
    if not found:
        return body
    from django.apps import apps

    body = _copy(body)
    found = []
    _files_named(body, found)
    wanted = {d[key] for d, key, _ in found}
    Blob = apps.get_model("records", "Blob")
    DataRecord = apps.get_model("records", "DataRecord")
    known = dict(Blob.objects.filter(sha256__in=wanted).values_list("sha256", "sm3"))
    rest = wanted - known.keys()
    if rest:
        rows = DataRecord.objects.filter(sha256__in=rest).exclude(sm3="")
        known.update(rows.values_list("sha256", "sm3"))
    for d, key, partner in found:
        d[partner] = known.get(d[key]) or None
    return body


def record_event(
    actor: "User | None",
    action: Action,
    obj: models.Model | None = None,
    body: dict[str, Any] | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    agency=None,
) -> StagedEvent:
    """Stage one event in the caller's transaction; the integrator binds its seq after commit.

    ``action`` is a member of the catalogue (``actions.Action``); a plain string is a TypeError.
    It must be called inside transaction.atomic(): the event and the change it records commit
    together or not at all. Nothing is locked but the staged row's own insert, so changes of
    different agencies never wait on each other here. The returned StagedEvent's ``seq``,
    ``hash`` and ``event`` are readable once integrated, never inside the staging transaction
    (``integrator.wait_for_event`` after the commit; ``record_sequenced_event`` inside it).
    """
    action = require_action(action)  # first: a free string is a bug, in or out of a block
    require_own_transaction("record_event")
    staged = _staged_event(actor, action, obj, body, object_type, object_id, agency)
    staged.save()
    staged._staging_block = _staging_block()
    _integrate_when_committed()
    return staged


class PendingEvent(NamedTuple):
    """One event for ``record_events``: record_event's arguments but the actor."""

    action: Action
    obj: models.Model | None = None
    body: dict[str, Any] | None = None
    object_type: str = ""
    object_id: str = ""
    agency: Any = None


def record_events(actor: "User | None", events: Iterable[PendingEvent]) -> list[StagedEvent]:
    """Stage many events of one actor in the caller's transaction, in the order given: the
    rows one ``record_event`` call per event would stage, by one insert (a batch's findings,
    compliance/evaluate.py). The integration is hooked once."""
    events = [event._replace(action=require_action(event.action)) for event in events]
    require_own_transaction("record_events")
    staged = [_staged_event(actor, *event) for event in events]
    if not staged:
        return staged
    StagedEvent.objects.bulk_create(staged)
    block = _staging_block()
    for row in staged:
        row._staging_block = block
    _integrate_when_committed()
    return staged


def _staged_event(
    actor: "User | None",
    action: Action,
    obj: models.Model | None,
    body: dict[str, Any] | None,
    object_type: str,
    object_id: str,
    agency,
) -> StagedEvent:
    """The StagedEvent row of one event, not yet saved."""
    object_type, object_id = _object_ref(obj, object_type, object_id)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    user = actor if is_user else None
    agency_id = agency.pk if agency is not None else None
    if agency_id is None and obj is not None:
        agency_id = _agency_id(obj)
    if agency_id is None and is_user:
        agency_id = _agency_id(actor)
    content = build_content(
        actor,
        action,
        object_type=object_type,
        object_id=object_id,
        body=with_both_digests(body or {}),
        agency_id=agency_id,
    )
    return StagedEvent(
        time=content.time,
        actor=user,
        actor_label=content.actor_label,
        agency_id=content.agency_id,
        action=content.action.value,
        object_type=content.object_type,
        object_id=content.object_id,
        body=content.body,
        content_hash=content_hash(content.content()),
    )


def _integrate_when_committed() -> None:
    """After staging: integrate the staged events once the change's transaction commits."""
    if _in_test_case_transaction():
        # A test case's transaction never commits, so no on_commit hook would ever run: the
        # event is integrated at once (still inside the change's savepoint, so it rolls back
        # with it). The seq stays unreadable until the change's block has ended, as in
        # production.
        from .integrator import integrate_in_transaction

        integrate_in_transaction()
    elif settings.QC_LEDGER_INTEGRATE_ON_COMMIT and not _hook_registered():
        from .integrator import integrate_after_commit

        transaction.on_commit(integrate_after_commit, robust=True)


def _hook_registered() -> bool:
    from .integrator import integrate_after_commit

    # Django 5 keeps (savepoint ids, func, robust) triples; the stubs say pairs.
    return any(entry[1] is integrate_after_commit for entry in connection.run_on_commit)


def record_sequenced_event(
    actor: "User | None", action: Action, obj=None, body=None, **kwargs
) -> Event:
    """record_event, integrated inside the caller's transaction: the Event with its seq.

    Only for a change that must store its event's seq with itself (a disposal's tombstone, a
    fixity alert): it waits for any running integration batch and holds the integrator's lease
    row until the caller commits, so use it where such events are rare.
    """
    from .integrator import integrate_in_transaction

    action = require_action(action)  # first: a free string is a bug, in or out of a block
    require_own_transaction("record_sequenced_event")
    staged = record_event(actor, action, obj, body, **kwargs)
    integrate_in_transaction()
    event = Event.objects.get(staged_id=staged.pk)
    staged._event = event
    return event


def record_atomic(
    actor: "User | None", action: Action, obj=None, body=None, **kwargs
) -> StagedEvent:
    """record_event in a transaction of its own, for events with no other change (logins)."""
    with transaction.atomic(durable=True):
        return record_event(actor, action, obj, body, **kwargs)


def verify_chain() -> int | None:
    """The first sequence number whose hash or link is wrong, or None when the chain holds."""
    prev = "0" * 64
    expected_seq = 1
    for event in Event.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq or event.prev_hash != prev:
            return expected_seq
        if event.compute_hash() != event.hash:
            return event.seq
        prev = event.hash
        expected_seq += 1
    return None
