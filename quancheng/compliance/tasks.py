"""Background evaluation of acts, queued through Django's Tasks API (django-tasks backport)."""

from django_tasks import task

from quancheng.cases.models import Act


@task()
def evaluate_act_task(act_id: int) -> str | None:
    """Evaluate one act's rules (evaluate.py); its completeness, or None if it is gone."""

    from .evaluate import evaluate_act

    act = Act.objects.filter(pk=act_id).first()
    if act is None:
        return None
    return evaluate_act(act).status


@task()
def evaluate_all_task() -> int:
    """Re-evaluate every act (after the configuration changed); the number of acts."""
    from .evaluate import evaluate_all

    return evaluate_all().acts


@task()
def update_cases_task(case_ids: list[int]) -> int:
    """Recompute the completeness of the given cases (after an act moved between cases)."""
    from .evaluate import update_cases

    update_cases(case_ids)
    return len(case_ids)
