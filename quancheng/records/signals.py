"""What the records app announces to the apps above it (docs/architecture.md, "Hooks between
layers").

records sits below the domain apps (alerts, fixity, documents, content, archive…) and imports
none of them: it sends these signals and the higher apps connect their receivers in their
``AppConfig.ready()``. Signals are synchronous: a receiver runs inside the sender's transaction,
so what it writes (an alert, a ledger event) commits or rolls back with the change announced.
A receiver may refuse the change by raising (``document_number_claimed``).
"""

from django.dispatch import Signal

# --- items (records/items.py) -----------------------------------------------------------------

# An item was created, after its ledger event, in the creating transaction. Sender: the model
# (Segment, Document or DataRecord); ``item``, ``actor``.
# content queues the OSD or scan reading, documents validates a received PDF's signatures.
item_created = Signal()

# An item's act or evidence flag changed (linked, unlinked, evidence set), after its ledger
# event, in the same transaction. Sender: the model; ``item``, ``actor``, ``change`` ("linked",
# "unlinked", "evidence_set"). archive recomputes the item's retention and holds (A22, A23).
item_changed = Signal()

# A document about to be registered carries a number written elsewhere (a scan's, a terminal's;
# generated documents take theirs from the numbering counter). Sender: Document; ``agency``,
# ``number``. documents checks it and refuses with a ValidationError on ``number``.
document_number_claimed = Signal()

# --- files (records/ingest.py, attach.py, media.py) --------------------------------------------

# A file received by ingest or upload cannot be parsed as audio/video; it is kept byte for byte as
# an unreadable segment. Sender: Segment; ``segment``, ``actor``, ``file`` (the name it came in
# under), ``error``, ``source`` ("ingest", "upload"). alerts raises ``records.unreadable``.
unreadable_file_received = Signal()

# The media job found a segment's file unreadable (and marked it so). Sender: Segment;
# ``segment``, ``error``. alerts raises ``records.unreadable`` to the custodian and the head.
segment_marked_unreadable = Signal()

# --- blobs (records/stream.py, sm3.py, repair.py) ----------------------------------------------

# A stored blob's bytes were hashed and compared with its name and registry row (a checked
# download, the SM3 job). Sender: Blob; ``result`` (quancheng.lib.digestcheck.CheckResult),
# ``blob`` (None for bytes never registered), ``context`` (what read it, for the event), ``actor``.
# Sent inside a transaction; fixity records the ``fixity.checked`` event, the blob's damage mark
# and, for a problem, the ``fixity.missing``/``fixity.mismatch`` alert.
blob_checked = Signal()

# A damaged blob was repaired with its genuine bytes (``blob.repaired`` event written), in the
# repairing transaction. Sender: Blob; ``blob``, ``source``. fixity closes the blob's alerts.
blob_repaired = Signal()

# --- acts (records/items.py, timing.py) -----------------------------------------------------

# The records of acts changed: an item created, linked, unlinked, its evidence flag or its times
# changed. Sent with ``acts``: a tuple of acts (an Act, its pk or None for an item on no act).
# Compliance queues the acts' evaluation after the commit.
act_records_changed = Signal()
