from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "quancheng.compliance"
    verbose_name = "合规检查"

    def ready(self):
        from .approvals import register

        register()
        self._subscribe()

    def _subscribe(self) -> None:
        """Hooks on the apps below (docs/architecture.md, "Hooks between layers")."""
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.cases.signals import act_changed
        from quancheng.records.signals import act_records_changed
        from quancheng.registration import checks
        from quancheng.registration.signals import acts_overdue, registration_changed

        from . import hooks
        from .checklist import open_errors
        from .evaluate import evaluate_overdue

        act_changed.connect(hooks.on_act_changed, dispatch_uid="compliance.act_changed")
        act_records_changed.connect(
            hooks.on_act_records_changed, dispatch_uid="compliance.act_records_changed"
        )
        registration_changed.connect(
            hooks.on_registration_changed, dispatch_uid="compliance.registration_changed"
        )
        acts_overdue.connect(evaluate_overdue, dispatch_uid="compliance.acts_overdue")
        checks.register_open_errors("compliance", open_errors)
