from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "quancheng.compliance"
    verbose_name = "合规检查"
