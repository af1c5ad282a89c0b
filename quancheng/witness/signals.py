"""After each new checkpoint, once its transaction commits, queue its submission to witnesses."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from quancheng.ledger.models import Checkpoint


@receiver(post_save, sender=Checkpoint, dispatch_uid="witness_submit_after_checkpoint")
def _queue_submission(sender, instance, created, raw=False, **kwargs):
    if not created or raw or not getattr(settings, "QC_WITNESSES", None):
        return
    from .tasks import submit_to_witnesses

    transaction.on_commit(submit_to_witnesses.enqueue)
