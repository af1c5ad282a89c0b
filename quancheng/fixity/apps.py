from django.apps import AppConfig


class FixityConfig(AppConfig):
    name = "quancheng.fixity"
    verbose_name = "完整性校验"
