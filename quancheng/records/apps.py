from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "quancheng.records"
    verbose_name = "执法记录"

    def ready(self):
        from quancheng.ledger.bundle import register_blob_source

        from .bundle_source import BLOBS

        register_blob_source("records.blob", BLOBS)
