"""Reads of the government-services module, each scoped to what the user may see.

Every rate is computed from the records (trips, transitions, dates), never from a flag.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
from jiedao.core.permissions import Action, policy
from jiedao.core.workdays import add_workdays, workdays_between

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
@dataclass
class Rates:
    completed: int = 0
    one_trip: int = 0
    one_go: int = 0
    on_time: int = 0
    overdue_open: int = 0
    handling_days: list[int] = field(default_factory=list)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 2) if whole else None

    @property
    def one_trip_rate(self) -> float | None:
        return self._share(self.one_trip, self.completed)

    @property
    def one_go_rate(self) -> float | None:
        return self._share(self.one_go, self.completed)

    @property
    def on_time_rate(self) -> float | None:
        return self._share(self.on_time, self.completed + self.overdue_open)

    @property
    def avg_days(self) -> float | None:
        days = self.handling_days
        return round(sum(days) / len(days), 2) if days else None

    @property
    def p90_days(self) -> int | None:
        days = sorted(self.handling_days)
        if not days:
            return None
        return days[max(math.ceil(0.9 * len(days)) - 1, 0)]


def rates_of(qs: QuerySet[Ticket], *, today: date | None = None) -> Rates:
    """The one-trip, one-go and on-time rates and handling times of these tickets."""
    return rates_grouped(qs, group=lambda path: "", today=today).get("", Rates())


def rates_grouped(
    qs: QuerySet[Ticket], *, group: Any, today: date | None = None
) -> dict[Any, Rates]:
    """Rates per group in one pass; `group(org_path)` names a ticket's group (None: skip)."""
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    out: dict[Any, Rates] = defaultdict(Rates)
    completed = with_counts(qs.filter(status=TicketStatus.COMPLETED)).values_list(
        "org_unit__path", "submitted_at", "completed_at", "due_date", "trip_count", "return_count"
    )
    for path, submitted_at, completed_at, due, trips, returns in completed.iterator():
        key = group(path)
        if key is None:
            continue
        rates = out[key]
        done = completed_at.astimezone(tz).date()
        rates.completed += 1
        rates.one_trip += trips <= 1
        rates.one_go += returns == 0
        rates.on_time += done <= due
        rates.handling_days.append(workdays_between(submitted_at.astimezone(tz).date(), done))
    overdue = (
        qs.filter(status__in=OPEN_STATUSES, due_date__lt=today)
        .order_by()
        .values_list("org_unit__path")
        .annotate(n=Count("pk"))
    )
    for path, n in overdue:
        key = group(path)
        if key is not None:
            out[key].overdue_open += n
    return dict(out)


def rates_for(*, user: Any, filters: TicketFilters | None = None) -> Rates:
    return rates_of(ticket_list(user=user, filters=filters))


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
    base = ticket_list(user=user).filter(status=TicketStatus.COMPLETED)
    rows = with_counts(base.filter(completed_at__date__gte=starts[0])).values_list(
        "submitted_at", "completed_at", "due_date", "trip_count", "return_count"
    )
    buckets: dict[str, Rates] = {f"{s:%Y-%m}": Rates() for s in starts}
    for submitted_at, completed_at, due, trips, returns in rows.iterator():
        done = timezone.localtime(completed_at).date()
        r = buckets.get(f"{done:%Y-%m}")
        if r is None:
            continue
        r.completed += 1
        r.one_trip += trips <= 1
        r.one_go += returns == 0
        r.on_time += done <= due
        r.handling_days.append(workdays_between(timezone.localtime(submitted_at).date(), done))
    # A ticket still open past its due date counts against the month its due date fell in,
    # as the on-time definition says; otherwise a ticket never completed would never show.
    overdue = (
        ticket_list(user=user)
        .filter(status__in=OPEN_STATUSES, due_date__lt=today, due_date__gte=starts[0])
        .values_list("due_date", flat=True)
    )
    for due in overdue.iterator():
        bucket = buckets.get(f"{due:%Y-%m}")
        if bucket is not None:
            bucket.overdue_open += 1
    return [
        {
            "month": month,
            "completed": r.completed,
            "overdue_open": r.overdue_open,
            "one_trip_rate": r.one_trip_rate,
            "one_go_rate": r.one_go_rate,
            "on_time_rate": r.on_time_rate,
            "avg_days": r.avg_days,
        }
        for month, r in buckets.items()
    ]


def volume_by(*, user: Any, dimension: str) -> list[dict[str, Any]]:
    """Ticket counts by `channel`, `point` or `area` (the named area, e.g. south/north)."""
    qs = ticket_list(user=user).order_by()
    if dimension == "channel":
        from jiedao.affairs.models import Channel

        rows = qs.values("channel").annotate(n=Count("pk")).order_by("channel")
        labels = dict(Channel.choices)
        return [
            {
                "key": r["channel"],
                "label": str(labels.get(r["channel"], r["channel"])),
                "count": r["n"],
            }
            for r in rows
        ]
    if dimension == "point":
        rows = qs.values("point_id", "point__name").annotate(n=Count("pk")).order_by("point__name")
        return [{"key": r["point_id"], "label": r["point__name"], "count": r["n"]} for r in rows]
    if dimension == "area":
        return _by_area(qs.values_list("org_unit__path").annotate(n=Count("pk")))
    raise ValueError(dimension)


def _by_area(rows: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    from jiedao.core.models import OrgKind, OrgUnit

    areas = list(OrgUnit.objects.filter(kind=OrgKind.AREA).order_by("path"))
    counts: dict[int, int] = defaultdict(int)
    other = 0
    for path, n in rows:
        for area in areas:
            if path.startswith(area.path):
                counts[area.pk] += n
                break
        else:
            other += n
    out = [{"key": a.pk, "label": a.name, "count": counts[a.pk]} for a in areas if counts[a.pk]]
    if other:
        out.append({"key": None, "label": str(_("街道本级")), "count": other})
    return out


def area_rates(*, user: Any) -> list[dict[str, Any]]:
    """One-trip, one-go and on-time rates north vs south (by named area), in one pass."""
    from jiedao.core.models import OrgKind, OrgUnit

    areas = list(OrgUnit.objects.filter(kind=OrgKind.AREA).order_by("path"))

    def area_of(path: str) -> int | None:
        for area in areas:
            if path.startswith(area.path):
                return area.pk
        return None

    grouped = rates_grouped(ticket_list(user=user), group=area_of)
    out = []
    for area in areas:
        r = grouped.get(area.pk)
        if r is not None and (r.completed or r.overdue_open):
            out.append({"area": area, "rates": r})
    return out


# --- satisfaction and return visits -----------------------------------------------------------
def return_visit_list(*, user: Any) -> QuerySet[ReturnVisit]:
    return policy.scope(
        user, Action.VIEW, ReturnVisit.objects.select_related("ticket", "ticket__item", "caller")
    )


def satisfaction_by(*, user: Any, dimension: str) -> list[dict[str, Any]]:
    """Average satisfaction and count of return visits by item, point, channel or month."""
    from django.db.models import Avg
    from django.db.models.functions import TruncMonth

    qs = return_visit_list(user=user).order_by()
    keys = {
        "item": ("ticket__item__name",),
        "point": ("ticket__point__name",),
        "channel": ("ticket__channel",),
    }
    if dimension == "month":
        rows = (
            qs.annotate(m=TruncMonth("called_at"))
            .values("m")
            .annotate(avg=Avg("satisfaction"), n=Count("pk"))
            .order_by("m")
        )
        return [
            {"label": f"{r['m']:%Y-%m}", "avg": round(float(r["avg"]), 2), "count": r["n"]}
            for r in rows
        ]
    (key,) = keys[dimension]
    rows = qs.values(key).annotate(avg=Avg("satisfaction"), n=Count("pk")).order_by(key)
    return [{"label": r[key], "avg": round(float(r["avg"]), 2), "count": r["n"]} for r in rows]


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
