from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "quancheng.orgs"
    verbose_name = "机构与人员"

    def ready(self):
        from . import signals  # noqa: F401
