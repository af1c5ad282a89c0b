"""Django admin, for reference data only: agencies, people, devices."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from quancheng.ledger.admin_mixins import LedgeredAdmin

from . import capabilities as caps
from .models import Agency, Device, DeviceAssignment, Role, User
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
    # Superuser status and Django's own permission grants are never edited here (三员分立: the
    # administrators' permissions follow their role, orgs/backends.py; the superuser is the
    # command line's break-glass account).
    NEVER_EDITED = ("is_superuser", "groups", "user_permissions", "last_login", "date_joined")

    def get_readonly_fields(self, request, obj=None):
        fields = set(self.NEVER_EDITED)
        user = request.user
        # Roles are the security administrator's (安全管理员); nobody changes their own.
        if not caps.can(user, caps.ROLES_ASSIGN) or (obj is not None and obj.pk == user.pk):
            fields.add("role")
        # The security administrator changes a person's role and nothing else about them.
        if user.role == Role.SECURITY_ADMIN and obj is not None:
            fields.update(f.name for f in User._meta.fields if f.name not in ("role", "id"))
        return sorted(fields)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            # The break-glass role comes only from ``manage.py break_glass``.
            kwargs["choices"] = [c for c in Role.choices if c[0] != Role.BREAK_GLASS]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    fieldsets = [
        *(UserAdmin.fieldsets or ()),
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
