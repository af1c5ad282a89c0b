from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "quancheng.alerts"
    verbose_name = "告警"

    def ready(self):
        from quancheng.cases.signals import officers_changed
        from quancheng.orgs.breakglass import break_glass_used

        from .sources import raise_break_glass_alert, raise_self_added_alert

        break_glass_used.connect(raise_break_glass_alert, dispatch_uid="alerts.break_glass")
        officers_changed.connect(raise_self_added_alert, dispatch_uid="alerts.self_added")
