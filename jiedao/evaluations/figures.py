"""The 好差评 figures: what each evaluation and each bad-review rectification adds.

Counted by the month an evaluation was given. An evaluation whose appeal was upheld adds
nothing (nor does its rectification): it is out of every rate, its reason kept on the appeal.
好评率 = (非常满意 + 满意) ÷ all; 差评率 = (不满意 + 非常不满意) ÷ all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.figures import Cell, Figure, Source, Sums, share
from jiedao.evaluations.models import (
    BAD_LEVELS,
    GOOD_LEVELS,
    Appeal,
    AppealStatus,
    Evaluation,
    Rectification,
)

BY_CHANNEL = "evaluations.channel"  # dim = "channel:level"
BY_ITEM = "evaluations.item"  # dim = "item id:level" (affairs) or "t<request type id>:level"
BY_POINT = "evaluations.point"  # dim = "point id:level"
BY_STAFF = "evaluations.staff"  # dim = "user id:level"
BAD = "evaluations.bad"  # bad reviews; n = all, total = real-name ones
FIXED = "evaluations.fixed"  # fixed: dim = "on_time" | "late"
FIX_OPEN = "evaluations.fix_open"  # not fixed yet: dim = fix due date (late once past)
REVISITED = "evaluations.revisited"  # real-name bad reviews with the second return visit made
LEVEL_METRICS = (BY_CHANNEL, BY_ITEM, BY_POINT, BY_STAFF)


def _upheld() -> Exists:
    return Exists(Appeal.objects.filter(evaluation_id=OuterRef("pk"), status=AppealStatus.UPHELD))


def _evaluation_rows(pks: list[Any] | None) -> Iterable[tuple[Any, ...]]:
    qs = Evaluation.objects.all() if pks is None else Evaluation.objects.filter(pk__in=pks)
    return (
        qs.annotate(upheld=_upheld())
        .filter(upheld=False)
        .order_by()
        .values_list(
            "org_unit_id",
            "given_at",
            "channel",
            "level",
            "item_id",
            "request_type_id",
            "point_id",
            "staff_id",
        )
        .iterator(chunk_size=5000)
    )


def _evaluation_cells(row: tuple[Any, ...]) -> list[Cell]:
    org, given_at, channel, level, item, rtype, point, staff = row
    p = f"{timezone.localtime(given_at):%Y-%m}"
    out = [Cell(org, BY_CHANNEL, p, f"{channel}:{level}")]
    if item is not None:
        out.append(Cell(org, BY_ITEM, p, f"{item}:{level}"))
    elif rtype is not None:
        out.append(Cell(org, BY_ITEM, p, f"t{rtype}:{level}"))
    if point is not None:
        out.append(Cell(org, BY_POINT, p, f"{point}:{level}"))
    if staff is not None:
        out.append(Cell(org, BY_STAFF, p, f"{staff}:{level}"))
    return out


def _rectification_rows(pks: list[Any] | None) -> Iterable[tuple[Any, ...]]:
    qs = Rectification.objects.all() if pks is None else Rectification.objects.filter(pk__in=pks)
    return (
        qs.annotate(
            upheld=Exists(
                Appeal.objects.filter(
                    evaluation_id=OuterRef("evaluation_id"), status=AppealStatus.UPHELD
                )
            )
        )
        .filter(upheld=False)
        .order_by()
        .values_list(
            "org_unit_id",
            "evaluation__given_at",
            "evaluation__person_id",
            "fixed_at",
            "fix_due",
            "revisited_at",
        )
    )


def _rectification_cells(row: tuple[Any, ...]) -> list[Cell]:
    org, given_at, person, fixed_at, fix_due, revisited_at = row
    p = f"{timezone.localtime(given_at):%Y-%m}"
    real_name = int(person is not None)
    out = [Cell(org, BAD, p, "", 1, real_name)]
    if fixed_at is not None:
        on_time = timezone.localtime(fixed_at).date() <= fix_due
        out.append(Cell(org, FIXED, p, "on_time" if on_time else "late"))
    else:
        out.append(Cell(org, FIX_OPEN, p, fix_due.isoformat()))
    if revisited_at is not None and real_name:
        out.append(Cell(org, REVISITED, p))
    return out


SOURCES = [
    Source("evaluations.evaluation", Evaluation, _evaluation_rows, _evaluation_cells),
    Source("evaluations.rectification", Rectification, _rectification_rows, _rectification_cells),
]


# --- reading --------------------------------------------------------------------------------
def levels(sums: Sums, metric: str = BY_CHANNEL, key: str | None = None) -> dict[int, int]:
    """{level: count} over one metric (of one key, e.g. one item), from the roll-ups."""
    out: dict[int, int] = {}
    for dim, (n, _t) in sums.dims(metric).items():
        k, _sep, level = dim.rpartition(":")
        if key is None or k == key:
            out[int(level)] = out.get(int(level), 0) + n
    return out


def by_key(sums: Sums, metric: str) -> dict[str, dict[int, int]]:
    """{key: {level: count}} (e.g. per item, point, staff member or channel)."""
    out: dict[str, dict[int, int]] = {}
    for dim, (n, _t) in sums.dims(metric).items():
        k, _sep, level = dim.rpartition(":")
        cell = out.setdefault(k, {})
        cell[int(level)] = cell.get(int(level), 0) + n
    return out


def good_rate(counts: dict[int, int]) -> float | None:
    return share(sum(n for lv, n in counts.items() if lv in GOOD_LEVELS), sum(counts.values()))


def bad_rate(counts: dict[int, int]) -> float | None:
    return share(sum(n for lv, n in counts.items() if lv in BAD_LEVELS), sum(counts.values()))


def fixed_on_time_rate(sums: Sums, today: Any) -> float | None:
    """Fixed on time ÷ (fixed + not fixed and past the deadline)."""
    cutoff = today.isoformat()
    late_open = sum(n for due, (n, _t) in sums.dims(FIX_OPEN).items() if due < cutoff)
    on_time = sums.n(FIXED, "on_time")
    return share(on_time, sums.n(FIXED) + late_open)


def revisit_rate(sums: Sums) -> float | None:
    """Real-name bad reviews with the second return visit made ÷ real-name bad reviews."""
    return share(sums.n(REVISITED), sums.total(BAD))


def _list_url(**params: Any) -> Any:
    def url(org: Any, year: int | None) -> str:
        query = dict(params)
        if year is not None:
            query["year"] = year
        return (
            f"{reverse('evaluations_list')}?{urlencode(query)}"
            if query
            else reverse("evaluations_list")
        )

    return url


FIGURES = [
    Figure(
        key="evaluations.count",
        module="evaluations",
        label=_("好差评评价数"),
        definition=_("办事人对已办结事项给出的评价数（一事一评），申诉成立的不计"),
        metrics=(BY_CHANNEL,),
        compute=lambda s, today: sum(levels(s).values()),
        unit=_("条"),
        drill=_list_url(),
        drill_model=Evaluation,
        better=None,
        order=500,
    ),
    Figure(
        key="evaluations.good_rate",
        module="evaluations",
        label=_("好评率"),
        definition=_("（非常满意 + 满意）÷ 全部评价，按评价月份计"),
        metrics=(BY_CHANNEL,),
        compute=lambda s, today: good_rate(levels(s)),
        unit="%",
        decimals=2,
        order=501,
    ),
    Figure(
        key="evaluations.bad_rate",
        module="evaluations",
        label=_("差评率"),
        definition=_("（不满意 + 非常不满意）÷ 全部评价"),
        metrics=(BY_CHANNEL,),
        compute=lambda s, today: bad_rate(levels(s)),
        unit="%",
        decimals=2,
        drill=_list_url(bad=1),
        drill_model=Evaluation,
        better="low",
        order=502,
    ),
    Figure(
        key="evaluations.fixed_on_time",
        module="evaluations",
        label=_("差评按时整改率"),
        definition=_(
            "按期整改的差评 ÷（已整改 + 未整改且已过期限的差评）；简单问题5个、复杂问题15个工作日"
        ),
        metrics=(FIXED, FIX_OPEN),
        compute=fixed_on_time_rate,
        unit="%",
        decimals=2,
        order=503,
    ),
    Figure(
        key="evaluations.bad_revisit_rate",
        module="evaluations",
        label=_("实名差评回访率"),
        definition=_("已二次回访的实名差评 ÷ 实名差评"),
        metrics=(BAD, REVISITED),
        compute=lambda s, today: revisit_rate(s),
        unit="%",
        decimals=2,
        order=504,
    ),
]
