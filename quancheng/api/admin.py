"""ApiToken in the Django admin: read-only, with a revoke action that goes through the service.

Tokens are issued with `manage.py issue_api_token` (the secret is shown once there); the admin
lists them and revokes them. The hash is never shown or editable.
"""

from django.contrib import admin, messages

from quancheng.orgs.models import ApiToken
from quancheng.orgs.services import revoke_api_token


class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "user",
        "device",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "user__agency"]
    search_fields = ["prefix", "name", "user__username", "user__full_name", "device__serial_number"]
    list_select_related = ["user", "device", "created_by"]
    ordering = ["-created_at"]
    fields = [
        "name",
        "prefix",
        "user",
        "device",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # plain field names, no groups
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The list (and its revoke action) needs change permission; a token itself is never
        # edited, so its page is read-only.
        return obj is None and super().has_change_permission(request)

    @admin.action(description="吊销所选令牌", permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            revoke_api_token(request.user, token)
            count += 1
        self.message_user(request, f"已吊销 {count} 个令牌", messages.SUCCESS)


if not admin.site.is_registered(ApiToken):
    admin.site.register(ApiToken, ApiTokenAdmin)
