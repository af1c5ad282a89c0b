from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "quancheng.registration"
    verbose_name = "记录登记"

    def ready(self):
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.alerts.sources import OVERDUE, register_check

        from .alerts import raise_overdue_registration_alerts
        from .approvals import register

        register()
        register_check(OVERDUE, raise_overdue_registration_alerts)  # the daily A21 check
