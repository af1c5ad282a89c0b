from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "quancheng.content"
    label = "content"
    verbose_name = "内容识别"
