"""The dispatch catalogue and the platforms' keys are configuration, edited here. Orders are
written only through the services (their steps and roll-ups); the admin lists them read-only,
with the masked phone."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jiedao.hotline import models as m


@admin.register(m.Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "deadline_days",
        "deadline_hours",
        "extension_needs_approval",
        "send_back_allowed",
        "active",
    ]
    list_filter = ["kind", "active", "send_back_allowed"]
    search_fields = ["code", "name"]


@admin.register(m.HotlineClient)
class HotlineClientAdmin(admin.ModelAdmin):
    """Keys are issued by `jiedao hotline_key`; here a platform can be renamed or disabled."""

    list_display = ["name", "org_unit", "source", "prefix", "active"]
    readonly_fields = ["prefix"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(m.WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "hotline_number", "category", "status", "phone_masked", "received_at"]
    list_filter = ["status", "category", "warning"]
    search_fields = ["number", "hotline_number"]
    exclude = ["phone_encrypted", "phone_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
