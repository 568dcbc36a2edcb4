"""How the evaluations module (好差评) plugs in: menu entry, home card, figures, demo."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.accounts.models import PUBLIC_ROLES
from jiedao.core.modules import HomeCard, Module, NavEntry
from jiedao.core.permissions import Action, policy
from jiedao.evaluations import figures
from jiedao.evaluations.models import Evaluation, Rectification


def nav(user: Any) -> list[NavEntry]:
    if policy.paths_for(user, Evaluation, Action.VIEW):
        return [(reverse("evaluations_dashboard"), _("好差评"))]
    if policy.has_role(user, PUBLIC_ROLES):
        return [(reverse("evaluations_mine"), _("评价服务"))]
    return []


def home(user: Any) -> list[HomeCard]:
    from jiedao.evaluations import selectors

    if policy.has_role(user, PUBLIC_ROLES) and not policy.paths_for(user, Evaluation, Action.VIEW):
        return [
            HomeCard(
                _("待评价的服务"),
                len(selectors.own_cases_to_rate(user=user)),
                reverse("evaluations_mine"),
                _("您已办结、还没有在网上评价的办件和诉求"),
            )
        ]
    if not policy.paths_for(user, Rectification, Action.CHANGE):
        return []

    late = selectors.rectification_list(user=user, overdue=True)
    mine = selectors.rectification_list(user=user, open_only=True).filter(handler=user)
    return [
        HomeCard(
            _("我的差评整改"),
            mine.count(),
            reverse("evaluations_bad") + "?open=1",
            _("由我负责、尚未完成二次回访的差评"),
        ),
        HomeCard(
            _("超时的差评整改"),
            late.count(),
            reverse("evaluations_bad") + "?overdue=1",
            _("未在1个工作日内联系，或未在期限内整改的差评"),
        ),
    ]


MODULE = Module(
    name="evaluations",
    label=_("好差评"),
    order=50,
    nav=nav,
    home=home,
    figures=figures.FIGURES,
    sources=figures.SOURCES,
    demo="jiedao.evaluations.demo",
    dashboard_url=lambda user: (
        reverse("evaluations_dashboard")
        if policy.paths_for(user, Evaluation, Action.VIEW)
        else None
    ),
)
