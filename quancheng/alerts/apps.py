from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "quancheng.alerts"
    verbose_name = "告警"
