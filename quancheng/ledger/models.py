"""The ledger (事件账本): an append-only, hash-linked log of every state change and access."""

import hashlib

from django.conf import settings
from django.db import models

from quancheng.lib.canonical import canonical_bytes

GENESIS_HASH = "0" * 64


class LedgerIsAppendOnly(Exception):
    pass


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnly("ledger events cannot be updated")

    def delete(self):
        raise LedgerIsAppendOnly("ledger events cannot be deleted")

    def for_object(self, obj):
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class Event(models.Model):
    """One ledger event. Written only by quancheng.ledger.services.record_event."""

    seq = models.BigIntegerField(primary_key=True)
    time = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The actor's username as it was, so the hashed entry never depends on a later rename.
    actor_label = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey("orgs.Agency", null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    body = models.TextField()  # canonical JSON
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            # The history shown on an object's page.
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly("ledger events cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("ledger events cannot be deleted")

    def entry(self) -> dict:
        """The hashed entry: everything about the event, its time included."""
        return {
            "seq": self.seq,
            "time": self.time.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "actor": self.actor_label,
            "agency": self.agency_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "body": self.body,
            "prev": self.prev_hash,
        }

    def entry_bytes(self) -> bytes:
        return canonical_bytes(self.entry())

    def compute_hash(self) -> str:
        return hashlib.sha256(self.entry_bytes()).hexdigest()


class LedgerHead(models.Model):
    """The chain's tip: one row, locked by each append so that parallel writers never fork."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"head #{self.seq}"
