"""The navigation a user sees: only what the central policy lets them open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.accounts.models import Role
from jiedao.affairs.models import Ticket
from jiedao.business.models import Council, EnterpriseRequest
from jiedao.core import imports
from jiedao.core.models import Compound, Enterprise, OfficeBuilding, OrgUnit, Person
from jiedao.core.permissions import Action, policy
from jiedao.core.selectors import can_read_audit
from jiedao.livelihood.models import Project as LivelihoodProject
from jiedao.livelihood.models import ReviewAssignment
from jiedao.renewal.models import RenewalProject


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items: list[tuple[str, Any]] = [(reverse("home"), _("首页"))]
    for model, url, label in (
        (Person, "person_list", _("居民")),
        (Enterprise, "enterprise_list", _("企业")),
        (Compound, "compound_list", _("小区")),
        (OfficeBuilding, "building_list", _("楼宇")),
        (OrgUnit, "org_tree", _("组织")),
    ):
        if policy.paths_for(user, model, Action.VIEW):
            items.append((reverse(url), label))
    if policy.paths_for(user, Ticket, Action.VIEW):
        desk = policy.paths_for(user, Ticket, Action.ADD)
        items.append((reverse("affairs_desk" if desk else "affairs_dashboard"), _("政务服务")))
    elif policy.can_any(user, Ticket, Action.VIEW):  # residents and enterprises: their own
        items.append((reverse("affairs_ticket_list"), _("我的办件")))
    if policy.paths_for(user, EnterpriseRequest, Action.VIEW):
        desk = policy.paths_for(user, EnterpriseRequest, Action.ADD)
        items.append(
            (reverse("business_requests" if desk else "business_dashboard"), _("营商环境"))
        )
    elif policy.can_any(user, EnterpriseRequest, Action.VIEW):  # enterprise contacts: their own
        items.append((reverse("business_requests"), _("我的诉求")))
    elif policy.paths_for(user, Council, Action.VIEW):  # district and city leaders: roll-ups
        items.append((reverse("business_dashboard"), _("营商环境")))
    if policy.paths_for(user, RenewalProject, Action.VIEW):
        items.append((reverse("renewal_projects"), _("城市更新")))
    if policy.paths_for(user, LivelihoodProject, Action.VIEW):
        items.append((reverse("livelihood_overview"), _("民生项目")))
    elif policy.can_any(user, ReviewAssignment, Action.VIEW):  # experts: their assignments
        items.append((reverse("livelihood_reviews"), _("专家评审")))
    if policy.has_role(user, {Role.RESIDENT}):
        items.append((reverse("livelihood_public_mine"), _("社区微更新")))
    if imports.importers_for(user):
        items.append((reverse("import_new"), _("导入")))
    if can_read_audit(user):
        items.append((reverse("audit_list"), _("审计")))
    if user.is_staff:
        items.append((reverse("admin:index"), _("配置")))
    return {"nav": items, "user_roles": sorted(str(r) for r in policy.roles(user))}


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count on the nav's notification badge (one query, signed-in users only)."""
    from jiedao.core.selectors import notification_unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": notification_unread_count(user=user)}
