from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "quancheng.supervision"
    verbose_name = "监督考核"

    def ready(self):
        from . import rollup_signals

        rollup_signals.connect()
