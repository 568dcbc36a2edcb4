"""How the business-environment module plugs in: menu entry, figures and sources, demo, importer."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.business import figures
from jiedao.business.models import Council, EnterpriseRequest
from jiedao.core.modules import HomeCard, Module, NavEntry
from jiedao.core.permissions import Action, policy


def nav(user: Any) -> list[NavEntry]:
    if policy.paths_for(user, EnterpriseRequest, Action.VIEW):
        desk = policy.paths_for(user, EnterpriseRequest, Action.ADD)
        return [(reverse("business_requests" if desk else "business_dashboard"), _("营商环境"))]
    if policy.can_any(user, EnterpriseRequest, Action.VIEW):  # enterprise contacts: their own
        return [(reverse("business_requests"), _("我的诉求"))]
    if policy.paths_for(user, Council, Action.VIEW):  # district and city leaders: roll-ups
        return [(reverse("business_dashboard"), _("营商环境"))]
    return []


def home(user: Any) -> list[HomeCard]:
    from jiedao.business import selectors
    from jiedao.business.models import REQUEST_OPEN, RequestStatus

    if policy.paths_for(user, EnterpriseRequest, Action.VIEW):  # the business office
        open_ = selectors.request_list(user=user).filter(status__in=REQUEST_OPEN)
        return [
            HomeCard(
                _("在办企业诉求"),
                open_.count(),
                reverse("business_requests"),
                _("已接收、已受理或办理中的企业诉求"),
            )
        ]
    if policy.can_any(user, EnterpriseRequest, Action.VIEW):  # an enterprise's contact
        done = {RequestStatus.RESOLVED, RequestStatus.REFERRED, RequestStatus.CLOSED}
        to_rate = selectors.request_list(user=user).filter(status__in=done, rating__isnull=True)
        return [
            HomeCard(
                _("待评价的诉求"),
                to_rate.count(),
                reverse("business_requests"),
                _("已办结、还没有评价的本企业诉求"),
            )
        ]
    return []


MODULE = Module(
    name="business",
    label=_("营商环境"),
    order=20,
    nav=nav,
    home=home,
    figures=figures.FIGURES,
    sources=figures.SOURCES,
    demo="jiedao.business.demo",
    importers="jiedao.business.imports",
    dashboard_url=lambda user: (
        reverse("business_dashboard") if policy.paths_for(user, Council, Action.VIEW) else None
    ),
)
