"""The witness side: answer add-checkpoint requests (C2SP tlog-witness) for registered logs.

Checks in the spec's order; each answer is a ledger event (``witness.cosigned`` or
``witness.refused``), and a request signed by a known log that shows a fork or a rollback also
raises a critical alert ``witness.inconsistent`` for the log's agency.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from quancheng.alerts.models import Severity
from quancheng.alerts.services import raise_alert
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.lib import merkle, note
from quancheng.orgs.models import Role

from . import config
from .cosignature import cosign, split_note
from .models import Observation, WitnessedLog
from .protocol import SIZE_CONTENT_TYPE, MalformedRequest, parse_add_checkpoint

if TYPE_CHECKING:
    from quancheng.orgs.models import Agency, User


ALERT_AUDIENCE = [Role.CUSTODIAN, Role.AUDITOR, Role.HEAD, Role.CITY_ADMIN]


class Answer(NamedTuple):
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _refuse(status: int, reason: str, details: dict[str, Any], log=None) -> Answer:
    reason = reason[:500]
    record_event(
        None,
        Action.WITNESS_REFUSED,
        log,
        {"status": status, "reason": reason, **details},
        object_type="" if log else "witness.request",
        agency=log.agency if log else None,
    )
    return Answer(status, reason + "\n")


def _alert(log: WitnessedLog, title: str, detail: dict[str, Any]) -> None:
    raise_alert(
        "witness.inconsistent",
        title,
        obj=log,
        agency=log.agency,
        severity=Severity.CRITICAL,
        detail=detail,
        audience=[r.value for r in ALERT_AUDIENCE],
    )


@transaction.atomic(durable=True)
def register_log(
    actor: User | None, origin: str, vkey: str, agency: Agency | None = None
) -> WitnessedLog:
    """Register a log to witness (``manage.py witness_add_log``; _register_log says how)."""
    return _register_log(actor, origin, vkey, agency)


def _register_log(
    actor: User | None, origin: str, vkey: str, agency: Agency | None = None
) -> WitnessedLog:
    """Register a log to witness, in the caller's transaction (the admin's change view holds
    one: it calls this body, not the durable wrapper).

    tlog-witness: "Each witness is configured with a list of supported log public keys" for an
    origin; tlog-checkpoint only recommends that the key name match the origin (a SHOULD), so a
    differing name is accepted and recorded in the event, never refused.
    """
    require_own_transaction("witness.witnessing._register_log")
    name, _, _ = note.parse_verifier_key(vkey)  # NoteError when malformed
    note.check_text(origin)
    if not origin or "\n" in origin:
        raise note.NoteError("the origin is one non-empty line")
    log = WitnessedLog.objects.create(origin=origin, verifier_key=vkey.strip(), agency=agency)
    body = {"origin": origin, "verifier_key": log.verifier_key}
    if name != origin:
        body["key_name_differs_from_origin"] = name
    record_event(actor, Action.WITNESS_LOG_REGISTERED, log, body, agency=agency)
    return log


def add_checkpoint(body: bytes) -> Answer:
    """Answer one add-checkpoint request; the check and the update are one transaction."""
    with transaction.atomic(durable=True):
        return _add_checkpoint(body)


def _add_checkpoint(body: bytes) -> Answer:  # noqa: C901 - the checkpoint protocol's steps, each answering its HTTP error
    # 1. Parse: 400 on anything malformed.
    try:
        request = parse_add_checkpoint(body)
    except MalformedRequest as e:
        return _refuse(400, f"malformed request: {e}", {})
    checkpoint = request.checkpoint
    details = {
        "origin": checkpoint.origin[:200],  # anyone may post: keep the event bounded
        "size": checkpoint.size,
        "root_hash": checkpoint.root_hash.hex(),
        "old_size": request.old_size,
    }
    # 2. Known log? Lock its row: checking the old size and recording the new one are atomic.
    log = WitnessedLog.objects.select_for_update().filter(origin=checkpoint.origin).first()
    if log is None:
        return _refuse(404, f"unknown log origin {checkpoint.origin[:200]!r}", details)
    # 3. Signed by the log's key? Signatures of other keys are ignored.
    try:
        note.verify_checkpoint(request.signed_note, log.verifier_key, origin=log.origin)
    except note.NoteError as e:
        return _refuse(403, f"the checkpoint's signature does not verify: {e}", details, log)

    def observe(status: int, outcome: str, reason: str, cosignature: str = "") -> None:
        Observation.objects.create(
            log=log,
            old_size=request.old_size,
            size=checkpoint.size,
            root_hash=checkpoint.root_hash.hex(),
            signed_note=request.signed_note,
            proof=[base64.b64encode(h).decode() for h in request.proof],
            status=status,
            outcome=outcome,
            reason=reason,
            cosignature=cosignature,
        )

    def refuse(status: int, reason: str, alert_title: str = "") -> Answer:
        observe(status, Observation.Outcome.REFUSED, reason)
        if alert_title:
            _alert(log, alert_title, {**details, "witnessed_size": log.latest_size, "why": reason})
        answer = _refuse(status, reason, details, log)
        if status == 409:
            return Answer(409, f"{log.latest_size}\n", SIZE_CONTENT_TYPE)
        return answer

    # 4. A validly signed checkpoint that contradicts what was cosigned: a rollback or a fork,
    # whatever the old size says. A smaller checkpoint cosigned before is only a late retry.
    root_hex = checkpoint.root_hash.hex()
    fork_or_rollback = ""
    if checkpoint.size < log.latest_size:
        seen = log.observations.filter(
            size=checkpoint.size, outcome=Observation.Outcome.COSIGNED
        ).values_list("root_hash", flat=True)
        if root_hex not in seen:
            fork_or_rollback = (
                f"rollback: the log signed size {checkpoint.size}, smaller than the "
                f"{log.latest_size} already cosigned"
            )
    elif checkpoint.size == log.latest_size and log.latest_size and root_hex != log.latest_root:
        fork_or_rollback = f"fork: a different root hash for the cosigned size {log.latest_size}"
    alert_title = (
        f"被见证日志 {log.origin} 不一致（回滚或分叉），已拒绝联署" if fork_or_rollback else ""
    )
    # 5. Old size larger than the checkpoint: 400 (spec order).
    if request.old_size > checkpoint.size:
        return refuse(
            400,
            fork_or_rollback
            or f"old size {request.old_size} is larger than the checkpoint's {checkpoint.size}",
            alert_title,
        )
    # 6. Old size must be the size last cosigned: 409 with the witness's size.
    if request.old_size != log.latest_size:
        return refuse(
            409,
            fork_or_rollback
            or f"old size {request.old_size} is not the cosigned size {log.latest_size}",
            alert_title,
        )
    # 7. "A checkpoint of size zero MUST have the root hash of the empty tree ... Otherwise, the
    # witness MUST respond with a 422 Unprocessable Entity" (tlog-witness, add-checkpoint).
    if checkpoint.size == 0 and checkpoint.root_hash != merkle.EMPTY_ROOT:
        return refuse(422, "a checkpoint of size 0 must have the empty tree's root hash")
    # 8. "If the old size matches the checkpoint size, the witness MUST check that the root
    # hashes are also identical. If they don't match, ... 422 Unprocessable Entity".
    if request.old_size == checkpoint.size and fork_or_rollback:
        return refuse(422, fork_or_rollback, alert_title)
    # 9. "If the proof is not empty when the old size is zero, or if a Merkle Consistency Proof
    # doesn't verify, the witness MUST respond with a 422 Unprocessable Entity".
    if request.old_size == 0:
        if request.proof:
            return refuse(422, "the consistency proof must be empty when the old size is 0")
    else:
        try:
            merkle.verify_consistency(
                request.old_size,
                checkpoint.size,
                request.proof,
                bytes.fromhex(log.latest_root),
                checkpoint.root_hash,
            )
        except merkle.ProofError as e:
            return refuse(
                422,
                f"the consistency proof from {request.old_size} does not verify: {e}",
                f"被见证日志 {log.origin} 的一致性证明不成立（分叉或改写历史），已拒绝联署",
            )
    # 10. Cosign, record, answer.
    now = timezone.now().astimezone(dt.UTC)
    body_text, _ = split_note(request.signed_note)
    line = cosign(body_text, config.witness_name(), config.witness_key(), int(now.timestamp()))
    log.latest_size = checkpoint.size
    log.latest_root = root_hex
    log.latest_note = request.signed_note
    log.latest_at = now
    log.save(update_fields=["latest_size", "latest_root", "latest_note", "latest_at"])
    observe(200, Observation.Outcome.COSIGNED, "", line)
    record_event(
        None,
        Action.WITNESS_COSIGNED,
        log,
        {**details, "witness": config.witness_name(), "cosignature": line},
        agency=log.agency,
    )
    return Answer(200, line + "\n")


def latest_cosigned_note(origin_hash: str) -> str | None:
    """The latest checkpoint cosigned for the log whose origin hashes to ``origin_hash``.

    tlog-witness: "A witness SHOULD serve a recent checkpoint for each log it cosigned" at
    ``GET <monitoring prefix>/<origin hash>/checkpoint``, "the SHA-256 hash of the log's origin,
    hex encoded, in lowercase"; the body "MUST include the cosignature(s) from the witness's
    key(s) that were returned from add-checkpoint and the cosignature from the log key(s) that
    the witness verified". None when no checkpoint of that log was ever cosigned (404).
    """
    for log in WitnessedLog.objects.exclude(latest_note=""):
        if hashlib.sha256(log.origin.encode()).hexdigest() != origin_hash:
            continue
        cosigned = (
            log.observations.filter(outcome=Observation.Outcome.COSIGNED)
            .order_by("-pk")
            .values_list("cosignature", flat=True)
            .first()
        )
        if not cosigned:
            return None
        text, lines = split_note(log.latest_note)
        key_name = note.parse_verifier_key(log.verifier_key)[0]
        # Only the log's own signatures, which the witness verified; others were ignored.
        own = [line for line in lines if line.startswith(f"{note.SIGNATURE_PREFIX}{key_name} ")]
        return text + "\n" + "".join(line + "\n" for line in [*own, cosigned])
    return None
