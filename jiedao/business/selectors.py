"""Reads of the business environment module, each scoped to what the user may see.

Coverage, liaison due dates and request times are computed from the records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.business import figures
from jiedao.business.models import (
    REQUEST_OPEN,
    ActionItem,
    ActionState,
    Council,
    EnterpriseRequest,
    LiaisonAssignment,
    LiaisonVisit,
    Meeting,
    Policy,
    RequestType,
    Vacancy,
    Viewing,
    ViewingOutcome,
)
from jiedao.core.figures import ALL, Sums, orgs_of_paths, read_merged
from jiedao.core.models import Enterprise, OfficeBuilding
from jiedao.core.permissions import Action, policy
from jiedao.core.workdays import add_workdays

DUE_SOON_WORKDAYS = 1

DEFINITIONS = {
    "councils": _("楼务会数 = 楼务会（平台）记录数"),
    "buildings": _("覆盖楼宇 = 至少被一个楼务会覆盖的楼宇数（去重）"),
    "enterprises": _("覆盖企业 = 覆盖楼宇内登记的企业数（不含已迁出）"),
    "white_collar": _("覆盖白领 = 覆盖楼宇内企业档案中白领人数之和（不含已迁出）"),
    "ack": _("按时受理率 = 在受理时限内受理的诉求 ÷ 已受理或已超时的诉求"),
    "response": _("按时答复率 = 在答复时限内首次答复的诉求 ÷ 已答复或已超时的诉求"),
    "resolve": _("按时办结率 = 在办结时限内解决的诉求 ÷ 已解决或已超时的诉求"),
    "satisfaction": _("企业满意度 = 企业对已解决诉求评价（1–5分）的平均值"),
    "viewings": _("带看成交 = 结果为“已入驻”的带看数 ÷ 有结果的带看数"),
    "overdue_actions": _("逾期议定事项 = 未办结且已过完成时限的议定事项数"),
}


# --- buildings and enterprises ----------------------------------------------------------------
def building_directory(
    *, user: Any, q: str = "", key_only: bool = False
) -> QuerySet[OfficeBuilding]:
    qs = policy.scope(
        user,
        Action.VIEW,
        OfficeBuilding.objects.select_related("org_unit", "profile", "liaison", "liaison__leader")
        .annotate(
            enterprise_count=Count("enterprises", distinct=True),
            open_vacancies=Count("vacancies", filter=Q(vacancies__status="open"), distinct=True),
        )
        .order_by("name", "pk"),
    )
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(address__icontains=q.strip()))
    if key_only:
        qs = qs.filter(profile__is_key=True)
    return qs


def enterprise_directory(
    *, user: Any, q: str = "", building: int | None = None
) -> QuerySet[Enterprise]:
    qs = policy.scope(
        user,
        Action.VIEW,
        Enterprise.objects.select_related("org_unit", "building", "contact", "profile"),
    )
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(credit_code__iexact=q.strip()))
    if building:
        qs = qs.filter(building_id=building)
    return qs


def vacancy_list(*, user: Any, open_only: bool = False) -> QuerySet[Vacancy]:
    qs = policy.scope(user, Action.VIEW, Vacancy.objects.select_related("building"))
    return qs.filter(status="open") if open_only else qs


def viewing_list(*, user: Any) -> QuerySet[Viewing]:
    return policy.scope(
        user,
        Action.VIEW,
        Viewing.objects.select_related("vacancy", "vacancy__building", "enterprise", "guide"),
    )


# --- councils ---------------------------------------------------------------------------------
def council_list(*, user: Any) -> QuerySet[Council]:
    return policy.scope(
        user,
        Action.VIEW,
        Council.objects.select_related("org_unit").annotate(
            building_count=Count("buildings", distinct=True),
            overdue_actions=Count(
                "action_items",
                filter=Q(
                    action_items__state__in=[ActionState.OPEN, ActionState.IN_PROGRESS],
                    action_items__deadline__lt=timezone.localdate(),
                ),
                distinct=True,
            ),
        ),
    )


def council_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Council:
    return policy.get_or_404(user, action, Council.objects.select_related("org_unit"), pk=pk)


def meeting_list(*, user: Any) -> QuerySet[Meeting]:
    return policy.scope(user, Action.VIEW, Meeting.objects.select_related("council"))


def action_item_list(*, user: Any, overdue: bool = False) -> QuerySet[ActionItem]:
    qs = policy.scope(user, Action.VIEW, ActionItem.objects.select_related("council", "meeting"))
    if overdue:
        qs = qs.filter(
            state__in=[ActionState.OPEN, ActionState.IN_PROGRESS],
            deadline__lt=timezone.localdate(),
        )
    return qs


@dataclass(frozen=True)
class Coverage:
    councils: int
    buildings: int
    enterprises: int
    white_collar: int
    building_ids: tuple[int, ...]


def coverage(*, user: Any) -> Coverage:
    """What the councils the user can see cover, counted from records.

    Enterprises and white-collar workers are those registered in a covered building and not
    moved out; each building counts once however many councils cover it.
    """
    councils = council_list(user=user)
    building_ids = tuple(
        sorted(
            set(
                OfficeBuilding.objects.filter(councils__in=councils.values("pk")).values_list(
                    "pk", flat=True
                )
            )
        )
    )
    # A move-out dated in the future has not happened yet: the firm still counts.
    firms = Enterprise.objects.filter(building_id__in=building_ids).exclude(
        profile__moved_out__lte=timezone.localdate()
    )
    white_collar = firms.aggregate(n=Sum("profile__white_collar_count"))["n"] or 0
    return Coverage(
        councils=councils.count(),
        buildings=len(building_ids),
        enterprises=firms.count(),
        white_collar=int(white_collar),
        building_ids=building_ids,
    )


# --- liaison ----------------------------------------------------------------------------------
@dataclass
class LiaisonRow:
    assignment: LiaisonAssignment
    last_visit: date | None
    due_on: date
    is_due: bool


def liaison_rows(*, user: Any, mine: bool = False, today: date | None = None) -> list[LiaisonRow]:
    """Each assigned building with its last visit and when the next one is due.

    A building is due when it has never been visited or its last visit is older than its
    interval.
    """
    today = today or timezone.localdate()
    qs = policy.scope(
        user,
        Action.VIEW,
        LiaisonAssignment.objects.select_related("building", "leader").annotate(
            last_visit=Max("building__liaison_visits__date")
        ),
    )
    if mine:
        qs = qs.filter(leader=user)
    rows = []
    for a in qs.order_by("building__name"):
        last = a.last_visit  # type: ignore[attr-defined]
        # The assignment's local date: created_at comes back in UTC, a day early before 08:00.
        due_on = (
            (last + timedelta(days=a.interval_days)) if last else timezone.localdate(a.created_at)
        )
        rows.append(LiaisonRow(a, last, due_on, due_on <= today))
    return rows


def liaison_visit_list(*, user: Any) -> QuerySet[LiaisonVisit]:
    return policy.scope(
        user,
        Action.VIEW,
        LiaisonVisit.objects.select_related("building").prefetch_related("visitors"),
    )


# --- requests ---------------------------------------------------------------------------------
def request_types() -> QuerySet[RequestType]:
    return RequestType.objects.all()


@dataclass
class RequestFilters:
    q: str = ""
    status: str = ""
    type: int | None = None
    due: str = ""  # "soon" | "overdue"
    assigned_to: int | None = None
    enterprise: int | None = None
    month: str = ""  # YYYY-MM of receipt


def request_list(
    *, user: Any, filters: RequestFilters | None = None
) -> QuerySet[EnterpriseRequest]:
    f = filters or RequestFilters()
    qs = policy.scope(
        user,
        Action.VIEW,
        EnterpriseRequest.objects.select_related(
            "enterprise", "enterprise__building", "type", "assigned_to", "policy"
        ),
    )
    today = timezone.localdate()
    if f.q.strip():
        qs = qs.filter(
            Q(number__icontains=f.q.strip())
            | Q(title__icontains=f.q.strip())
            | Q(enterprise__name__icontains=f.q.strip())
        )
    if f.status:
        qs = qs.filter(status=f.status)
    if f.type:
        qs = qs.filter(type_id=f.type)
    if f.assigned_to:
        qs = qs.filter(assigned_to_id=f.assigned_to)
    if f.enterprise:
        qs = qs.filter(enterprise_id=f.enterprise)
    if f.month:
        try:
            year, month = (int(x) for x in f.month.split("-"))
            start = date(year, month, 1)
        except ValueError:
            return qs.none()
        end = (start + timedelta(days=32)).replace(day=1)
        qs = qs.filter(received_at__date__gte=start, received_at__date__lt=end)
    if f.due == "soon":
        qs = qs.filter(
            status__in=REQUEST_OPEN,
            resolve_due__gte=today,
            resolve_due__lte=add_workdays(today, DUE_SOON_WORKDAYS),
        )
    elif f.due == "overdue":
        qs = qs.filter(overdue_q(today))
    return qs


def overdue_q(today: date, now: datetime | None = None) -> Q:
    """Open requests past any of their due steps."""
    now = now or timezone.now()
    return Q(status__in=REQUEST_OPEN) & (
        Q(acknowledged_at__isnull=True, ack_due__lt=now)
        | Q(first_response_at__isnull=True, response_due__lt=today)
        | Q(resolve_due__lt=today)
    )


def request_assignee_list(*, user: Any) -> QuerySet[Any]:
    """Staff the user may hand a request to: active users holding a role that may handle
    requests, in an org under one where the user may handle them."""
    from django.contrib.auth import get_user_model

    rule = policy.rule_for(EnterpriseRequest)
    paths = policy.paths_for(user, EnterpriseRequest, Action.CHANGE)
    if rule is None or not paths:
        return get_user_model().objects.none()
    under = Q()
    for path in paths:
        under |= Q(memberships__org_unit__path__startswith=path)
    roles = rule.grants.get(Action.CHANGE, frozenset())
    return (
        get_user_model()
        .objects.filter(under, memberships__role__in=roles, is_active=True)
        .distinct()
        .order_by("username")
    )


def request_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> EnterpriseRequest:
    return policy.get_or_404(
        user,
        action,
        EnterpriseRequest.objects.select_related(
            "enterprise", "enterprise__contact", "type", "assigned_to", "policy", "liaison_visit"
        ),
        pk=pk,
    )


# The request counts are defined once, in `figures.request_cells`; the dashboard reads them from
# the roll-ups (`jiedao/core/figures.py`), summed over the org units the user may view requests in.
RequestTimes = figures.RequestTimes
request_times = figures.request_times


def _request_orgs(user: Any) -> list[Any]:
    return orgs_of_paths(policy.paths_for(user, EnterpriseRequest, Action.VIEW))


def request_times_for(*, user: Any) -> RequestTimes:
    """All-time request times of what the user may view, from the roll-ups (None: every type)."""
    return RequestTimes.from_sums(request_sums(user=user))


def request_sums(*, user: Any) -> Sums:
    return read_merged(_request_orgs(user), figures.REQUEST_METRICS).get(ALL, Sums())


def requests_by_type_and_month(*, user: Any, months: list[str]) -> dict[tuple[str, int], int]:
    """{(YYYY-MM, type id): requests received}, for these months, from the roll-ups."""
    by_month = read_merged(_request_orgs(user), [figures.REQUESTS], by="month")
    out: dict[tuple[str, int], int] = {}
    for month in months:
        for rtype, (n, _t) in by_month.get(month, Sums()).dims(figures.REQUESTS).items():
            out[(month, int(rtype))] = n
    return out


def viewing_conversion(*, user: Any) -> dict[str, int]:
    qs = viewing_list(user=user).order_by()
    decided = qs.filter(outcome__in=[ViewingOutcome.MOVED_IN, ViewingOutcome.DECLINED])
    return {
        "viewings": qs.count(),
        "decided": decided.count(),
        "moved_in": decided.filter(outcome=ViewingOutcome.MOVED_IN).count(),
        "open_vacancies": vacancy_list(user=user, open_only=True).count(),
    }


def policy_list(*, user: Any, q: str = "", industry: str = "") -> QuerySet[Policy]:
    qs = policy.scope(user, Action.VIEW, Policy.objects.all())
    if q.strip():
        qs = qs.filter(
            Q(title__icontains=q.strip())
            | Q(summary__icontains=q.strip())
            | Q(issuer__icontains=q.strip())
        )
    if industry.strip():
        term = industry.strip()
        # SQLite keeps JSON text with non-ASCII escaped (\uXXXX): match either spelling.
        qs = qs.filter(
            Q(industries__icontains=term) | Q(industries__icontains=json.dumps(term)[1:-1])
        )
    return qs
