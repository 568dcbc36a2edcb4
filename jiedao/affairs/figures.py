"""The government-services figures: what each record adds to the roll-ups, and the figures.

`ticket_cells` is the one definition of the one-trip, one-go and on-time counts and the
handling days: the services' roll-ups, `jiedao figures rebuild`/`verify` and `rates_of` (for
any queryset of tickets) all count through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.affairs.models import (
    OPEN_STATUSES,
    DoorToDoorRequest,
    PointKind,
    ReturnVisit,
    ServicePoint,
    Ticket,
    TicketStatus,
    VisitStatus,
)
from jiedao.core.figures import Cell, Figure, Source, Sums, hist_mean, hist_rank, share
from jiedao.core.workdays import workdays_between

COMPLETED = "affairs.completed"
ONE_TRIP = "affairs.one_trip"
ONE_GO = "affairs.one_go"
ON_TIME = "affairs.on_time"
DAYS = "affairs.days"  # histogram: dim = working days from submission to completion
OPEN_DUE = "affairs.open_due"  # open tickets: dim = due date (overdue when before today)
FILED = "affairs.filed"  # dim = channel
FILED_POINT = "affairs.filed_point"  # dim = service point id
RV_ITEM = "affairs.rv_item"  # return visits: n = calls, total = sum of scores; dim = item id
RV_POINT = "affairs.rv_point"
RV_CHANNEL = "affairs.rv_channel"
POINTS = "affairs.points"  # dim = point kind (now)
DOOR_VISITS = "affairs.door_visits"  # door-to-door visits made, by month visited

RATE_METRICS = (COMPLETED, ONE_TRIP, ONE_GO, ON_TIME, DAYS, OPEN_DUE)


def _local(moment: Any) -> date:
    return timezone.localtime(moment).date()


# --- sources ----------------------------------------------------------------------------------
def ticket_rows(pks: list[Any] | None, qs: Any = None) -> Iterable[tuple[Any, ...]]:
    from jiedao.affairs.selectors import with_counts

    if qs is None:
        qs = Ticket.objects.all() if pks is None else Ticket.objects.filter(pk__in=pks)
    return (
        with_counts(qs.order_by())
        .values_list(
            "org_unit_id",
            "status",
            "channel",
            "point_id",
            "submitted_at",
            "completed_at",
            "due_date",
            "trip_count",
            "return_count",
        )
        .iterator(chunk_size=5000)
    )


def ticket_cells(row: tuple[Any, ...]) -> list[Cell]:
    org, status, channel, point, submitted_at, completed_at, due, trips, returns = row
    submitted = _local(submitted_at)
    month = f"{submitted:%Y-%m}"
    out = [Cell(org, FILED, month, channel), Cell(org, FILED_POINT, month, str(point))]
    if status == TicketStatus.COMPLETED and completed_at is not None:
        done = _local(completed_at)
        p = f"{done:%Y-%m}"
        out.append(Cell(org, COMPLETED, p))
        if trips <= 1:
            out.append(Cell(org, ONE_TRIP, p))
        if returns == 0:
            out.append(Cell(org, ONE_GO, p))
        if done <= due:
            out.append(Cell(org, ON_TIME, p))
        out.append(Cell(org, DAYS, p, str(workdays_between(submitted, done))))
    elif status in OPEN_STATUSES:
        # An open ticket counts against the month its due date falls in, once past it.
        out.append(Cell(org, OPEN_DUE, f"{due:%Y-%m}", due.isoformat()))
    return out


def _visit_rows(pks: list[Any] | None) -> Iterable[tuple[Any, ...]]:
    qs = ReturnVisit.objects.all() if pks is None else ReturnVisit.objects.filter(pk__in=pks)
    return qs.order_by().values_list(
        "ticket__org_unit_id",
        "called_at",
        "satisfaction",
        "ticket__item_id",
        "ticket__point_id",
        "ticket__channel",
    )


def _visit_cells(row: tuple[Any, ...]) -> list[Cell]:
    org, called_at, score, item, point, channel = row
    p = f"{_local(called_at):%Y-%m}"
    return [
        Cell(org, RV_ITEM, p, str(item), 1, score),
        Cell(org, RV_POINT, p, str(point), 1, score),
        Cell(org, RV_CHANNEL, p, channel, 1, score),
    ]


def _point_rows(pks: list[Any] | None) -> Iterable[tuple[Any, ...]]:
    qs = ServicePoint.objects.all() if pks is None else ServicePoint.objects.filter(pk__in=pks)
    return qs.order_by().values_list("org_unit_id", "kind")


def _door_rows(pks: list[Any] | None) -> Iterable[tuple[Any, ...]]:
    qs = DoorToDoorRequest.objects.filter(status=VisitStatus.VISITED, visited_at__isnull=False)
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    return qs.order_by().values_list("org_unit_id", "visited_at")


SOURCES = [
    Source("affairs.ticket", Ticket, ticket_rows, ticket_cells),
    Source("affairs.return_visit", ReturnVisit, _visit_rows, _visit_cells),
    Source("affairs.point", ServicePoint, _point_rows, lambda r: [Cell(r[0], POINTS, "", r[1])]),
    Source(
        "affairs.door_visit",
        DoorToDoorRequest,
        _door_rows,
        lambda r: [Cell(r[0], DOOR_VISITS, f"{_local(r[1]):%Y-%m}")],
    ),
]


# --- rates ------------------------------------------------------------------------------------
@dataclass
class Rates:
    completed: int = 0
    one_trip: int = 0
    one_go: int = 0
    on_time: int = 0
    overdue_open: int = 0
    days: dict[str, tuple[int, int]] = field(default_factory=dict)  # histogram

    @classmethod
    def from_sums(cls, sums: Sums, today: date) -> Rates:
        cutoff = today.isoformat()
        return cls(
            completed=sums.n(COMPLETED),
            one_trip=sums.n(ONE_TRIP),
            one_go=sums.n(ONE_GO),
            on_time=sums.n(ON_TIME),
            overdue_open=sum(n for d, (n, _t) in sums.dims(OPEN_DUE).items() if d < cutoff),
            days=sums.dims(DAYS),
        )

    @property
    def one_trip_rate(self) -> float | None:
        return share(self.one_trip, self.completed)

    @property
    def one_go_rate(self) -> float | None:
        return share(self.one_go, self.completed)

    @property
    def on_time_rate(self) -> float | None:
        return share(self.on_time, self.completed + self.overdue_open)

    @property
    def avg_days(self) -> float | None:
        return hist_mean(self.days)

    @property
    def p90_days(self) -> int | None:
        return hist_rank(self.days, 0.9)


def satisfaction_of(sums: Sums) -> Decimal | None:
    calls = sums.n(RV_CHANNEL)
    if not calls:
        return None
    return (Decimal(sums.total(RV_CHANNEL)) / calls).quantize(Decimal("0.01"))


def network_of(sums: Sums) -> str | None:
    """The 1+3+12+X composition: centres + self-service stations + help points (+X)."""
    kinds = sums.dims(POINTS)
    if not kinds:
        return None
    parts = [
        str(kinds.get(k, (0, 0))[0])
        for k in (PointKind.CENTRE, PointKind.SELF_SERVICE, PointKind.HELP_POINT)
    ]
    if kinds.get(PointKind.DOOR_TO_DOOR, (0, 0))[0]:
        parts.append("X")
    return "+".join(parts)


# --- figures ----------------------------------------------------------------------------------
def _tickets(org: Any, year: int | None, **params: Any) -> str:
    params["area"] = org.pk
    if year is not None:
        params.update(completed_from=f"{year}-01-01", completed_to=f"{year}-12-31")
    return f"{reverse('affairs_ticket_list')}?{urlencode(params)}"


def _rate(key: str, attr: str, label: Any, definition: Any, order: int, **drill: Any) -> Figure:
    return Figure(
        key=key,
        module="affairs",
        label=label,
        definition=definition,
        metrics=RATE_METRICS,
        compute=lambda s, today: getattr(Rates.from_sums(s, today), attr),
        unit="%",
        decimals=2,
        drill=lambda org, year: _tickets(org, year, **drill),
        drill_model=Ticket,
        order=order,
    )


FIGURES = [
    Figure(
        key="affairs.completed",
        module="affairs",
        label=_("已办结办件"),
        definition=_("办结日期在该期间内的办件数"),
        metrics=(COMPLETED,),
        compute=lambda s, today: s.n(COMPLETED),
        unit=_("件"),
        drill=lambda org, year: _tickets(org, year, status=TicketStatus.COMPLETED),
        drill_model=Ticket,
        order=100,
    ),
    _rate(
        "affairs.one_trip_rate",
        "one_trip_rate",
        _("只跑一次率"),
        _("至多到现场一次的已办结办件 ÷ 已办结办件"),
        101,
        one_trip="yes",
    ),
    _rate(
        "affairs.one_go_rate",
        "one_go_rate",
        _("一次办结率"),
        _("从未退回补正的已办结办件 ÷ 已办结办件"),
        102,
        returned="no",
    ),
    _rate(
        "affairs.on_time_rate",
        "on_time_rate",
        _("按时办结率"),
        _("在期限内办结的办件 ÷（已办结办件 + 已逾期仍未办结的办件）"),
        103,
        on_time="yes",
    ),
    Figure(
        key="affairs.avg_days",
        module="affairs",
        label=_("平均办理时长"),
        definition=_("提交到办结之间的工作日数的平均值"),
        metrics=(DAYS,),
        compute=lambda s, today: hist_mean(s.dims(DAYS)),
        unit=_("个工作日"),
        decimals=2,
        better="low",
        order=104,
    ),
    Figure(
        key="affairs.p90_days",
        module="affairs",
        label=_("90%分位办理时长"),
        definition=_("90%的已办结办件在此工作日数内办结（最近秩）"),
        metrics=(DAYS,),
        compute=lambda s, today: hist_rank(s.dims(DAYS), 0.9),
        unit=_("个工作日"),
        better="low",
        order=105,
    ),
    Figure(
        key="affairs.satisfaction",
        module="affairs",
        label=_("回访满意度"),
        definition=_("回访满意度评分（1–5分）的平均值，按回访日期计"),
        metrics=(RV_CHANNEL,),
        compute=lambda s, today: satisfaction_of(s),
        unit=_("分"),
        decimals=2,
        order=106,
    ),
    Figure(
        key="affairs.network",
        module="affairs",
        label=_("服务网络 1+3+12+X"),
        definition=_("受理中心 + 自助服务站 + 帮办点的个数；有上门帮办服务时记为 X"),
        metrics=(POINTS,),
        compute=lambda s, today: network_of(s),
        flow=False,
        better=None,
        order=107,
    ),
    Figure(
        key="affairs.door_visits",
        module="affairs",
        label=_("上门帮办次数"),
        definition=_("已上门的上门帮办申请数，按上门日期计"),
        metrics=(DOOR_VISITS,),
        compute=lambda s, today: s.n(DOOR_VISITS),
        unit=_("次"),
        order=108,
    ),
]
