"""How the urban-renewal module plugs in: menu entry, figures and sources, demo, importer."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.core.modules import Module, NavEntry
from jiedao.core.permissions import Action, policy
from jiedao.renewal import figures
from jiedao.renewal.models import RenewalProject


def nav(user: Any) -> list[NavEntry]:
    if policy.paths_for(user, RenewalProject, Action.VIEW):
        return [(reverse("renewal_projects"), _("城市更新"))]
    return []


MODULE = Module(
    name="renewal",
    label=_("城市更新"),
    order=30,
    nav=nav,
    figures=figures.FIGURES,
    sources=figures.SOURCES,
    demo="jiedao.renewal.demo",
    importers="jiedao.renewal.imports",
    dashboard_url=lambda user: (
        reverse("renewal_projects") if policy.paths_for(user, RenewalProject, Action.VIEW) else None
    ),
)
