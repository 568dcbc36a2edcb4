"""How government services plug in: its menu entry, figures and roll-up sources, demo, importer."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.affairs import figures
from jiedao.affairs.models import Ticket
from jiedao.core.modules import HomeCard, Module, NavEntry
from jiedao.core.permissions import Action, policy


def nav(user: Any) -> list[NavEntry]:
    if policy.paths_for(user, Ticket, Action.VIEW):
        desk = policy.paths_for(user, Ticket, Action.ADD)
        return [(reverse("affairs_desk" if desk else "affairs_dashboard"), _("政务服务"))]
    if policy.can_any(user, Ticket, Action.VIEW):  # residents and enterprises: their own
        return [(reverse("affairs_ticket_list"), _("我的办件"))]
    return []


def home(user: Any) -> list[HomeCard]:
    from urllib.parse import urlencode

    from jiedao.affairs import selectors
    from jiedao.affairs.models import OPEN_STATUSES

    listing = reverse("affairs_ticket_list")
    if policy.paths_for(user, Ticket, Action.ADD):  # the windows: what is theirs, what is late
        mine = selectors.ticket_list(user=user).filter(status__in=OPEN_STATUSES, handler=user)
        late = selectors.ticket_list(user=user, filters=selectors.TicketFilters(due="overdue"))
        return [
            HomeCard(
                _("我经办的在办办件"),
                mine.count(),
                f"{listing}?{urlencode({'handler': user.pk})}",
                _("由您经办、尚未办结的办件"),
            ),
            HomeCard(
                _("已逾期办件"),
                late.count(),
                f"{listing}?due=overdue",
                _("超过办理期限仍未办结的办件"),
            ),
        ]
    if not policy.paths_for(user, Ticket, Action.VIEW) and policy.can_any(
        user, Ticket, Action.VIEW
    ):  # residents and enterprises: their own cases
        own = selectors.ticket_list(user=user).filter(status__in=OPEN_STATUSES)
        return [HomeCard(_("我的在办办件"), own.count(), listing, _("您申请的、尚未办结的办件"))]
    return []


MODULE = Module(
    name="affairs",
    label=_("政务服务"),
    order=10,
    nav=nav,
    home=home,
    figures=figures.FIGURES,
    sources=figures.SOURCES,
    demo="jiedao.affairs.demo",
    importers="jiedao.affairs.imports",
    dashboard_url=lambda user: (
        reverse("affairs_dashboard") if policy.paths_for(user, Ticket, Action.VIEW) else None
    ),
)
