from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "quancheng.web"
