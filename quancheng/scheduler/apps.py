from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "quancheng.scheduler"
    verbose_name = "定时任务"
