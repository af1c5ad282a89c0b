from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "quancheng.compliance"
    verbose_name = "合规检查"

    def ready(self):
        from .approvals import register

        register()
