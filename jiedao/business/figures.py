"""The business-environment figures: council coverage and enterprise requests, from records.

Coverage is counted as `selectors.coverage` defines it: a building counts once however many
councils cover it; an enterprise in a covered building counts until the day it moved out
(a move-out dated in the future has not happened yet, so its cell carries the date).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.business.models import Council, EnterpriseRequest
from jiedao.core.figures import Cell, Figure, Source, Sums, share
from jiedao.core.models import Enterprise, OfficeBuilding

COUNCILS = "business.councils"
COVERED_BUILDINGS = "business.covered_buildings"
COVERED_FIRMS = "business.covered_firms"  # n = firms, total = white-collar; dim = move-out date
REQUESTS = "business.requests"  # by month received
RESOLVED = "business.resolved"  # resolved or referred, by month received
RATED = "business.rated"  # n = ratings, total = sum of scores; by month received


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


def _request_rows(pks: list[Any] | None) -> Iterable[tuple[Any, ...]]:
    qs = EnterpriseRequest.objects.all()
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    return qs.order_by().values_list("org_unit_id", "received_at", "resolved_at", "rating")


def _request_cells(row: tuple[Any, ...]) -> list[Cell]:
    org, received_at, resolved_at, rating = row
    p = f"{timezone.localtime(received_at):%Y-%m}"
    out = [Cell(org, REQUESTS, p)]
    if resolved_at is not None:
        out.append(Cell(org, RESOLVED, p))
    if rating:
        out.append(Cell(org, RATED, p, "", 1, rating))
    return out


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
    Source("business.request", EnterpriseRequest, _request_rows, _request_cells),
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
        metrics=(REQUESTS, RESOLVED),
        compute=lambda s, today: share(s.n(RESOLVED), s.n(REQUESTS)),
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
