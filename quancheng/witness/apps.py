from django.apps import AppConfig


class WitnessConfig(AppConfig):
    name = "quancheng.witness"
    verbose_name = "见证"

    def ready(self):
        from . import checks, signals  # noqa: F401 - registers the check, connects the signal
