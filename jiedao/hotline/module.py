"""How the 12345 work-order module plugs in: menu entry, home cards, figures and sources, demo."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.accounts.models import LEADERS
from jiedao.core.modules import HomeCard, Module, NavEntry
from jiedao.core.permissions import Action, policy
from jiedao.hotline import figures
from jiedao.hotline.models import Review, WorkOrder


def _url(name: str, **params: Any) -> str:
    return f"{reverse(name)}?{urlencode(params)}" if params else reverse(name)


def nav(user: Any) -> list[NavEntry]:
    from jiedao.hotline import selectors

    if policy.paths_for(user, WorkOrder, Action.VIEW):
        desk = policy.paths_for(user, WorkOrder, Action.CHANGE)
        return [(reverse("hotline_orders" if desk else "hotline_dashboard"), _("12345工单"))]
    if selectors.may_rank(user) and policy.has_role(user, LEADERS):  # district and city
        return [(reverse("hotline_ranking"), _("12345排名"))]
    return []


def home(user: Any) -> list[HomeCard]:
    from jiedao.hotline import selectors
    from jiedao.hotline.models import OrderStatus

    if not policy.paths_for(user, WorkOrder, Action.CHANGE):
        return []
    orders = selectors.order_list(user=user)
    cards = []
    if policy.paths_for(user, WorkOrder, Action.ADD):
        cards.append(
            HomeCard(
                _("待派单的12345工单"),
                orders.filter(status=OrderStatus.RECEIVED).count(),
                _url("hotline_orders", status=OrderStatus.RECEIVED),
                _("已受理、尚未派给承办单位的工单"),
            )
        )
    else:
        cards.append(
            HomeCard(
                _("待签收的12345工单"),
                orders.filter(status=OrderStatus.DISPATCHED).count(),
                _url("hotline_orders", status=OrderStatus.DISPATCHED),
                _("已派给本单位、尚未签收的工单"),
            )
        )
    cards.append(
        HomeCard(
            _("已逾期的12345工单"),
            orders.filter(selectors.overdue_q(timezone.now())).count(),
            _url("hotline_orders", due="overdue"),
            selectors.DEFINITIONS["overdue"],
        )
    )
    if policy.paths_for(user, Review, Action.CHANGE):
        cards.append(
            HomeCard(
                _("待审核的派单异议"),
                selectors.pending_reviews(user=user).count(),
                reverse("hotline_reviews"),
                _("退单、改派和延期申请，待街道审核"),
            )
        )
    return cards


def dashboard_url(user: Any) -> str | None:
    from jiedao.hotline import selectors

    if selectors.viewable_subdistricts(user=user):
        return reverse("hotline_dashboard")
    if selectors.may_rank(user):
        return reverse("hotline_ranking")
    return None


MODULE = Module(
    name="hotline",
    label=_("12345热线工单"),
    order=60,
    nav=nav,
    home=home,
    figures=figures.FIGURES,
    sources=figures.SOURCES,
    demo="jiedao.hotline.demo",
    dashboard_url=dashboard_url,
)
