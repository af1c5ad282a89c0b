from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "quancheng.archive"
    verbose_name = "归档与保管"

    def ready(self):
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.orgs.capabilities import provide

        from .sealing import sealed_reason

        provide("sealed", sealed_reason)

        from .approvals import register

        register()

        self._connect_records()
        self._contribute_to_compliance()

    def _connect_records(self):
        """An item's retention follows its link and evidence flag (docs/architecture.md)."""
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.records.signals import item_changed

        from .retention import recompute_for_changed_item

        item_changed.connect(recompute_for_changed_item, dispatch_uid="archive.item_retention")

    def _contribute_to_compliance(self) -> None:
        """What the rules read of the archive, and the rule about it (docs/architecture.md,
        "Hooks between layers")."""
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.compliance import rules
        from quancheng.compliance.custody import register_loader

        from .custody import load_archive_custody
        from .rules import RULE

        register_loader("archive", load_archive_custody)  # A22, A23: dossiers, retention, holds
        rules.register(RULE, after="A22-retention")  # A23-longterm
