"""The lease of a background job (django-tasks-db's task result) on the worker that runs it."""

from django.db import models
from django_tasks_db.models import DBTaskResult


class JobLease(models.Model):
    """Who runs a task, until when (renewed by the worker's heartbeat), and how often it was
    tried. A running task whose lease has expired lost its worker (jobs/leases.py)."""

    task = models.OneToOneField(
        DBTaskResult, primary_key=True, on_delete=models.CASCADE, related_name="lease"
    )
    worker_id = models.CharField("工作进程", max_length=64, blank=True)
    attempts = models.PositiveIntegerField("已尝试次数", default=0)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    # Used by the reaper: running tasks whose lease ran out (null once the task has ended).
    expires_at = models.DateTimeField("租约到期", null=True, blank=True, db_index=True)
    last_error = models.TextField("上次中断原因", blank=True)

    class Meta:
        verbose_name = "作业租约"
        verbose_name_plural = "作业租约"

    def __str__(self):
        return f"{self.task_id} @ {self.worker_id or '—'}"
