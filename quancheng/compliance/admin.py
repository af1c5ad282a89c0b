from django.contrib import admin

from .models import ActCompliance, Explanation, Finding, Marker, RuleConfig


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed here: changes go through the services (ledger events)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RuleConfig)
class RuleConfigAdmin(ReadOnlyAdmin):
    list_display = ["version", "effective_from", "created_by", "created_at", "note"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["act", "rule_id", "severity", "status", "created_at"]
    list_filter = ["rule_id", "status", "severity"]


@admin.register(Marker)
class MarkerAdmin(ReadOnlyAdmin):
    list_display = ["segment", "kind", "offset_seconds", "created_by", "withdrawn_at"]


@admin.register(Explanation)
class ExplanationAdmin(ReadOnlyAdmin):
    list_display = ["act", "kind", "reason", "review", "requested_by", "requested_at"]


@admin.register(ActCompliance)
class ActComplianceAdmin(ReadOnlyAdmin):
    list_display = ["act", "status", "active_findings", "config_version", "changed_at"]
    list_filter = ["status"]
