from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "quancheng.alerts"
    verbose_name = "告警"

    def ready(self):
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.cases.signals import officers_changed
        from quancheng.ledger.signals import verification_failed
        from quancheng.orgs.breakglass import break_glass_used

        from .receivers import raise_ledger_tampered_alert
        from .sources import raise_break_glass_alert, raise_self_added_alert

        break_glass_used.connect(raise_break_glass_alert, dispatch_uid="alerts.break_glass")
        verification_failed.connect(
            raise_ledger_tampered_alert, dispatch_uid="alerts.ledger_tampered"
        )
        officers_changed.connect(raise_self_added_alert, dispatch_uid="alerts.self_added")
        self._connect_records_and_devices()

    def _connect_records_and_devices(self):
        """Unreadable files and undocked devices, announced by records and orgs
        (docs/architecture.md, "Hooks between layers")."""
        # At ready(): the apps' models and signals load once the app registry is ready.
        from quancheng.orgs.devices import device_undocked
        from quancheng.records.signals import segment_marked_unreadable, unreadable_file_received

        from . import sources

        device_undocked.connect(sources.raise_undocked_alert, dispatch_uid="alerts.undocked")
        unreadable_file_received.connect(
            sources.raise_unreadable_file_alert, dispatch_uid="alerts.unreadable_file"
        )
        segment_marked_unreadable.connect(
            sources.raise_marked_unreadable_alert, dispatch_uid="alerts.marked_unreadable"
        )
