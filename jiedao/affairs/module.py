"""How government services plug in: its menu entry, figures and roll-up sources, demo, importer."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.affairs import figures
from jiedao.affairs.models import Ticket
from jiedao.core.modules import Module, NavEntry
from jiedao.core.permissions import Action, policy


def nav(user: Any) -> list[NavEntry]:
    if policy.paths_for(user, Ticket, Action.VIEW):
        desk = policy.paths_for(user, Ticket, Action.ADD)
        return [(reverse("affairs_desk" if desk else "affairs_dashboard"), _("政务服务"))]
    if policy.can_any(user, Ticket, Action.VIEW):  # residents and enterprises: their own
        return [(reverse("affairs_ticket_list"), _("我的办件"))]
    return []


MODULE = Module(
    name="affairs",
    label=_("政务服务"),
    order=10,
    nav=nav,
    figures=figures.FIGURES,
    sources=figures.SOURCES,
    demo="jiedao.affairs.demo",
    importers="jiedao.affairs.imports",
    dashboard_url=lambda user: (
        reverse("affairs_dashboard") if policy.paths_for(user, Ticket, Action.VIEW) else None
    ),
)
