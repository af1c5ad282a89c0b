"""Job leases in the admin, read only: who ran a task, how often, and why an attempt was lost."""

from django.contrib import admin

from .models import JobLease


@admin.register(JobLease)
class JobLeaseAdmin(admin.ModelAdmin):
    list_display = ["task", "worker_id", "attempts", "heartbeat_at", "expires_at", "last_error"]
    search_fields = ["task__task_path", "worker_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
