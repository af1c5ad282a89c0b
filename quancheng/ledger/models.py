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


def event_entry(event) -> dict:
    """The hashed entry of an event-like object (also used by migrations' historical models)."""
    return {
        "seq": event.seq,
        "time": event.time.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "actor": event.actor_label,
        "agency": event.agency_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "body": event.body,
        "prev": event.prev_hash,
    }


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnly(f"{self.model._meta.label} rows cannot be updated")

    def delete(self):
        raise LedgerIsAppendOnly(f"{self.model._meta.label} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never changed or deleted (database triggers enforce it too)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly(f"{self._meta.label} rows cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{self._meta.label} rows cannot be deleted")


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
        return event_entry(self)

    def entry_bytes(self) -> bytes:
        return canonical_bytes(self.entry())

    def compute_hash(self) -> str:
        return hashlib.sha256(self.entry_bytes()).hexdigest()


class LedgerHead(models.Model):
    """The chain's tip: one row, locked by each append so that parallel writers never fork."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The Merkle tree's compact range over events 1..seq (tree size = seq): hex hashes of the
    # perfect subtrees on its right edge, largest first, one per set bit of seq.
    frontier = models.JSONField(default=list)

    def __str__(self):
        return f"head #{self.seq}"


class SubtreeHash(AppendOnlyModel):
    """A complete aligned subtree of the events' Merkle tree (RFC 9162 §2.1).

    Leaves [index·2^level, (index+1)·2^level), i.e. events seq index·2^level + 1 onwards; level 0
    rows are the leaf hashes SHA-256(0x00 || event.entry_bytes()). Written by record_event.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="ledger_subtree_level_index")
        ]

    def __str__(self):
        return f"subtree {self.level}/{self.index}"


class Checkpoint(AppendOnlyModel):
    """A signed checkpoint (C2SP tlog-checkpoint) of the tree of the first ``size`` events."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    signed_note = models.TextField()
    created_at = models.DateTimeField()
    previous = models.OneToOneField(
        "self", null=True, on_delete=models.PROTECT, related_name="next"
    )
    # RFC 9162 consistency proof from previous.size to size, hex hashes; [] for the first.
    consistency_proof = models.JSONField(default=list)

    class Meta:
        ordering = ["size"]
        get_latest_by = "size"

    def __str__(self):
        return f"checkpoint {self.size}"
