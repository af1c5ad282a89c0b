from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "quancheng.registration"
    verbose_name = "记录登记"

    def ready(self):
        from .approvals import register

        register()
