from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "quancheng.access"
    verbose_name = "调阅与提供"
