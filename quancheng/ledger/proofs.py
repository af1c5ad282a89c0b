"""Proofs served to others: inclusion proofs in the C2SP tlog-proof format, consistency proofs.

Each proof is against a signed checkpoint the log has kept, so that the receiver can check it
offline with the verifier key alone.
"""

from __future__ import annotations

from quancheng.lib import tlog_proof

from .models import Checkpoint
from .tree import consistency_proof_between, inclusion_proof_for, tree_size


class ProofUnavailable(LookupError):
    """No signed checkpoint fits the request (the event is not yet covered, or no such size)."""


def checkpoint_for(seq: int, size: int | None = None) -> Checkpoint:
    """The checkpoint of ``size``, or the latest one; it must cover event ``seq``."""
    if seq < 1 or seq > tree_size():
        raise ProofUnavailable(f"there is no event #{seq}")
    if size is None:
        checkpoint = Checkpoint.objects.order_by("-size").first()
    else:
        checkpoint = Checkpoint.objects.filter(size=size).first()
        if checkpoint is None:
            raise ProofUnavailable(f"no signed checkpoint of tree size {size}")
    if checkpoint is None or checkpoint.size < seq:
        raise ProofUnavailable(f"event #{seq} is not yet covered by a signed checkpoint")
    return checkpoint


def tlog_proof_text(seq: int, size: int | None = None) -> str:
    """The tlog-proof of event ``seq`` (leaf index seq - 1) in a signed checkpoint."""
    checkpoint = checkpoint_for(seq, size)
    hashes = inclusion_proof_for(seq, checkpoint.size)
    return tlog_proof.format_proof(seq - 1, hashes, checkpoint.signed_note)


def consistency(old: int, new: int) -> list[bytes]:
    """RFC 9162 consistency proof between the trees of ``old`` and ``new`` events."""
    if not 0 < old <= new:
        raise ValueError("need 0 < old <= new")
    return consistency_proof_between(old, new)
