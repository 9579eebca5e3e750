"""Admin for profiles, tokens and the (read-only) audit log."""

from django.contrib import admin

from shnor.web.accounts.models import ApiToken, AuditEntry, LoginFailure, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """Roles and scopes."""

    list_display = ["user", "role", "region", "municipality", "school"]
    list_filter = ["role"]
    raw_id_fields = ["school", "curated_schools"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log is read-only."""

    list_display = ["at", "username", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type"]

    def has_add_permission(self, request):
        """No manual entries."""
        return False

    def has_change_permission(self, request, obj=None):
        """No edits."""
        return False

    def has_delete_permission(self, request, obj=None):
        """No deletions."""
        return False


admin.site.register(
    ApiToken, list_display=["name", "user", "prefix", "created_at", "last_used_at", "revoked"]
)
admin.site.register(LoginFailure, list_display=["username", "ip", "failures", "refused", "last_at"])
