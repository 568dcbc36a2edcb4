from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from jiedao.accounts.models import ApiToken, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["org_unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "is_active", "is_staff"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Jiedao", {"fields": ["display_name"]}))  # type: ignore[misc]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "last_used_at"]

    def has_add_permission(self, request: object) -> bool:
        return False  # tokens are made by `jiedao token`, which shows the token once
