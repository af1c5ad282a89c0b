from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "quancheng.archive"
    verbose_name = "归档与保管"
