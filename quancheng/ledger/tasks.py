"""Background work on the ledger, queued through Django's Tasks API (django-tasks backport)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django_tasks import task

from .actions import Action
from .checkpoints import make_checkpoint
from .services import record_atomic, record_event, verify_chain
from .verify import record_verification, verify_ledger


@task()
def verify_ledger_chain() -> int | None:
    """Re-verify the hash chain and record the outcome; the first bad seq, or None."""
    first_bad = verify_chain()
    record_atomic(
        None,
        Action.LEDGER_CHAIN_VERIFIED,
        None,
        {"outcome": "ok" if first_bad is None else "failed", "first_bad_seq": first_bad},
        object_type="ledger",
        object_id="chain",
    )
    return first_bad


@task()
def verify_whole_ledger(actor_id: int | None = None) -> dict:
    """Verify chain, tree and every checkpoint (quancheng.ledger.verify); record the outcome.

    A failure raises the critical alert ``ledger.tampered``. Returns the report's dict.
    """
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    report = verify_ledger()
    record_verification(report, actor)
    return report.to_dict()


@task()
def make_ledger_checkpoint() -> int | None:
    """Sign a checkpoint of the ledger's Merkle tree; its tree size, or None if nothing new."""
    checkpoint = make_checkpoint()
    return checkpoint.size if checkpoint else None


@transaction.atomic(durable=True)
def request_verification(actor) -> str:
    """Queue a whole-ledger verification for ``actor`` and record the request; the task's id.

    The task row (database backend) and the event commit together."""
    result = verify_whole_ledger.enqueue(actor.pk)
    record_event(
        actor,
        Action.LEDGER_VERIFICATION_REQUESTED,
        None,
        {"task": str(result.id)},
        object_type="ledger",
        object_id="log",
    )
    return str(result.id)
