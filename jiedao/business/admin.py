from typing import Any

from django.contrib import admin

from jiedao.business import models as m
from jiedao.core import figures
from jiedao.core.admin import RollupTrackedAdmin
from jiedao.core.models import Enterprise, OfficeBuilding


@admin.register(m.RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_free_service", "ack_hours", "response_days", "resolve_days"]


@admin.register(m.BuildingProfile)
class BuildingProfileAdmin(admin.ModelAdmin):
    list_display = ["building", "grade", "is_key", "occupancy"]
    list_filter = ["grade", "is_key"]


@admin.register(m.Council)
class CouncilAdmin(RollupTrackedAdmin):
    list_display = ["name", "convener", "secretary_general", "org_unit"]
    filter_horizontal = ["buildings"]

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        # The buildings a council covers decide the coverage figures of them and their firms.
        buildings = {b.pk for b in form.cleaned_data.get("buildings", [])}
        buildings |= set(form.instance.buildings.values_list("pk", flat=True))
        firms = Enterprise.objects.filter(building_id__in=buildings).values_list("pk", flat=True)
        with (
            figures.tracking(OfficeBuilding, buildings),
            figures.tracking(Enterprise, list(firms)),
        ):
            super().save_related(request, form, formsets, change)


@admin.register(m.Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["title", "issuer", "issued_on"]
    search_fields = ["title", "summary"]


@admin.register(m.LiaisonAssignment)
class LiaisonAssignmentAdmin(admin.ModelAdmin):
    list_display = ["building", "leader", "department", "interval_days"]
