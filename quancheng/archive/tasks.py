"""Retention as background work: the daily recompute (scheduled through QC_SCHEDULE)."""

from django_tasks import task

from .retention import recompute_all


@task()
def recompute_retention() -> int:
    """Recompute every item's retention and re-assert the store's dates; how many changed."""
    return recompute_all()
