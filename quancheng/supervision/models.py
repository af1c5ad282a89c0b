"""Supervision (监督考核): statistics (A7), spot checks (A26) and district evaluations (A25)."""

from django.db import models


class CalendarDay(models.Model):
    """One day of the working-day calendar, so that SQL can count working days (A21, A7).

    ``working_index`` is the number of working days from the calendar's first day up to and
    including this one: the working days after day A up to day B are index(B) - index(A).
    Filled and refreshed by ``statistics.ensure_calendar`` from quancheng.lib.workdays (loaded
    schedules, then the chinese-calendar package, then weekends); ``source`` fingerprints what
    it was computed from, so a newly loaded holiday schedule rebuilds it.
    """

    day = models.DateField(primary_key=True)
    working = models.BooleanField()
    working_index = models.IntegerField()
    provisional = models.BooleanField(default=False)
    source = models.CharField(max_length=64)

    class Meta:
        ordering = ["day"]
        verbose_name = "工作日历"
        verbose_name_plural = "工作日历"

    def __str__(self):
        return f"{self.day} {'工作日' if self.working else '休息日'}"


from .models_rollups import *  # noqa: E402, F403 - statistics rollups (A7)
from .models_spot import *  # noqa: E402, F403 - spot checks and evaluations (A25, A26)
