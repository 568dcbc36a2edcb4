"""How the livelihood module plugs in: menu entries, figures and sources, demo."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.accounts.models import Role
from jiedao.core.modules import HomeCard, Module, NavEntry
from jiedao.core.permissions import Action, policy
from jiedao.livelihood import figures
from jiedao.livelihood.models import Project, ReviewAssignment


def nav(user: Any) -> list[NavEntry]:
    out: list[NavEntry] = []
    if policy.paths_for(user, Project, Action.VIEW):
        out.append((reverse("livelihood_overview"), _("民生项目")))
    elif policy.can_any(user, ReviewAssignment, Action.VIEW):  # experts: their assignments
        out.append((reverse("livelihood_reviews"), _("专家评审")))
    if policy.has_role(user, {Role.RESIDENT}):
        out.append((reverse("livelihood_public_mine"), _("社区微更新")))
    return out


def home(user: Any) -> list[HomeCard]:
    from jiedao.livelihood import selectors

    if not policy.has_role(user, {Role.EXPERT}):
        return []
    pending = selectors.review_list(user=user).filter(expert=user, submitted_at__isnull=True)
    return [
        HomeCard(
            _("待提交的评审"),
            pending.count(),
            reverse("livelihood_reviews"),
            _("邀请您评审、尚未提交意见的项目方案"),
        )
    ]


MODULE = Module(
    name="livelihood",
    label=_("幸福民生"),
    order=40,
    nav=nav,
    home=home,
    figures=figures.FIGURES,
    sources=figures.SOURCES,
    demo="jiedao.livelihood.demo",
    dashboard_url=lambda user: (
        reverse("livelihood_overview") if policy.paths_for(user, Project, Action.VIEW) else None
    ),
)
