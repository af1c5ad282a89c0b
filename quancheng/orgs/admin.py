"""Django admin, for reference data only: agencies, people, devices."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from quancheng.ledger.admin_mixins import LedgeredAdmin

from .models import Agency, Device, DeviceAssignment, User
from .services import AGENCY_FIELDS, USER_FIELDS

admin.site.site_header = "全程 · 参考数据管理"
admin.site.site_title = "全程"


@admin.register(Agency)
class AgencyAdmin(LedgeredAdmin, admin.ModelAdmin):
    ledger_fields = AGENCY_FIELDS
    list_display = ["name", "code", "short_name", "level", "kind", "district"]
    list_filter = ["level", "kind"]
    search_fields = ["name", "code", "district"]


@admin.register(User)
class PersonAdmin(LedgeredAdmin, UserAdmin):
    ledger_fields = USER_FIELDS
    list_display = [
        "username",
        "full_name",
        "agency",
        "role",
        "certificate_number",
        "certificate_valid_until",
        "is_active",
    ]
    list_filter = ["role", "is_active", "agency__level"]
    search_fields = ["username", "full_name", "certificate_number"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            "执法机构与证件",
            {
                "fields": [
                    "full_name",
                    "agency",
                    "role",
                    "certificate_number",
                    "certificate_valid_from",
                    "certificate_valid_until",
                ]
            },
        ),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (
            "执法机构与证件",
            {
                "fields": [
                    "full_name",
                    "agency",
                    "role",
                    "certificate_number",
                    "certificate_valid_from",
                    "certificate_valid_until",
                ]
            },
        ),
    ]


@admin.register(Device)
class DeviceAdmin(LedgeredAdmin, admin.ModelAdmin):
    ledger_fields = ["agency", "kind", "serial_number", "name", "clock_offset_seconds"]
    list_display = ["serial_number", "kind", "name", "agency", "status", "clock_offset_seconds"]
    list_filter = ["kind", "status"]
    # Status and docking change through the device pages and the docking paths (docs/devices.md).
    readonly_fields = ["status", "last_docked_at", "created_at"]
    search_fields = ["serial_number", "name"]


@admin.register(DeviceAssignment)
class DeviceAssignmentAdmin(LedgeredAdmin, admin.ModelAdmin):
    ledger_fields = ["device", "officer", "starts_on", "ends_on"]
    list_display = ["device", "officer", "starts_on", "ends_on"]
    search_fields = ["device__serial_number", "officer__username", "officer__full_name"]
    autocomplete_fields = ["device", "officer"]
