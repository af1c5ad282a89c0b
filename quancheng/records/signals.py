"""Signals of the records app: what it announces to the apps above it (docs/architecture.md,
"Hooks between layers"). Sent inside the change's transaction."""

from django.dispatch import Signal

# The records of acts changed: an item created, linked, unlinked, its evidence flag or its times
# changed. Sent with ``acts``: a tuple of acts (an Act, its pk or None for an item on no act).
# Compliance queues the acts' evaluation after the commit.
act_records_changed = Signal()
