from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "quancheng.alerts"
    verbose_name = "告警"

    def ready(self):
        from quancheng.orgs.breakglass import break_glass_used

        from .sources import raise_break_glass_alert

        break_glass_used.connect(raise_break_glass_alert, dispatch_uid="alerts.break_glass")
