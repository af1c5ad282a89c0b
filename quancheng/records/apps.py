from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "quancheng.records"
    verbose_name = "执法记录"

    def ready(self):
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.ledger.bundle import register_blob_source

        from .bundle_source import BLOBS

        register_blob_source("records.blob", BLOBS)
