from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "quancheng.alerts"
    verbose_name = "告警"

    def ready(self):
        from quancheng.ledger.signals import verification_failed
        from quancheng.orgs.breakglass import break_glass_used

        from .receivers import raise_ledger_tampered_alert
        from .sources import raise_break_glass_alert

        break_glass_used.connect(raise_break_glass_alert, dispatch_uid="alerts.break_glass")
        verification_failed.connect(
            raise_ledger_tampered_alert, dispatch_uid="alerts.ledger_tampered"
        )
