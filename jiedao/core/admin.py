from typing import Any

from django.contrib import admin
from django.db import transaction

from jiedao.core import figures
from jiedao.core import models as m


class RollupTrackedAdmin(admin.ModelAdmin):
    """An admin whose saves and deletes keep the figures' roll-ups in step, like a service."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            if change:
                with figures.tracking(type(obj), [obj.pk]):
                    super().save_model(request, obj, form, change)
            else:
                super().save_model(request, obj, form, change)
                figures.added(type(obj), [obj.pk])

    def delete_model(self, request: Any, obj: Any) -> None:
        with transaction.atomic(), figures.tracking(type(obj), [obj.pk]):
            super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        with (
            transaction.atomic(),
            figures.tracking(queryset.model, queryset.values_list("pk", flat=True)),
        ):
            super().delete_queryset(request, queryset)


@admin.register(m.OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "path"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    readonly_fields = ["path", "depth"]


class BlockInline(admin.TabularInline):
    model = m.ResidentialBlock
    extra = 0


@admin.register(m.Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ["name", "org_unit", "address", "floor_area"]
    search_fields = ["name"]
    list_filter = ["org_unit"]
    inlines = [BlockInline]


@admin.register(m.OfficeBuilding)
class OfficeBuildingAdmin(RollupTrackedAdmin):
    list_display = ["name", "org_unit", "address", "floors", "floor_area"]
    search_fields = ["name"]


@admin.register(m.Person)
class PersonAdmin(admin.ModelAdmin):
    """Read-mostly: personal data is entered through the app's forms, which validate and
    encrypt it; the admin shows only masked values."""

    list_display = ["name", "id_number_masked", "phone_masked", "org_unit"]
    search_fields = ["name", "name_pinyin", "name_initials"]
    readonly_fields = ["id_number_masked", "phone_masked", "birth_date", "gender"]
    fields = [
        "org_unit",
        "name",
        "address",
        "household",
        "relation_to_head",
        "user",
        "id_number_masked",
        "phone_masked",
        "birth_date",
        "gender",
    ]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(m.Enterprise)
class EnterpriseAdmin(RollupTrackedAdmin):
    list_display = ["name", "credit_code", "building", "org_unit"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["contact", "building"]


@admin.register(m.PiiReveal)
class PiiRevealAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "person", "field", "reason"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(m.WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
