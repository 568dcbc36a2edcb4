"""The navigation a user sees: only what the central policy lets them open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiedao.core import imports, modules
from jiedao.core.models import Compound, Enterprise, OfficeBuilding, OrgUnit, Person
from jiedao.core.permissions import Action, policy
from jiedao.core.selectors import can_read_audit, report_card_orgs


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items: list[tuple[str, Any]] = [(reverse("home"), _("首页"))]
    if report_card_orgs(user=user):
        items.append((reverse("report_card"), _("成绩单")))
    for model, url, label in (
        (Person, "person_list", _("居民")),
        (Enterprise, "enterprise_list", _("企业")),
        (Compound, "compound_list", _("小区")),
        (OfficeBuilding, "building_list", _("楼宇")),
        (OrgUnit, "org_tree", _("组织")),
    ):
        if policy.paths_for(user, model, Action.VIEW):
            items.append((reverse(url), label))
    # Each domain module declares its own entries (core.modules), in its AppConfig.
    items.extend(modules.nav_entries(user))
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
