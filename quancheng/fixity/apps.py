from django.apps import AppConfig


class FixityConfig(AppConfig):
    name = "quancheng.fixity"
    verbose_name = "完整性校验"

    def ready(self):
        # Checks and repairs made by records are recorded here (docs/architecture.md).
        from quancheng.records.signals import blob_checked, blob_repaired

        from .checks import record_announced_check
        from .repair import close_repaired_alerts

        blob_checked.connect(record_announced_check, dispatch_uid="fixity.blob_checked")
        blob_repaired.connect(close_repaired_alerts, dispatch_uid="fixity.blob_repaired")
