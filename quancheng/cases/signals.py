"""Signals of the cases app: what it announces to the apps above it (docs/architecture.md,
"Hooks between layers"). Sent inside the change's transaction; receivers write in it too."""

from django.dispatch import Signal

# An act was edited (``services.update_act``), sent with ``act`` and ``previous_case_id`` (the
# case it belonged to before the edit, or None). Compliance evaluates the act again and, when it
# moved between cases, both cases' completeness.
act_changed = Signal()

# The officers of an act or case changed (``services.update_act`` / ``update_case``), sent with
# ``actor``, ``obj`` (the act or case), ``added`` and ``removed`` (sets of user ids). Alerts
# raises ``officers.self_added`` when the actor added themself (A24).
officers_changed = Signal()
