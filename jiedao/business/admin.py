from django.contrib import admin

from jiedao.business import models as m


@admin.register(m.RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_free_service", "ack_hours", "response_days", "resolve_days"]


@admin.register(m.BuildingProfile)
class BuildingProfileAdmin(admin.ModelAdmin):
    list_display = ["building", "grade", "is_key", "occupancy"]
    list_filter = ["grade", "is_key"]


@admin.register(m.Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "convener", "secretary_general", "org_unit"]
    filter_horizontal = ["buildings"]


@admin.register(m.Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["title", "issuer", "issued_on"]
    search_fields = ["title", "summary"]


@admin.register(m.LiaisonAssignment)
class LiaisonAssignmentAdmin(admin.ModelAdmin):
    list_display = ["building", "leader", "department", "interval_days"]
