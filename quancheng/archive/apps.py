from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "quancheng.archive"
    verbose_name = "归档与保管"

    def ready(self):
        from quancheng.orgs.capabilities import provide

        from .sealing import sealed_reason

        provide("sealed", sealed_reason)

        from .approvals import register

        register()
