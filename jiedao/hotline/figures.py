"""The 12345 figures: what each work order adds to the roll-ups, and the rates built on them.

`order_cells` is the one definition of the counts. Every cell sits under the month the order
was received (local time) and its dim starts with the category's id, so the rates can be read
per month and per category; the org unit is the order's current unit (its lead unit once
dispatched), so a committee's rows hold the orders it leads and the subdistrict's row all of
them. A step not done yet carries its due moment in the dim, compared with now when read: an
order signed but not contacted counts against the response rate only once its contact deadline
has passed.

- response rate (响应率) = contacted within the deadline ÷ signed (whose deadline has come);
- resolution rate (解决率) = visited and resolved ÷ visited;
- satisfaction rate (满意率) = visited 满意 or 基本满意 ÷ visited;
- score (综合得分) = the three rates weighted by `JIEDAO_HOTLINE_WEIGHTS` (default 0.2, 0.4,
  0.4; each rate in per cent, so the score is out of 100).

A merged repeat call and a sent-back order count only as such: never in the rates, so a matter
counts once. The latest return visit of an order is the one that counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.figures import Cell, Figure, Source, Sums, share, sums_of_cells
from jiedao.hotline.models import SATISFIED_LEVELS, OrderStatus, Satisfaction, WorkOrder

ORDERS = "hotline.orders"  # dim = category
MERGED = "hotline.merged"  # repeat calls merged into an earlier order; dim = category
SENT_BACK = "hotline.sent_back"  # dim = category
CONTACT_DONE = "hotline.contact_done"  # contacted: dim = category, total = within the deadline
CONTACT_OPEN = "hotline.contact_open"  # signed, not contacted: dim = "category:due (UTC)"
REPLY_DONE = "hotline.reply_done"  # replied: dim = category, total = within the deadline
REPLY_OPEN = "hotline.reply_open"  # dispatched, not replied: dim = "category:due (UTC)"
VISITED = "hotline.visited"  # dim = "category:satisfaction:resolved (0/1)"
WARNING = "hotline.warning"  # orders turned into warning orders; dim = category
WARNING_DONE = "hotline.warning_done"  # re-handled: dim = category, total = within 3 days
WARNING_OPEN = "hotline.warning_open"  # being re-handled: dim = "category:due (UTC)"
METRICS = (
    ORDERS,
    MERGED,
    SENT_BACK,
    CONTACT_DONE,
    CONTACT_OPEN,
    REPLY_DONE,
    REPLY_OPEN,
    VISITED,
    WARNING,
    WARNING_DONE,
    WARNING_OPEN,
)
DEFAULT_WEIGHTS = {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4}


def weights() -> dict[str, float]:
    """The score's weights: `JIEDAO_HOTLINE_WEIGHTS` if set, else 0.2 / 0.4 / 0.4."""
    raw = getattr(settings, "JIEDAO_HOTLINE_WEIGHTS", None) or DEFAULT_WEIGHTS
    try:
        out = {k: float(raw[k]) for k in DEFAULT_WEIGHTS}
    except (KeyError, TypeError, ValueError) as exc:
        raise ImproperlyConfigured(
            "JIEDAO_HOTLINE_WEIGHTS needs numbers for response, resolution and satisfaction"
        ) from exc
    if any(w < 0 for w in out.values()) or sum(out.values()) <= 0:
        raise ImproperlyConfigured("JIEDAO_HOTLINE_WEIGHTS must be non-negative, not all zero")
    return out


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _month(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m}"


# --- the source -------------------------------------------------------------------------------
def order_rows(pks: list[Any] | None, qs: Any = None) -> Iterable[tuple[Any, ...]]:
    if qs is None:
        qs = WorkOrder.objects.all() if pks is None else WorkOrder.objects.filter(pk__in=pks)
    return (
        qs.order_by()
        .values_list(
            "org_unit_id",
            "status",
            "category_id",
            "received_at",
            "contact_due",
            "signed_at",
            "contacted_at",
            "reply_due",
            "replied_at",
            "visited_at",
            "satisfaction",
            "resolved",
            "warning",
            "warning_due",
            "warning_replied_at",
        )
        .iterator(chunk_size=5000)
    )


def order_cells(row: tuple[Any, ...]) -> list[Cell]:
    """What one order adds: counted once, each step done (on time or not) or still due."""
    (
        org,
        status,
        category,
        received,
        contact_due,
        signed,
        contacted,
        reply_due,
        replied,
        visited,
        satisfaction,
        resolved,
        warning,
        warning_due,
        warning_replied,
    ) = row
    p = _month(received)
    c = str(category)
    if status == OrderStatus.MERGED:
        return [Cell(org, MERGED, p, c)]
    if status == OrderStatus.SENT_BACK:
        return [Cell(org, SENT_BACK, p, c)]
    out = [Cell(org, ORDERS, p, c)]
    if contacted is not None:
        on_time = contact_due is None or contacted <= contact_due
        out.append(Cell(org, CONTACT_DONE, p, c, 1, int(on_time)))
    elif signed is not None and contact_due is not None:
        out.append(Cell(org, CONTACT_OPEN, p, f"{c}:{_utc(contact_due)}"))
    if reply_due is not None:
        if replied is not None:
            out.append(Cell(org, REPLY_DONE, p, c, 1, int(replied <= reply_due)))
        else:
            out.append(Cell(org, REPLY_OPEN, p, f"{c}:{_utc(reply_due)}"))
    if visited is not None and satisfaction:
        out.append(Cell(org, VISITED, p, f"{c}:{satisfaction}:{int(bool(resolved))}"))
    if warning:
        out.append(Cell(org, WARNING, p, c))
        if warning_replied is not None:
            on_time = warning_due is None or warning_replied <= warning_due
            out.append(Cell(org, WARNING_DONE, p, c, 1, int(on_time)))
        elif warning_due is not None:
            out.append(Cell(org, WARNING_OPEN, p, f"{c}:{_utc(warning_due)}"))
    return out


SOURCES = [Source("hotline.order", WorkOrder, order_rows, order_cells)]


# --- rates ------------------------------------------------------------------------------------
def as_of(today: date) -> datetime:
    """The moment a figure for `today` is read at: now for today, else the end of that day."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))


@dataclass
class HotlineRates:
    orders: int = 0
    merged: int = 0
    sent_back: int = 0
    contact_counted: int = 0
    contact_on_time: int = 0
    reply_counted: int = 0
    reply_on_time: int = 0
    overdue_open: int = 0  # not replied and past the deadline
    visited: int = 0
    resolved: int = 0
    satisfied: int = 0
    unsatisfied: int = 0
    warnings: int = 0
    warning_counted: int = 0
    warning_on_time: int = 0

    @classmethod
    def from_sums(
        cls, sums: Sums, now: datetime | None = None, *, category: Any = None
    ) -> HotlineRates:
        """The rates of the orders added up in `sums` (of one category, if given)."""
        moment = _utc(now or timezone.now())
        want = None if category is None else str(category)
        r = cls()

        def cells(metric: str) -> Iterable[tuple[str, int, int]]:
            for dim, (n, total) in sums.dims(metric).items():
                cat, _sep, rest = dim.partition(":")
                if want is None or cat == want:
                    yield rest, n, total

        r.orders = sum(n for _r, n, _t in cells(ORDERS))
        r.merged = sum(n for _r, n, _t in cells(MERGED))
        r.sent_back = sum(n for _r, n, _t in cells(SENT_BACK))
        for done, open_, attr in (
            (CONTACT_DONE, CONTACT_OPEN, "contact"),
            (REPLY_DONE, REPLY_OPEN, "reply"),
            (WARNING_DONE, WARNING_OPEN, "warning"),
        ):
            counted = on_time = 0
            for _r, n, ok in cells(done):
                counted += n
                on_time += ok
            late_open = sum(n for due, n, _t in cells(open_) if due < moment)
            setattr(r, f"{attr}_counted", counted + late_open)
            setattr(r, f"{attr}_on_time", on_time)
            if attr == "reply":
                r.overdue_open = late_open
        for rest, n, _t in cells(VISITED):
            level, _sep, solved = rest.partition(":")
            r.visited += n
            r.resolved += n if solved == "1" else 0
            r.satisfied += n if level in SATISFIED_LEVELS else 0
            r.unsatisfied += n if level == Satisfaction.UNSATISFIED else 0
        r.warnings = sum(n for _r, n, _t in cells(WARNING))
        return r

    @property
    def response_rate(self) -> float | None:
        return share(self.contact_on_time, self.contact_counted)

    @property
    def resolution_rate(self) -> float | None:
        return share(self.resolved, self.visited)

    @property
    def satisfaction_rate(self) -> float | None:
        return share(self.satisfied, self.visited)

    @property
    def reply_rate(self) -> float | None:
        return share(self.reply_on_time, self.reply_counted)

    @property
    def warning_rate(self) -> float | None:
        return share(self.warning_on_time, self.warning_counted)

    def score(self, w: dict[str, float] | None = None) -> float | None:
        """The weighted score out of 100; None until all three rates have a value."""
        w = w or weights()
        rates = {
            "response": self.response_rate,
            "resolution": self.resolution_rate,
            "satisfaction": self.satisfaction_rate,
        }
        if any(v is None for v in rates.values()):
            return None
        total = sum(w.values())
        return round(sum(w[k] * float(v or 0) for k, v in rates.items()) / total, 2)


def order_rates(qs: Any, *, now: datetime | None = None) -> HotlineRates:
    """The rates of any queryset of orders, counted from its records (no roll-up)."""
    cells = (c for row in order_rows(None, qs=qs) for c in order_cells(row))
    return HotlineRates.from_sums(sums_of_cells(cells), now)


# --- figures ----------------------------------------------------------------------------------
def _orders(org: Any, year: int | None, **params: Any) -> str:
    params["unit"] = org.pk
    if year is not None:
        params["year"] = year
    return f"{reverse('hotline_orders')}?{urlencode(params)}"


def _rate(key: str, label: Any, definition: Any, order: int, compute: Any) -> Figure:
    return Figure(
        key=key,
        module="hotline",
        label=label,
        definition=definition,
        metrics=METRICS,
        compute=lambda s, today: compute(HotlineRates.from_sums(s, as_of(today))),
        unit="%",
        decimals=2,
        order=order,
    )


FIGURES = [
    Figure(
        key="hotline.orders",
        module="hotline",
        label=_("12345工单量"),
        definition=_("受理时间在该期间内的工单数；重复来电合并后只计一次，退单不计"),
        metrics=(ORDERS,),
        compute=lambda s, today: s.n(ORDERS),
        unit=_("件"),
        drill=_orders,
        drill_model=WorkOrder,
        better=None,
        order=300,
    ),
    _rate(
        "hotline.response_rate",
        _("12345响应率"),
        _("签收后在时限内（1个工作日）联系来电人的工单 ÷ 已签收且联系时限已到的工单"),
        301,
        lambda r: r.response_rate,
    ),
    _rate(
        "hotline.resolution_rate",
        _("12345解决率"),
        _("回访为已解决的工单 ÷ 已回访的工单（以最近一次回访为准）"),
        302,
        lambda r: r.resolution_rate,
    ),
    _rate(
        "hotline.satisfaction_rate",
        _("12345满意率"),
        _("回访为满意或基本满意的工单 ÷ 已回访的工单（以最近一次回访为准）"),
        303,
        lambda r: r.satisfaction_rate,
    ),
    Figure(
        key="hotline.score",
        module="hotline",
        label=_("接诉即办综合得分"),
        definition=_("响应率、解决率、满意率按权重加权（默认0.2、0.4、0.4），满分100"),
        metrics=METRICS,
        compute=lambda s, today: HotlineRates.from_sums(s, as_of(today)).score(),
        unit=_("分"),
        decimals=2,
        order=304,
    ),
    Figure(
        key="hotline.warnings",
        module="hotline",
        label=_("预警工单"),
        definition=_("回访不满意、转为预警工单重新办理的工单数"),
        metrics=(WARNING,),
        compute=lambda s, today: s.n(WARNING),
        unit=_("件"),
        drill=lambda org, year: _orders(org, year, warning="yes"),
        drill_model=WorkOrder,
        better="low",
        order=305,
    ),
]
