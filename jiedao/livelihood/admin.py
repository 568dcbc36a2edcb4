"""Configuration of the livelihood module: programmes and their review criteria. Projects,
funds and everything else are run from the module's own pages, through its services."""

from django.contrib import admin

from jiedao.livelihood import models as m


class ReviewCriterionInline(admin.TabularInline):
    model = m.ReviewCriterion
    extra = 1
    fields = ["order", "name", "weight", "max_score"]


@admin.register(m.Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "kind", "org_unit"]
    list_filter = ["kind"]
    inlines = [ReviewCriterionInline]
