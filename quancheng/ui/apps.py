from django.apps import AppConfig


class UiConfig(AppConfig):
    """Holds the shared templates (ui/base.html, ui/_*.html) and template filters (qc_units)."""

    name = "quancheng.ui"
    verbose_name = "界面"
