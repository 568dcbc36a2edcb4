from django.contrib import admin

from jiedao.affairs import models as m
from jiedao.core.admin import RollupTrackedAdmin


@admin.register(m.ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group", "time_limit_days", "online", "door_to_door", "active"]
    list_filter = ["group", "online", "door_to_door", "active"]
    search_fields = ["code", "name"]


@admin.register(m.ServicePoint)
class ServicePointAdmin(RollupTrackedAdmin):
    list_display = ["name", "kind", "org_unit", "opening_hours"]
    list_filter = ["kind"]
    filter_horizontal = ["items", "staff"]


@admin.register(m.Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "org_unit", "prefix", "active", "created_at"]
    readonly_fields = ["prefix"]

    def has_add_permission(self, request: object) -> bool:
        return False  # keys are issued by `jiedao open311_key`, which shows the key once
