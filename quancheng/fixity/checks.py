"""One fixity check (完整性校验): hash a blob, compare, record a PREMIS-style ledger event.

Used by the sweep (:mod:`quancheng.fixity.sweep`), and for the checks records announces
(:data:`quancheng.records.signals.blob_checked`: streaming downloads, the SM3 job); the verdict
itself is :func:`quancheng.lib.digestcheck.judge`. A check that finds a blob missing or altered
also raises a critical alert for the records custodian and the legal auditor (A27: records lost,
cut, edited, deleted or damaged).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import transaction

from quancheng.alerts.models import Severity
from quancheng.alerts.services import raise_alert
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, record_sequenced_event, require_own_transaction
from quancheng.lib import gmcrypto
from quancheng.lib.blobstore import BlobNotFound, BlobStore
from quancheng.lib.digestcheck import (
    CHUNK_SIZE,
    CORRUPT_READ_ERRORS,
    CheckResult,
    Outcome,
    judge,
)
from quancheng.orgs.models import Role
from quancheng.records.models import Blob

from .limiter import RateLimiter

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MiB = 1024 * 1024
ALGORITHM = "SHA-256"
ACTION = Action.FIXITY_CHECKED
ALERT_AUDIENCE = [Role.CUSTODIAN.value, Role.AUDITOR.value]


@cache
def agent() -> str:
    """The software that checks, as PREMIS's linking agent: ``quancheng <version>``."""
    try:
        version = importlib.metadata.version("quancheng")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a bare tree
        version = "unknown"
    return f"quancheng {version}"


def check_blob(
    store: BlobStore,
    sha256: str,
    expected_size: int,
    *,
    limiter: RateLimiter | None = None,
    chunk_size: int = CHUNK_SIZE,
    sm3: str | None = None,
) -> CheckResult:
    """Re-hash one blob through the store. Touches no database, so threads may run it.

    With ``sm3`` (the blob's registered SM3) the same read also hashes SM3, and both digests
    must match; a blob whose SM3 is still pending is checked by SHA-256 alone.

    A store that refuses the bytes as corrupt (:data:`CORRUPT_READ_ERRORS`) makes the check
    fail. Other errors (a dead S3 endpoint, a disk I/O error) propagate: they say nothing certain
    about the blob, and the sweep stops resumably instead of reporting it.
    """
    h = hashlib.sha256()
    h_sm3 = gmcrypto.sm3() if sm3 else None
    size = 0
    buf = bytearray(chunk_size)
    try:
        f = store.open(sha256)
    except BlobNotFound:
        return judge(sha256, expected_size, None, None)
    with f, memoryview(buf) as view:
        readinto = f.readinto  # type: ignore[attr-defined]  # every store's stream is a raw or buffered file
        while True:
            try:
                n = readinto(view)
            except CORRUPT_READ_ERRORS as exc:
                return judge(
                    sha256,
                    expected_size,
                    None,
                    None,
                    f"{type(exc).__name__}: {exc}",
                    expected_sm3=sm3 or None,
                )
            if not n:
                break
            h.update(view[:n])
            if h_sm3 is not None:
                h_sm3.update(view[:n])
            size += n
            if limiter is not None:
                limiter.consume(n)
    return judge(
        sha256,
        expected_size,
        h.hexdigest(),
        size,
        expected_sm3=sm3 or None,
        actual_sm3=h_sm3.hexdigest() if h_sm3 is not None else None,
    )


def _detail(result: CheckResult) -> str:
    if result.store_error:
        return f"the store refused the stored bytes as corrupt: {result.store_error}"
    if result.outcome == Outcome.MISSING:
        return "blob not found in the store"
    if result.outcome == Outcome.PASS:
        return "message digest and size match"
    if result.actual != result.sha256:
        return "message digest differs"
    if result.actual_size != result.expected_size:
        return "size differs from the registered size"
    return "SM3 message digest differs"


def event_body(result: CheckResult, context: dict[str, Any]) -> dict[str, Any]:
    """The check as a PREMIS event (eventType, eventDateTime, outcome, object, agent)."""
    return {
        "eventType": "fixity check",
        "eventDateTime": result.checked_at.astimezone(dt.UTC).isoformat(),
        "eventOutcome": result.outcome,
        "eventOutcomeDetail": _detail(result),
        "object": {
            "sha256": result.sha256,
            "sm3": result.expected_sm3 or None,
            "size": result.expected_size,
        },
        "messageDigestAlgorithm": ALGORITHM,
        "expectedMessageDigest": result.sha256,
        "actualMessageDigest": result.actual,
        # Every digest checked: SHA-256 always, SM3 once the blob has one (national-crypto.md).
        "messageDigests": _digests(result),
        "actualSize": result.actual_size,
        "linkingAgent": {"agentName": agent(), "agentType": "software"},
        "context": context,
    }


def _digests(result: CheckResult) -> list[dict[str, Any]]:
    digests = [{"algorithm": ALGORITHM, "expected": result.sha256, "actual": result.actual}]
    if result.expected_sm3 is not None:
        digests.append(
            {"algorithm": "SM3", "expected": result.expected_sm3, "actual": result.actual_sm3}
        )
    return digests


def _note_state(blob: Blob, result: CheckResult) -> None:
    """Keep the blob's last verdict on its row: a damaged blob is not served until repaired."""
    damaged_at = None if result.ok else (blob.damaged_at or result.checked_at)
    if damaged_at != blob.damaged_at:
        Blob.objects.filter(pk=blob.pk).update(damaged_at=damaged_at)
        blob.damaged_at = damaged_at


def record_check(
    result: CheckResult, blob: Blob | None, context: dict[str, Any], actor: User | None = None
):
    """Write the check's ledger event and, for a problem, the alert; in the caller's transaction.

    ``blob`` is None for bytes the registry does not know (then no agency is named).
    """
    require_own_transaction("fixity.checks.record_check")
    agency = blob.agency if blob is not None else None
    if blob is not None:
        _note_state(blob, result)
    fields: dict[str, Any] = dict(
        object_type=Blob._meta.label_lower, object_id=result.sha256, agency=agency
    )
    if result.ok:
        return record_event(actor, ACTION, None, event_body(result, context), **fields)
    # A problem's alert names its event's seq: bound in this transaction (rare, so the wait for
    # the integrator's lease row is no queue).
    event = record_sequenced_event(actor, ACTION, None, event_body(result, context), **fields)
    if result.outcome == Outcome.MISSING:
        kind, title = "fixity.missing", f"文件缺失：{result.sha256[:16]}…"
    else:
        kind, title = "fixity.mismatch", f"文件校验不符：{result.sha256[:16]}…"
    raise_alert(
        kind,
        title,
        agency=agency,
        severity=Severity.CRITICAL,
        detail={
            "sha256": result.sha256,
            "size": result.expected_size,
            "actual_sha256": result.actual,
            "sm3": result.expected_sm3,
            "actual_sm3": result.actual_sm3,
            "actual_size": result.actual_size,
            "store_error": result.store_error,
            "checked_at": result.checked_at.astimezone(dt.UTC).isoformat(),
            "ledger_seq": event.seq,
        },
        object_type=Blob._meta.label_lower,
        object_id=result.sha256,
        audience=ALERT_AUDIENCE,
    )
    return event


def record_announced_check(
    sender,
    *,
    result: CheckResult,
    blob: Blob | None,
    context: dict[str, Any],
    actor: User | None = None,
    **kwargs,
) -> None:
    """A check made by records (a checked download, the SM3 job), recorded like a sweep's in the
    announcing transaction (records.signals.blob_checked)."""
    record_check(result, blob, context, actor=actor)


def report_missing(sha256: str, context: dict[str, Any], actor: User | None = None) -> Blob | None:
    """A registered blob the store no longer has, found while serving it: a failed check.

    Records the ``fixity.checked`` event and raises the ``fixity.missing`` alert in one
    transaction of its own (the request that found it has failed), unless the blob was disposed
    of on purpose. Returns the registry row (None for bytes the platform never registered).
    """
    blob = Blob.objects.select_related("agency").filter(sha256=sha256).first()
    if blob is not None and blob.disposed_at is None:
        with transaction.atomic(durable=True):
            record_check(judge(sha256, blob.size, None, None), blob, context, actor=actor)
    return blob
