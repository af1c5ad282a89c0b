from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "quancheng.archive"
    verbose_name = "归档与保管"

    def ready(self):
        from quancheng.orgs.capabilities import provide

        from .sealing import sealed_reason

        provide("sealed", sealed_reason)

        from .approvals import register

        register()

        self._connect_records()

    def _connect_records(self):
        """An item's retention follows its link and evidence flag (docs/architecture.md)."""
        from quancheng.records.signals import item_changed

        from .retention import recompute_for_changed_item

        item_changed.connect(recompute_for_changed_item, dispatch_uid="archive.item_retention")
