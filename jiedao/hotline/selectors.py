"""Reads of the 12345 work-order module, each scoped to what the user may see.

Lists and details read orders through the policy; every rate, monthly count, per-category
and per-unit figure and the ranking of subdistricts read the roll-ups (`figures.order_cells`),
so their cost does not grow with the number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.figures import ALL, Sums, orgs_of_paths, read, read_merged
from jiedao.core.models import OrgKind, OrgUnit, RollupRow
from jiedao.core.permissions import Action, policy
from jiedao.hotline import figures
from jiedao.hotline.figures import HotlineRates
from jiedao.hotline.models import (
    OPEN_STATUSES,
    REPLY_PENDING,
    Category,
    OrderStatus,
    PhoneReveal,
    Review,
    ReviewStatus,
    WorkOrder,
)

DUE_SOON_HOURS = 24
MAP_POINTS = 300

DEFINITIONS = {
    "orders": _("工单量 = 受理时间在该期间内的工单数（重复来电合并后只计一次，退单不计）"),
    "response": _("响应率 = 签收后1个工作日内联系来电人的工单 ÷ 已签收且联系时限已到的工单"),
    "resolution": _("解决率 = 最近一次回访为“已解决”的工单 ÷ 已回访的工单"),
    "satisfaction": _("满意率 = 最近一次回访为“满意”或“基本满意”的工单 ÷ 已回访的工单"),
    "score": _(
        "综合得分 = 响应率×%(response)s + 解决率×%(resolution)s + 满意率×%(satisfaction)s（权重之和为1，满分100；三项均有值时才计算）"
    ),
    "reply": _("按时办结率 = 在办理期限内回复的工单 ÷ 已回复或已过期限的工单"),
    "warnings": _("预警工单 = 回访不满意、转为预警工单须在3个工作日内重新办理的工单数"),
    "overdue": _("已逾期 = 未按时联系、超过办理期限未回复或预警工单超期未重新办理的在办工单"),
    "merged": _("重复来电 = 同一来电号码就同一类别再次来电、合并到首张在办工单的来电数"),
    "ranking": _(
        "排名按综合得分从高到低，得分相同名次相同；只比较汇总数据，不含任何工单或个人信息"
    ),
}


def score_definition() -> str:
    w = figures.weights()
    total = sum(w.values())
    return str(DEFINITIONS["score"]) % {k: f"{v / total:.2f}" for k, v in w.items()}


# --- catalogue ----------------------------------------------------------------------------------
def category_list(*, active_only: bool = True) -> QuerySet[Category]:
    """The dispatch catalogue (configuration: no org, no rule)."""
    qs = Category.objects.all()
    return qs.filter(active=True) if active_only else qs


# --- orders -------------------------------------------------------------------------------------
@dataclass
class OrderFilters:
    q: str = ""
    status: str = ""
    category: int | None = None
    urgency: str = ""
    unit: int | None = None  # an org unit: orders it holds (its subtree)
    month: str = ""  # YYYY-MM received
    year: int | None = None
    due: str = ""  # "overdue" | "soon"
    warning: str = ""  # "yes" | "no"


def overdue_q(now: datetime) -> Q:
    """Open orders that missed a step: contact, reply, or a warning order's re-handling."""
    return (
        Q(status=OrderStatus.SIGNED, contact_due__lt=now)
        | Q(status__in=sorted(REPLY_PENDING), warning=False, reply_due__lt=now)
        | Q(
            status=OrderStatus.HANDLING,
            warning=True,
            warning_replied_at__isnull=True,
            warning_due__lt=now,
        )
    )


def _month_range(month: str) -> tuple[date, date] | None:
    try:
        year, mon = (int(x) for x in month.split("-"))
        start = date(year, mon, 1)
    except ValueError:
        return None
    return start, (start + timedelta(days=32)).replace(day=1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def order_list(*, user: Any, filters: OrderFilters | None = None) -> QuerySet[WorkOrder]:
    f = filters or OrderFilters()
    qs = policy.scope(
        user,
        Action.VIEW,
        WorkOrder.objects.select_related("category", "org_unit", "subdistrict", "merged_into"),
    )
    text = f.q.strip()
    if text:
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(hotline_number__icontains=text)
            | Q(address__icontains=text)
            | Q(caller_name__icontains=text)
        )
    if f.status:
        qs = qs.filter(status=f.status)
    if f.category:
        qs = qs.filter(category_id=f.category)
    if f.urgency:
        qs = qs.filter(urgency=f.urgency)
    if f.unit:
        unit = OrgUnit.objects.filter(pk=f.unit).first()
        if unit is None:
            return qs.none()
        qs = qs.filter(org_unit__path__startswith=unit.path)
    if f.month:
        span = _month_range(f.month)
        if span is None:
            return qs.none()
        qs = qs.filter(received_at__gte=_aware(span[0]), received_at__lt=_aware(span[1]))
    if f.year:
        if not 2000 <= f.year <= 2100:
            return qs.none()
        qs = qs.filter(
            received_at__gte=_aware(date(f.year, 1, 1)),
            received_at__lt=_aware(date(f.year + 1, 1, 1)),
        )
    now = timezone.now()
    if f.due == "overdue":
        qs = qs.filter(overdue_q(now))
    elif f.due == "soon":
        qs = qs.filter(
            status__in=sorted(REPLY_PENDING),
            reply_due__gte=now,
            reply_due__lte=now + timedelta(hours=DUE_SOON_HOURS),
        )
    if f.warning == "yes":
        qs = qs.filter(warning=True)
    elif f.warning == "no":
        qs = qs.filter(warning=False)
    return qs


def order_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> WorkOrder:
    return policy.get_or_404(
        user,
        action,
        WorkOrder.objects.select_related(
            "category", "org_unit", "subdistrict", "merged_into", "client"
        ),
        pk=pk,
    )


def merge_targets(*, user: Any, order: WorkOrder) -> QuerySet[WorkOrder]:
    """Open orders of the same subdistrict the user may see, which this one may merge into."""
    return (
        order_list(user=user)
        .filter(
            subdistrict_id=order.subdistrict_id,
            status__in=sorted(OPEN_STATUSES),
            merged_into__isnull=True,
        )
        .exclude(pk=order.pk)
    )


def lead_units(*, order: WorkOrder) -> QuerySet[OrgUnit]:
    """The committees of the order's subdistrict: the units it may be dispatched to."""
    return OrgUnit.objects.filter(
        kind=OrgKind.COMMITTEE, path__startswith=order.subdistrict.path
    ).order_by("path")


def subdistricts_for_entry(*, user: Any) -> QuerySet[OrgUnit]:
    """Subdistricts where the user may enter orders by hand."""
    paths = policy.paths_for(user, WorkOrder, Action.ADD)
    if not paths:
        return OrgUnit.objects.none()
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return OrgUnit.objects.filter(q, kind=OrgKind.SUBDISTRICT).order_by("path")


def review_list(*, user: Any, status: str = "") -> QuerySet[Review]:
    qs = policy.scope(
        user,
        Action.VIEW,
        Review.objects.select_related(
            "order", "order__category", "order__org_unit", "requested_by", "decided_by", "lead_unit"
        ),
    )
    return qs.filter(status=status) if status else qs


def review_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Review:
    return policy.get_or_404(
        user, action, Review.objects.select_related("order", "order__subdistrict"), pk=pk
    )


def pending_reviews(*, user: Any) -> QuerySet[Review]:
    return review_list(user=user, status=ReviewStatus.PENDING)


def reveal_list(*, user: Any) -> QuerySet[PhoneReveal]:
    return policy.scope(user, Action.VIEW, PhoneReveal.objects.select_related("user", "order"))


# --- figures from the roll-ups ------------------------------------------------------------------
def recent_months(today: date | None = None, n: int = 12) -> list[str]:
    """The last `n` months up to this one, oldest first ("YYYY-MM")."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    out = []
    for _step in range(n):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def _orgs(user: Any) -> list[OrgUnit]:
    return orgs_of_paths(policy.paths_for(user, WorkOrder, Action.VIEW))


def order_sums(*, user: Any, by: str = "month") -> dict[str, Sums]:
    """{bucket: sums} of everything the user may view, from the roll-ups (one query)."""
    return read_merged(_orgs(user), figures.METRICS, by=by)


def rates_for(*, user: Any, month: str = "", now: datetime | None = None) -> HotlineRates:
    sums = order_sums(user=user)
    return HotlineRates.from_sums(sums.get(month or ALL, Sums()), now)


def monthly_rates(
    *, sums: dict[str, Sums], months: list[str], now: datetime | None = None
) -> list[tuple[str, HotlineRates]]:
    return [(m, HotlineRates.from_sums(sums.get(m, Sums()), now)) for m in months]


def category_rates(
    *, sums: Sums, categories: list[Category], now: datetime | None = None
) -> list[tuple[Category, HotlineRates]]:
    return [(c, HotlineRates.from_sums(sums, now, category=c.pk)) for c in categories]


@dataclass
class RankRow:
    org: OrgUnit
    rates: HotlineRates
    score: float | None
    rank: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def rank(rows: list[RankRow]) -> list[RankRow]:
    """Sort by score (highest first) and give competition ranks (1, 2, 2, 4); no score, no rank."""
    scored = sorted(
        (r for r in rows if r.score is not None), key=lambda r: (-(r.score or 0), r.org.path)
    )
    previous: float | None = None
    for n, row in enumerate(scored, start=1):
        row.rank = n if row.score != previous else scored[n - 2].rank
        previous = row.score
    unscored = sorted((r for r in rows if r.score is None), key=lambda r: r.org.path)
    return scored + unscored


def _ranked(orgs: list[OrgUnit], bucket: str, now: datetime | None) -> list[RankRow]:
    sums = read(orgs, figures.METRICS, by="month")
    w = figures.weights()
    rows = []
    for org in orgs:
        rates = HotlineRates.from_sums(sums.get((org.pk, bucket), Sums()), now)
        rows.append(RankRow(org, rates, rates.score(w)))
    return rank(rows)


def unit_ranking(
    *, user: Any, subdistrict: OrgUnit, month: str = "", now: datetime | None = None
) -> list[RankRow]:
    """The committees of a subdistrict ranked by score, for a month or all time."""
    if not policy.can_in_org(user, WorkOrder, Action.VIEW, subdistrict):
        return []
    units = list(
        OrgUnit.objects.filter(kind=OrgKind.COMMITTEE, path__startswith=subdistrict.path).order_by(
            "path"
        )
    )
    return _ranked(units, month or ALL, now)


def viewable_subdistricts(*, user: Any) -> list[OrgUnit]:
    """Subdistricts all of whose orders the user may view (whose dashboard they may read)."""
    paths = policy.paths_for(user, WorkOrder, Action.VIEW)
    if not paths:
        return []
    q = Q()
    for path in paths:
        q |= Q() if path == "/" else Q(path__startswith=path)
    return list(OrgUnit.objects.filter(q, kind=OrgKind.SUBDISTRICT).order_by("path"))


def ranking_subdistricts(*, user: Any) -> list[OrgUnit]:
    """The subdistricts the user may compare: those under any unit whose roll-ups they read
    (the report card's rule: subdistrict staff their own, district leaders their district's)."""
    paths = policy.paths_for(user, RollupRow, Action.VIEW)
    if not paths:
        return []
    q = Q()
    for path in paths:
        q |= Q() if path == "/" else Q(path__startswith=path)
    return list(OrgUnit.objects.filter(q, kind=OrgKind.SUBDISTRICT).order_by("path"))


def may_rank(user: Any) -> bool:
    return bool(policy.paths_for(user, RollupRow, Action.VIEW))


def subdistrict_ranking(
    *, user: Any, month: str = "", now: datetime | None = None
) -> list[RankRow]:
    """Every subdistrict the user may compare, side by side and ranked (roll-ups only)."""
    return _ranked(ranking_subdistricts(user=user), month or ALL, now)


def committee_counts(*, user: Any, subdistrict: OrgUnit) -> dict[int, int]:
    """{committee id: orders received} of a subdistrict, all time, from the roll-ups."""
    units = list(OrgUnit.objects.filter(kind=OrgKind.COMMITTEE, path__startswith=subdistrict.path))
    sums = read(units, [figures.ORDERS], by="month")
    return {u.pk: sums.get((u.pk, ALL), Sums()).n(figures.ORDERS) for u in units}


def located_orders(*, user: Any, limit: int = MAP_POINTS) -> list[tuple[Any, ...]]:
    """The latest orders with coordinates (for the hot-spot map): id, category, lon, lat."""
    return list(
        order_list(user=user)
        .exclude(status=OrderStatus.MERGED)
        .exclude(longitude=None)
        .exclude(latitude=None)
        .order_by("-received_at", "-pk")
        .values_list("pk", "category__name", "longitude", "latitude")[:limit]
    )
