from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "quancheng.records"
    verbose_name = "执法记录"
