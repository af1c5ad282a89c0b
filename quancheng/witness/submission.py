"""The log side: send this log's latest checkpoint to each configured witness and keep the
cosignatures (C2SP tlog-witness add-checkpoint).

For each witness in ``QC_WITNESSES``:

1. claim it (``WitnessState.claimed_until``), so that parallel workers never send it two
   checkpoints out of order — a witness takes a smaller checkpoint after a larger one for a
   rollback;
2. send the latest checkpoint with the consistency proof from the size the witness last
   cosigned (0 the first time);
3. on 409, take the witness's size: larger than the checkpoint means this log lost events the
   witness saw (a rollback: alert, no retry); otherwise retry once with a proof from that size;
4. on 200, verify the witness's cosignature with its vkey and store it; a refusal (403, 422,
   a 409 after the retry) or a cosignature that does not verify raises the critical alert
   ``witness.refused``.

Every attempt is a ``Submission`` and a ledger event.
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from quancheng.alerts.models import Severity
from quancheng.alerts.services import raise_alert
from quancheng.ledger.actions import Action
from quancheng.ledger.models import Checkpoint
from quancheng.ledger.services import record_event
from quancheng.ledger.tree import consistency_proof_between

from .config import WitnessConfig, configured_witnesses
from .cosignature import CosignatureError, split_note, verify_cosignatures
from .models import Cosignature, Submission, WitnessState
from .protocol import MalformedRequest, format_add_checkpoint, parse_size
from .witnessing import ALERT_AUDIENCE

CLAIM_SECONDS = 120
MAX_RESPONSE_BYTES = 64 * 1024


class Reply(NamedTuple):
    status: int | None  # None: no answer (network error)
    body: bytes
    content_type: str = ""


def http_post(url: str, body: bytes) -> Reply:
    """POST an add-checkpoint request; any HTTP answer is a Reply, a network failure status None."""
    request = urllib.request.Request(  # noqa: S310 - the URL is an administrator's http(s) setting
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    timeout = getattr(settings, "QC_WITNESS_TIMEOUT", 10)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(
                response.status,
                response.read(MAX_RESPONSE_BYTES),
                response.headers.get("Content-Type", ""),
            )
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.read(MAX_RESPONSE_BYTES), e.headers.get("Content-Type", ""))
    except (urllib.error.URLError, OSError) as e:
        return Reply(None, str(getattr(e, "reason", e)).encode())


# Tests replace the transport with one that goes through Django's test client.
Transport = Callable[[str, bytes], Reply]


def cosigned_note(checkpoint: Checkpoint) -> str:
    """The checkpoint's signed note with the witnesses' cosignature lines appended."""
    lines = "".join(f"{c.signature_line}\n" for c in checkpoint.cosignatures.all())
    return checkpoint.signed_note + lines


def _claim(name: str) -> bool:
    WitnessState.objects.get_or_create(name=name)
    now = timezone.now()
    return bool(
        WitnessState.objects.filter(name=name)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
    )


def _release(name: str) -> None:
    WitnessState.objects.filter(name=name).update(claimed_until=None)


def _record(
    witness: WitnessConfig,
    checkpoint: Checkpoint,
    old_size: int,
    reply: Reply,
    outcome: str,
    message: str,
    *,
    cosigned_size: int | None = None,
    alert: str = "",
) -> Submission:
    # Alone for every outcome but a cosignature, which _store_cosignature records with the
    # cosignature in one transaction (the two commit together).
    # not durable: _store_cosignature's transaction holds it for a cosignature (see above).
    with transaction.atomic():
        submission = Submission.objects.create(
            witness_name=witness.name,
            checkpoint=checkpoint,
            old_size=old_size,
            status=reply.status,
            outcome=outcome,
            message=message[:2000],
        )
        changes: dict[str, Any] = {
            "last_attempt_at": submission.time,
            "last_status": reply.status,
            "last_message": message[:2000],
        }
        if cosigned_size is not None:
            changes["cosigned_size"] = cosigned_size
        WitnessState.objects.filter(name=witness.name).update(**changes)
        record_event(
            None,
            Action.WITNESS_SUBMITTED,
            submission,
            {
                "witness": witness.name,
                "url": witness.add_checkpoint_url,
                "size": checkpoint.size,
                "old_size": old_size,
                "status": reply.status,
                "outcome": outcome,
                "message": message[:500],
            },
        )
        if alert:
            raise_alert(
                "witness.refused",
                alert,
                severity=Severity.CRITICAL,
                object_type="witness",
                object_id=witness.name,
                detail={
                    "witness": witness.name,
                    "size": checkpoint.size,
                    "old_size": old_size,
                    "status": reply.status,
                    "message": message[:500],
                },
                audience=[r.value for r in ALERT_AUDIENCE],
            )
    return submission


def _store_cosignature(
    witness: WitnessConfig, checkpoint: Checkpoint, old_size: int, reply: Reply
) -> Submission:
    text, _ = split_note(checkpoint.signed_note)
    try:
        lines = reply.body.decode("utf-8").rstrip("\n").split("\n")
        found = verify_cosignatures(text, lines, witness.vkey)
    except (UnicodeDecodeError, CosignatureError) as e:
        return _record(
            witness,
            checkpoint,
            old_size,
            reply,
            Submission.Outcome.REFUSED,
            f"the witness's cosignature does not verify: {e}",
            alert=f"见证方 {witness.name} 返回的联署签名无法验证",
        )
    with transaction.atomic(durable=True):
        Cosignature.objects.create(
            checkpoint=checkpoint,
            witness_name=witness.name,
            signature_line=found.line,
            timestamp=found.timestamp,
        )
        return _record(
            witness,
            checkpoint,
            old_size,
            reply,
            Submission.Outcome.COSIGNED,
            f"cosigned at {found.timestamp}",
            cosigned_size=checkpoint.size,
        )


def _send(witness: WitnessConfig, checkpoint: Checkpoint, old_size: int, post: Transport):
    proof = consistency_proof_between(old_size, checkpoint.size) if old_size else []
    body = format_add_checkpoint(old_size, proof, checkpoint.signed_note)
    return post(witness.add_checkpoint_url, body)


def _message(reply: Reply) -> str:
    return reply.body[:500].decode("utf-8", "replace").strip()


def submit_to_witness(
    witness: WitnessConfig, checkpoint: Checkpoint, post: Transport | None = None
) -> Submission:
    """Send one checkpoint to one witness (steps 2-4 of the module's description)."""
    post = post or http_post
    state, _ = WitnessState.objects.get_or_create(name=witness.name)
    old_size = state.cosigned_size if state.cosigned_size <= checkpoint.size else 0
    reply = _send(witness, checkpoint, old_size, post)
    if reply.status == 409:
        try:
            witness_size = parse_size(reply.body)
        except MalformedRequest as e:
            return _record(witness, checkpoint, old_size, reply, Submission.Outcome.FAILED, str(e))
        if witness_size > checkpoint.size:
            return _record(
                witness,
                checkpoint,
                old_size,
                reply,
                Submission.Outcome.REFUSED,
                f"the witness has cosigned size {witness_size}, larger than this log's "
                f"checkpoint {checkpoint.size}: this log was rolled back",
                cosigned_size=witness_size,
                alert=f"见证方 {witness.name} 已见证更大的树（{witness_size}），本日志可能被回滚",
            )
        _record(
            witness,
            checkpoint,
            old_size,
            reply,
            Submission.Outcome.CONFLICT,
            f"the witness has cosigned size {witness_size}; retrying from it",
            cosigned_size=witness_size,
        )
        old_size = witness_size
        reply = _send(witness, checkpoint, old_size, post)
    if reply.status == 200:
        return _store_cosignature(witness, checkpoint, old_size, reply)
    if reply.status is None:
        return _record(
            witness,
            checkpoint,
            old_size,
            reply,
            Submission.Outcome.FAILED,
            f"no answer from {witness.add_checkpoint_url}: {_message(reply)}",
        )
    critical = reply.status in (403, 409, 422)
    return _record(
        witness,
        checkpoint,
        old_size,
        reply,
        Submission.Outcome.REFUSED,
        f"HTTP {reply.status}: {_message(reply)}",
        alert=f"见证方 {witness.name} 拒绝联署本日志的检查点（HTTP {reply.status}）"
        if critical
        else "",
    )


def submit_latest(post: Transport | None = None, witnesses=None) -> list[Submission]:
    """Send the latest checkpoint to every configured witness that has not cosigned it yet."""
    if witnesses is None:
        witnesses = configured_witnesses()
    submissions = []
    for witness in witnesses:
        if not _claim(witness.name):
            continue  # another worker is talking to this witness
        try:
            # A checkpoint made while the request was under way is sent too (bounded).
            for _ in range(3):
                checkpoint = Checkpoint.objects.order_by("-size").first()
                if (
                    checkpoint is None
                    or checkpoint.cosignatures.filter(witness_name=witness.name).exists()
                ):
                    break
                submission = submit_to_witness(witness, checkpoint, post)
                submissions.append(submission)
                if submission.outcome != Submission.Outcome.COSIGNED:
                    break
        finally:
            _release(witness.name)
    return submissions
