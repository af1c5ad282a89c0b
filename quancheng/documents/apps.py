from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "quancheng.documents"
    verbose_name = "执法文书制作"
