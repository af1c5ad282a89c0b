from django.apps import AppConfig


class WitnessConfig(AppConfig):
    name = "quancheng.witness"
    verbose_name = "见证"

    def ready(self):
        from . import signals  # noqa: F401 - connects the submission after each checkpoint
