from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "quancheng.jobs"
    verbose_name = "后台作业"
