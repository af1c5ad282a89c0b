from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "quancheng.supervision"
    verbose_name = "监督考核"
