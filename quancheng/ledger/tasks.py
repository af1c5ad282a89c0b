"""Background work on the ledger, queued through Django's Tasks API (django-tasks backport)."""

from django_tasks import task

from .checkpoints import make_checkpoint
from .services import record_atomic, verify_chain


@task()
def verify_ledger_chain() -> int | None:
    """Re-verify the hash chain and record the outcome; the first bad seq, or None."""
    first_bad = verify_chain()
    record_atomic(
        None,
        "ledger.chain_verified",
        None,
        {"outcome": "ok" if first_bad is None else "failed", "first_bad_seq": first_bad},
        object_type="ledger",
        object_id="chain",
    )
    return first_bad


@task()
def make_ledger_checkpoint() -> int | None:
    """Sign a checkpoint of the ledger's Merkle tree; its tree size, or None if nothing new."""
    checkpoint = make_checkpoint()
    return checkpoint.size if checkpoint else None
