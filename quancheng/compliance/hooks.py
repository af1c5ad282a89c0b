"""Re-evaluation after a change: queue the act's evaluation once the change has committed.

Called from this app's services and from the apps above it (content, access, archive). The apps
below announce their changes by signals (cases ``act_changed``, records ``act_records_changed``,
registration ``registration_changed``); the receivers at the end of this module, connected in
``ComplianceConfig.ready()``, schedule the same way (docs/architecture.md, "Hooks between
layers"). Kept free of model imports so that the apps above can import it.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction


def _act_id(act) -> int | None:
    if act is None:
        return None
    return act if isinstance(act, int) else act.pk


def schedule_evaluation(*acts) -> None:
    """Queue ``evaluate_act`` for each act (an Act, its pk or None) after the commit.

    ``robust``: a queue that cannot be reached must not undo the change; the act is evaluated
    again on the next change or by ``manage.py evaluate_acts``.
    """
    from .tasks import evaluate_act_task

    for act_id in {i for i in map(_act_id, acts) if i is not None}:
        transaction.on_commit(partial(evaluate_act_task.enqueue, act_id), robust=True)


def schedule_case_update(*cases) -> None:
    """Queue the recomputation of each case's completeness (a Case, its pk or None) after the
    commit: for a case an act left, which evaluating the act alone never touches."""
    from .tasks import update_cases_task

    ids = sorted({i for i in map(_act_id, cases) if i is not None})
    if ids:
        transaction.on_commit(lambda: update_cases_task.enqueue(ids), robust=True)


def act_changed(act, previous_case_id: int | None) -> None:
    """An act was edited (cases.services.update_act): evaluate it again, and when it moved from
    one case to another (or out of a case) recompute both cases' completeness."""
    schedule_evaluation(act)
    if previous_case_id != act.case_id:
        schedule_case_update(previous_case_id, act.case_id)


def schedule_all() -> None:
    """Queue the re-evaluation of every act (after a configuration change)."""
    from .tasks import evaluate_all_task

    transaction.on_commit(lambda: evaluate_all_task.enqueue(), robust=True)


# Receivers of the lower apps' signals (connected in apps.ComplianceConfig.ready()).


def on_act_changed(sender, *, act, previous_case_id: int | None, **kwargs) -> None:
    """cases ``act_changed``: the act and, when it moved, both cases."""
    act_changed(act, previous_case_id)


def on_act_records_changed(sender, *, acts, **kwargs) -> None:
    """records ``act_records_changed``: the acts whose records changed."""
    schedule_evaluation(*acts)


def on_registration_changed(sender, *, act, **kwargs) -> None:
    """registration ``registration_changed``: the act's A21-deadline finding."""
    schedule_evaluation(act)
