from django.contrib import admin

from jiedao.core.admin import RollupTrackedAdmin
from jiedao.renewal import models as m


@admin.register(m.RenewalProject)
class RenewalProjectAdmin(RollupTrackedAdmin):
    list_display = ["name", "kind", "phase", "floor_area", "agree_threshold", "sign_threshold"]
    list_filter = ["kind", "phase"]


@admin.register(m.WorkMethod)
class WorkMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
