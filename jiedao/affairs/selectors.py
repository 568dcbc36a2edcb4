"""Reads of the government-services module, each scoped to what the user may see.

Every rate is computed from the records (trips, transitions, dates), never from a flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.affairs import figures
from jiedao.affairs.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    DoorToDoorRequest,
    ReturnVisit,
    ServiceItem,
    ServicePoint,
    Ticket,
    TicketStatus,
    TicketTransition,
    Trip,
    VisitStatus,
)
from jiedao.core.figures import ALL, Sums, orgs_of_paths, read_merged, sums_of_cells
from jiedao.core.figures import read as figures_read
from jiedao.core.permissions import Action, policy
from jiedao.core.workdays import add_workdays

DUE_SOON_WORKDAYS = 2

DEFINITIONS = {
    "one_trip": _("只跑一次率 = 至多到现场一次的已办结办件 ÷ 已办结办件"),
    "one_go": _("一次办结率 = 从未退回补正的已办结办件 ÷ 已办结办件"),
    "on_time": _("按时办结率 = 在期限内办结的办件 ÷（已办结办件 + 已逾期仍未办结的办件）"),
    "avg_days": _("平均办理时长 = 提交到办结之间的工作日数的平均值"),
    "p90_days": _("90%分位办理时长 = 90%的已办结办件在此工作日数内办结"),
    "satisfaction": _("满意度 = 回访满意度评分（1–5分）的平均值"),
}


def item_list(*, user: Any) -> QuerySet[ServiceItem]:
    return policy.scope(user, Action.VIEW, ServiceItem.objects.select_related("org_unit"))


def point_list(*, user: Any) -> QuerySet[ServicePoint]:
    return policy.scope(
        user,
        Action.VIEW,
        ServicePoint.objects.select_related("org_unit").annotate(item_count=Count("items")),
    ).order_by("kind", "name")


@dataclass
class TicketFilters:
    q: str = ""
    status: str = ""
    channel: str = ""
    item: int | None = None
    point: int | None = None
    handler: int | None = None
    due: str = ""  # "soon" | "overdue"
    submitted_from: date | None = None
    submitted_to: date | None = None
    completed_from: date | None = None
    completed_to: date | None = None
    one_trip: str = ""  # "yes" | "no": completed tickets with ≤1 / >1 trips
    returned: str = ""  # "yes" | "no": ever returned for materials
    on_time: str = ""  # "yes" | "no" (completed on time / late or overdue)
    area: int | None = None  # an org unit: tickets under it


def _trip_count() -> Coalesce:
    trips = (
        Trip.objects.filter(ticket=OuterRef("pk"))
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(trips, output_field=IntegerField()), Value(0))


def _return_count() -> Coalesce:
    returns = (
        TicketTransition.objects.filter(ticket=OuterRef("pk"), to_status=TicketStatus.RETURNED)
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(returns, output_field=IntegerField()), Value(0))


def with_counts(qs: QuerySet[Ticket]) -> Any:  # annotated: trip_count, return_count
    return qs.annotate(trip_count=_trip_count(), return_count=_return_count())


def ticket_list(*, user: Any, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    f = filters or TicketFilters()
    qs = policy.scope(
        user,
        Action.VIEW,
        Ticket.objects.select_related(
            "item", "point", "org_unit", "handler", "applicant_person", "applicant_enterprise"
        ),
    )
    today = timezone.localdate()
    if f.q.strip():
        text = f.q.strip()
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(applicant_person__name__icontains=text)
            | Q(applicant_enterprise__name__icontains=text)
            | Q(item__name__icontains=text)
        )
    if f.status:
        qs = qs.filter(status=f.status)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.item:
        qs = qs.filter(item_id=f.item)
    if f.point:
        qs = qs.filter(point_id=f.point)
    if f.handler:
        qs = qs.filter(handler_id=f.handler)
    if f.area:
        from jiedao.core.models import OrgUnit

        area = OrgUnit.objects.filter(pk=f.area).first()
        qs = qs.filter(org_unit__path__startswith=area.path) if area else qs.none()
    if f.due == "soon":
        qs = qs.filter(
            status__in=OPEN_STATUSES,
            due_date__gte=today,
            due_date__lte=add_workdays(today, DUE_SOON_WORKDAYS),
        )
    elif f.due == "overdue":
        qs = qs.filter(status__in=OPEN_STATUSES, due_date__lt=today)
    if f.submitted_from:
        qs = qs.filter(submitted_at__date__gte=f.submitted_from)
    if f.submitted_to:
        qs = qs.filter(submitted_at__date__lte=f.submitted_to)
    if f.completed_from:
        qs = qs.filter(completed_at__date__gte=f.completed_from)
    if f.completed_to:
        qs = qs.filter(completed_at__date__lte=f.completed_to)
    if f.one_trip or f.returned:
        qs = with_counts(qs).filter(status=TicketStatus.COMPLETED)  # type: ignore[assignment]
        if f.one_trip == "yes":
            qs = qs.filter(trip_count__lte=1)
        elif f.one_trip == "no":
            qs = qs.filter(trip_count__gt=1)
        if f.returned == "yes":
            qs = qs.filter(return_count__gt=0)
        elif f.returned == "no":
            qs = qs.filter(return_count=0)
    if f.on_time == "yes":
        qs = qs.filter(status=TicketStatus.COMPLETED, completed_at__date__lte=models_due())
    elif f.on_time == "no":
        qs = qs.filter(
            Q(status=TicketStatus.COMPLETED, completed_at__date__gt=models_due())
            | Q(status__in=OPEN_STATUSES, due_date__lt=today)
        )
    return qs


def models_due() -> Any:
    from django.db.models import F

    return F("due_date")


def ticket_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Ticket:
    return policy.get_or_404(
        user,
        action,
        Ticket.objects.select_related(
            "item",
            "point",
            "org_unit",
            "handler",
            "applicant_person",
            "applicant_enterprise",
            "follow_up_of",
        ),
        pk=pk,
    )


@dataclass
class Queue:
    mine: QuerySet[Ticket]
    unassigned: QuerySet[Ticket]
    due_soon: QuerySet[Ticket]
    overdue: QuerySet[Ticket]


def clerk_queue(*, user: Any) -> Queue:
    """All-round window: what is theirs, what nobody has, what is due soon, what is late."""
    open_ = ticket_list(user=user).filter(status__in=OPEN_STATUSES)
    return Queue(
        mine=open_.filter(handler=user).order_by("due_date", "id"),
        unassigned=open_.filter(handler__isnull=True).order_by("due_date", "id"),
        due_soon=ticket_list(user=user, filters=TicketFilters(due="soon")).order_by("due_date"),
        overdue=ticket_list(user=user, filters=TicketFilters(due="overdue")).order_by("due_date"),
    )


# --- rates ------------------------------------------------------------------------------------
# The counts are defined once, in `figures.ticket_cells`; the pages read them from the roll-ups
# (`jiedao/core/figures.py`), summed over the org units the user may view tickets in.
Rates = figures.Rates


def rates_of(qs: QuerySet[Ticket], *, today: date | None = None) -> Rates:
    """The rates of any queryset of tickets, counted from its records (no roll-up)."""
    cells = (c for row in figures.ticket_rows(None, qs=qs) for c in figures.ticket_cells(row))
    return Rates.from_sums(sums_of_cells(cells), today or timezone.localdate())


def _ticket_orgs(user: Any) -> list[Any]:
    return orgs_of_paths(policy.paths_for(user, Ticket, Action.VIEW))


def rates_for(*, user: Any) -> Rates:
    """All-time rates of the tickets the user may view, from the roll-ups."""
    sums = read_merged(_ticket_orgs(user), figures.RATE_METRICS).get(ALL, Sums())
    return Rates.from_sums(sums, timezone.localdate())


def monthly_rates(
    *, user: Any, months: int = 12, today: date | None = None
) -> list[dict[str, Any]]:
    """Rates of tickets completed in each of the last `months` months (by completion month)."""
    today = today or timezone.localdate()
    first = date(today.year, today.month, 1)
    starts = []
    for _n in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    starts.reverse()
    by_month = read_merged(_ticket_orgs(user), figures.RATE_METRICS, by="month")
    out = []
    for start in starts:
        month = f"{start:%Y-%m}"
        r = Rates.from_sums(by_month.get(month, Sums()), today)
        out.append(
            {
                "month": month,
                "completed": r.completed,
                "overdue_open": r.overdue_open,
                "one_trip_rate": r.one_trip_rate,
                "one_go_rate": r.one_go_rate,
                "on_time_rate": r.on_time_rate,
                "avg_days": r.avg_days,
            }
        )
    return out


def _areas(user: Any) -> list[Any]:
    """The named areas (e.g. 站南片区, 站北片区) inside what the user may view tickets in."""
    from jiedao.core.models import OrgKind, OrgUnit

    paths = policy.paths_for(user, Ticket, Action.VIEW)
    if not paths:
        return []
    under = Q()
    for path in paths:
        under |= Q() if path == "/" else Q(path__startswith=path)
    return list(OrgUnit.objects.filter(under, kind=OrgKind.AREA).order_by("path"))


def volume_by(*, user: Any, dimension: str) -> list[dict[str, Any]]:
    """Ticket counts by `channel`, `point` or `area` (the named area, e.g. south/north)."""
    orgs = _ticket_orgs(user)
    if dimension == "channel":
        from jiedao.affairs.models import Channel

        labels = dict(Channel.choices)
        counts = read_merged(orgs, [figures.FILED]).get(ALL, Sums()).dims(figures.FILED)
        return [
            {"key": key, "label": str(labels.get(key, key)), "count": counts[key][0]}
            for key in sorted(counts)
        ]
    if dimension == "point":
        counts = read_merged(orgs, [figures.FILED_POINT]).get(ALL, Sums()).dims(figures.FILED_POINT)
        names = dict(
            ServicePoint.objects.filter(pk__in=[int(k) for k in counts]).values_list("pk", "name")
        )
        rows = [
            {"key": int(k), "label": names.get(int(k), k), "count": v[0]} for k, v in counts.items()
        ]
        return sorted(rows, key=lambda r: str(r["label"]))
    if dimension == "area":
        areas = _areas(user)
        total = read_merged(orgs, [figures.FILED]).get(ALL, Sums()).n(figures.FILED)
        per_area = figures_read(areas, [figures.FILED])
        out = []
        for area in areas:
            n = per_area.get((area.pk, ALL), Sums()).n(figures.FILED)
            if n:
                out.append({"key": area.pk, "label": area.name, "count": n})
        other = total - sum(r["count"] for r in out)
        if other:
            out.append({"key": None, "label": str(_("街道本级")), "count": other})
        return out
    raise ValueError(dimension)


def area_rates(*, user: Any) -> list[dict[str, Any]]:
    """One-trip, one-go and on-time rates north vs south (by named area), from the roll-ups."""
    areas = _areas(user)
    sums = figures_read(areas, figures.RATE_METRICS)
    today = timezone.localdate()
    out = []
    for area in areas:
        r = Rates.from_sums(sums.get((area.pk, ALL), Sums()), today)
        if r.completed or r.overdue_open:
            out.append({"area": area, "rates": r})
    return out


# --- satisfaction and return visits -----------------------------------------------------------
def return_visit_list(*, user: Any) -> QuerySet[ReturnVisit]:
    return policy.scope(
        user, Action.VIEW, ReturnVisit.objects.select_related("ticket", "ticket__item", "caller")
    )


def satisfaction_by(*, user: Any, dimension: str) -> list[dict[str, Any]]:
    """Average satisfaction and count of return visits by item, point, channel or month."""
    orgs = _ticket_orgs(user)
    if dimension == "month":
        by_month = read_merged(orgs, [figures.RV_CHANNEL], by="month")
        rows = []
        for month in sorted(k for k in by_month if k != ALL):
            sums = by_month[month]
            calls = sums.n(figures.RV_CHANNEL)
            if calls:
                avg = round(sums.total(figures.RV_CHANNEL) / calls, 2)
                rows.append({"label": month, "avg": avg, "count": calls})
        return rows
    metric = {"item": figures.RV_ITEM, "point": figures.RV_POINT, "channel": figures.RV_CHANNEL}[
        dimension
    ]
    dims = read_merged(orgs, [metric]).get(ALL, Sums()).dims(metric)
    if dimension == "item":
        names = dict(
            ServiceItem.objects.filter(pk__in=[int(k) for k in dims]).values_list("pk", "name")
        )
    elif dimension == "point":
        names = dict(
            ServicePoint.objects.filter(pk__in=[int(k) for k in dims]).values_list("pk", "name")
        )
    else:
        names = {}
    out = [
        {
            "label": names.get(int(k), k) if names else k,
            "avg": round(total / n, 2),
            "count": n,
        }
        for k, (n, total) in dims.items()
    ]
    return sorted(out, key=lambda r: str(r["label"]))


def call_list(*, user: Any, month: date | None = None) -> list[Ticket]:
    """Completed tickets of a month to call back: sampled per item, plus all late or
    complained ones, less those already called."""
    from jiedao.affairs.services import sample_for_return_visit

    month = (month or timezone.localdate()).replace(day=1)
    end = (month + timedelta(days=32)).replace(day=1)
    candidates = list(
        ticket_list(user=user)
        .filter(
            status=TicketStatus.COMPLETED,
            completed_at__date__gte=month,
            completed_at__date__lt=end,
            return_visits__isnull=True,
        )
        .order_by("completed_at", "id")
    )
    return sample_for_return_visit(candidates, seed=f"{month:%Y-%m}")


def door_visit_list(*, user: Any, mine: bool = False) -> QuerySet[DoorToDoorRequest]:
    qs = policy.scope(
        user,
        Action.VIEW,
        DoorToDoorRequest.objects.select_related(
            "person", "item", "assigned_to", "ticket", "point"
        ),
    )
    if mine:
        qs = qs.filter(assigned_to=user, status=VisitStatus.SCHEDULED).order_by("scheduled_date")
    return qs


def door_visit_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> DoorToDoorRequest:
    return policy.get_or_404(
        user, action, DoorToDoorRequest.objects.select_related("person", "item", "ticket"), pk=pk
    )


def door_staff_list(*, user: Any) -> QuerySet[Any]:
    """Staff the user may schedule a door-to-door visit to: active users holding a role that
    may handle visits, in an org under one the user may handle visits in."""
    from django.contrib.auth import get_user_model

    rule = policy.rule_for(DoorToDoorRequest)
    paths = policy.paths_for(user, DoorToDoorRequest, Action.CHANGE)
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


__all__ = ["CLOSED_STATUSES", "DEFINITIONS"]
