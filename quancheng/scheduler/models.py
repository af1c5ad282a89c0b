"""When each periodic task was last enqueued, so that restarts and second schedulers agree."""

from django.db import models


class ScheduledJob(models.Model):
    name = models.CharField(max_length=64, primary_key=True)
    task = models.CharField(max_length=200)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"

    def __str__(self):
        return self.name
