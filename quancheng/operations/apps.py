from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "quancheng.operations"
    verbose_name = "运维"
