"""Signals of the registration app: what it announces to the apps above it
(docs/architecture.md, "Hooks between layers")."""

from django.dispatch import Signal

# An act's registration state changed: registered, or a late request decided. Sent with ``act``
# inside the transaction; compliance queues the act's evaluation (A21-deadline) after the commit.
registration_changed = Signal()

# The daily check found acts past their A21 deadline without a registration
# (``alerts.raise_overdue_registration_alerts``). Sent with ``act_ids`` and ``now``; compliance
# evaluates those acts at once so their A21-deadline finding shows with the alert.
acts_overdue = Signal()
