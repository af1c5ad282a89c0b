from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "quancheng.subjects"
