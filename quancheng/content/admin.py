from django.contrib import admin

from quancheng.compliance.admin import ReadOnlyAdmin

from .models import OsdReading, ScanReading


@admin.register(OsdReading)
class OsdReadingAdmin(ReadOnlyAdmin):
    list_display = ["segment", "status", "picture_started_at", "device_number", "read_at"]
    list_filter = ["status"]


@admin.register(ScanReading)
class ScanReadingAdmin(ReadOnlyAdmin):
    list_display = ["document", "status", "proposed_number", "read_at", "confirmed_at"]
    list_filter = ["status"]
