from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "quancheng.access"
    verbose_name = "调阅与提供"

    def ready(self):
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.orgs.capabilities import provide

        from .policy import VIEW, decide

        provide("may_view_content", lambda user, item: decide(user, item, VIEW))

        from .approvals import register

        register()

        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.compliance.custody import register_loader

        from .custody import load_provisions

        register_loader("access", load_provisions)  # A24-access reads the provisions
