"""Retention as background work: the daily recompute (scheduled through QC_SCHEDULE)."""

from django_tasks import task

from .disposal import resume_disposals
from .retention import recompute_all


@task()
def recompute_retention() -> int:
    """Finish any interrupted disposal, then recompute every item's retention and re-assert the
    store's dates; how many changed."""
    resume_disposals()
    return recompute_all()
