"""The business-environment figures: council coverage and enterprise requests, from records.

Coverage is counted as `selectors.coverage` defines it: a building counts once however many
councils cover it; an enterprise in a covered building counts until the day it moved out
(a move-out dated in the future has not happened yet, so its cell carries the date).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.business.models import Council, EnterpriseRequest
from jiedao.core.figures import Cell, Figure, Source, Sums, hist_median, share, sums_of_cells
from jiedao.core.models import Enterprise, OfficeBuilding
from jiedao.core.workdays import workdays_between

COUNCILS = "business.councils"
COVERED_BUILDINGS = "business.covered_buildings"
COVERED_FIRMS = "business.covered_firms"  # n = firms, total = white-collar; dim = move-out date
# Enterprise requests, by month received; every dim starts with the request type's id ("7" or
# "7:…"). `request_cells` is the one definition of these counts.
REQUESTS = "business.requests"  # dim = type
RATED = "business.rated"  # n = ratings, total = sum of scores; dim = type
ACK_DONE = "business.ack_done"  # acknowledged: dim = "type:minutes taken", total = on time
ACK_OPEN = "business.ack_open"  # not acknowledged: dim = "type:due moment (UTC, ISO)"
RESPONSE_DONE = "business.response_done"  # first response: dim = "type:working days"
RESPONSE_OPEN = "business.response_open"  # none yet: dim = "type:due date"
RESOLVE_DONE = "business.resolve_done"  # resolved or referred: dim = "type:working days"
RESOLVE_OPEN = "business.resolve_open"  # neither yet: dim = "type:due date"
REQUEST_METRICS = (
    REQUESTS,
    RATED,
    ACK_DONE,
    ACK_OPEN,
    RESPONSE_DONE,
    RESPONSE_OPEN,
    RESOLVE_DONE,
    RESOLVE_OPEN,
)


def _covered() -> Exists:
    return Exists(
        Council.buildings.through.objects.filter(officebuilding_id=OuterRef("building_id"))
    )


def _firm_rows(pks: list[Any] | None) -> Iterable[tuple[Any, ...]]:
    qs = Enterprise.objects.all() if pks is None else Enterprise.objects.filter(pk__in=pks)
    return (
        qs.filter(building__isnull=False)
        .annotate(covered=_covered())
        .filter(covered=True)
        .order_by()
        .values_list("org_unit_id", "profile__moved_out", "profile__white_collar_count")
    )


def _firm_cells(row: tuple[Any, ...]) -> list[Cell]:
    org, moved_out, workers = row
    dim = moved_out.isoformat() if moved_out else ""
    return [Cell(org, COVERED_FIRMS, "", dim, 1, workers or 0)]


def _building_rows(pks: list[Any] | None) -> Iterable[Any]:
    qs = OfficeBuilding.objects.all() if pks is None else OfficeBuilding.objects.filter(pk__in=pks)
    covered = Council.buildings.through.objects.filter(officebuilding_id=OuterRef("pk"))
    return qs.filter(Exists(covered)).order_by().values_list("org_unit_id", flat=True)


def request_rows(pks: list[Any] | None, qs: Any = None) -> Iterable[tuple[Any, ...]]:
    if qs is None:
        qs = EnterpriseRequest.objects.all()
        if pks is not None:
            qs = qs.filter(pk__in=pks)
    return (
        qs.order_by()
        .values_list(
            "org_unit_id",
            "type_id",
            "received_at",
            "acknowledged_at",
            "first_response_at",
            "resolved_at",
            "ack_due",
            "response_due",
            "resolve_due",
            "rating",
        )
        .iterator(chunk_size=5000)
    )


def request_cells(row: tuple[Any, ...]) -> list[Cell]:
    """What one request adds: counted, and each step done (how long, on time) or still due.

    A step not done carries its due moment, so whether it is late is decided when it is read.
    """
    org, rtype, received, acked, responded, resolved, ack_due, response_due, resolve_due, rating = (
        row
    )
    received_day = timezone.localtime(received).date()
    p = f"{received_day:%Y-%m}"
    t = str(rtype)
    out = [Cell(org, REQUESTS, p, t)]
    if acked is not None:
        minutes = int((acked - received).total_seconds() // 60)
        out.append(Cell(org, ACK_DONE, p, f"{t}:{minutes}", 1, int(acked <= ack_due)))
    else:
        out.append(Cell(org, ACK_OPEN, p, f"{t}:{_utc(ack_due)}"))
    for day, due, done, open_ in (
        (responded, response_due, RESPONSE_DONE, RESPONSE_OPEN),
        (resolved, resolve_due, RESOLVE_DONE, RESOLVE_OPEN),
    ):
        if day is not None:
            local = timezone.localtime(day).date()
            days = workdays_between(received_day, local)
            out.append(Cell(org, done, p, f"{t}:{days}", 1, int(local <= due)))
        else:
            out.append(Cell(org, open_, p, f"{t}:{due.isoformat()}"))
    if rating:
        out.append(Cell(org, RATED, p, t, 1, rating))
    return out


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class RequestTimes:
    """Acknowledge / first response / resolve against each request's own targets.

    A step counts when it is done or its due time has passed without it (then it is late).
    Times are histograms {value: count}: minutes to acknowledge, working days to the rest.
    """

    total: int = 0
    ack_on_time: int = 0
    ack_counted: int = 0
    response_on_time: int = 0
    response_counted: int = 0
    resolve_on_time: int = 0
    resolve_counted: int = 0
    resolved: int = 0
    ack_minutes: dict[int, int] = field(default_factory=dict)
    response_days: dict[int, int] = field(default_factory=dict)
    resolve_days: dict[int, int] = field(default_factory=dict)
    rated: int = 0
    rating_sum: int = 0

    @classmethod
    def from_sums(
        cls, sums: Sums, now: datetime | None = None, *, rtype: Any = None
    ) -> RequestTimes:
        """The times of the requests added up in `sums` (of one request type, if given)."""
        now = now or timezone.now()
        today = timezone.localtime(now).date().isoformat()
        moment = _utc(now)
        t = cls()
        want = None if rtype is None else str(rtype)

        def cells(metric: str) -> Iterable[tuple[str, int, int]]:
            for dim, (n, total) in sums.dims(metric).items():
                kind, _sep, value = dim.partition(":")
                if want is None or kind == want:
                    yield value, n, total

        t.total = sum(n for _v, n, _t in cells(REQUESTS))
        for _v, n, total in cells(RATED):
            t.rated += n
            t.rating_sum += total
        for value, n, on_time in cells(ACK_DONE):
            t.ack_counted += n
            t.ack_on_time += on_time
            t.ack_minutes[int(value)] = t.ack_minutes.get(int(value), 0) + n
        t.ack_counted += sum(n for due, n, _t in cells(ACK_OPEN) if due < moment)
        for done, open_, hist, attr in (
            (RESPONSE_DONE, RESPONSE_OPEN, t.response_days, "response"),
            (RESOLVE_DONE, RESOLVE_OPEN, t.resolve_days, "resolve"),
        ):
            counted = on_time = 0
            for value, n, ok in cells(done):
                counted += n
                on_time += ok
                hist[int(value)] = hist.get(int(value), 0) + n
            if attr == "resolve":
                t.resolved = counted
            counted += sum(n for due, n, _t in cells(open_) if due < today)
            setattr(t, f"{attr}_counted", counted)
            setattr(t, f"{attr}_on_time", on_time)
        return t

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def ack_median_hours(self) -> float | None:
        minutes = hist_median(self.ack_minutes)
        return None if minutes is None else round(minutes / 60, 1)

    @property
    def response_median_days(self) -> float | None:
        return hist_median(self.response_days)

    @property
    def resolve_median_days(self) -> float | None:
        return hist_median(self.resolve_days)

    @property
    def satisfaction(self) -> float | None:
        return round(self.rating_sum / self.rated, 2) if self.rated else None


def request_times(qs: Any, *, now: datetime | None = None) -> RequestTimes:
    """The times of any queryset of requests, counted from its records (no roll-up)."""
    cells = (c for row in request_rows(None, qs=qs) for c in request_cells(row))
    return RequestTimes.from_sums(sums_of_cells(cells), now)


SOURCES = [
    Source(
        "business.council",
        Council,
        lambda pks: (
            (Council.objects.all() if pks is None else Council.objects.filter(pk__in=pks))
            .order_by()
            .values_list("org_unit_id", flat=True)
        ),
        lambda org: [Cell(org, COUNCILS)],
    ),
    Source(
        "business.covered_building",
        OfficeBuilding,
        _building_rows,
        lambda org: [Cell(org, COVERED_BUILDINGS)],
    ),
    Source("business.covered_firm", Enterprise, _firm_rows, _firm_cells),
    Source("business.request", EnterpriseRequest, request_rows, request_cells),
]


def _present(sums: Sums, today: date) -> tuple[int, int]:
    cutoff = today.isoformat()
    firms = workers = 0
    for moved_out, (n, total) in sums.dims(COVERED_FIRMS).items():
        if not moved_out or moved_out > cutoff:
            firms += n
            workers += total
    return firms, workers


def _rating(sums: Sums) -> Decimal | None:
    n = sums.n(RATED)
    return (Decimal(sums.total(RATED)) / n).quantize(Decimal("0.01")) if n else None


def _dashboard(org: Any, year: int | None) -> str:
    return reverse("business_councils")


def _requests(org: Any, year: int | None) -> str:
    return reverse("business_requests")


FIGURES = [
    Figure(
        key="business.councils",
        module="business",
        label=_("楼务会"),
        definition=_("已成立的楼务会（“和矩阵”平台）个数"),
        metrics=(COUNCILS,),
        compute=lambda s, today: s.n(COUNCILS),
        unit=_("个"),
        flow=False,
        drill=_dashboard,
        drill_model=Council,
        order=200,
    ),
    Figure(
        key="business.covered_buildings",
        module="business",
        label=_("覆盖楼宇"),
        definition=_("楼务会覆盖的楼宇数；被多个楼务会覆盖的楼宇只计一次"),
        metrics=(COVERED_BUILDINGS,),
        compute=lambda s, today: s.n(COVERED_BUILDINGS),
        unit=_("栋"),
        flow=False,
        drill=_dashboard,
        drill_model=Council,
        order=201,
    ),
    Figure(
        key="business.covered_enterprises",
        module="business",
        label=_("覆盖企业"),
        definition=_("注册在被覆盖楼宇、且尚未迁出的企业数"),
        metrics=(COVERED_FIRMS,),
        compute=lambda s, today: _present(s, today)[0],
        unit=_("家"),
        flow=False,
        order=202,
    ),
    Figure(
        key="business.covered_workers",
        module="business",
        label=_("覆盖白领"),
        definition=_("被覆盖企业的白领人数之和"),
        metrics=(COVERED_FIRMS,),
        compute=lambda s, today: _present(s, today)[1],
        unit=_("人"),
        flow=False,
        order=203,
    ),
    Figure(
        key="business.requests",
        module="business",
        label=_("企业诉求"),
        definition=_("接收日期在该期间内的企业诉求数"),
        metrics=(REQUESTS,),
        compute=lambda s, today: s.n(REQUESTS),
        unit=_("件"),
        drill=_requests,
        drill_model=EnterpriseRequest,
        better=None,
        order=204,
    ),
    Figure(
        key="business.resolved_rate",
        module="business",
        label=_("诉求解决率"),
        definition=_("已解决或已转部门的诉求 ÷ 接收的诉求（按接收日期计）"),
        metrics=(REQUESTS, RESOLVE_DONE),
        compute=lambda s, today: share(s.n(RESOLVE_DONE), s.n(REQUESTS)),
        unit="%",
        decimals=2,
        order=205,
    ),
    Figure(
        key="business.rating",
        module="business",
        label=_("企业评价"),
        definition=_("企业对诉求办理结果的评分（1–5分）的平均值"),
        metrics=(RATED,),
        compute=lambda s, today: _rating(s),
        unit=_("分"),
        decimals=2,
        order=206,
    ),
]
