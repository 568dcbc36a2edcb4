"""The admin shows evaluations read-only: nobody changes an evaluation once given."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from jiedao.evaluations.models import Evaluation


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("given_at", "channel", "level", "org_unit", "suspicious")
    list_filter = ("channel", "level", "suspicious")
    exclude = ("source", "person")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
