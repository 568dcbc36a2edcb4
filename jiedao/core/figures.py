"""Figures: each declared once by its module, read from roll-ups kept in step with the records.

A module declares two things here (from its `AppConfig.ready()`, through `core.modules`):

- **Sources.** A `Source` is keyed by one model (tickets, enterprises, renewal projects…).
  `rows(pks)` reads those records (all of them when `pks` is None) and `cells(row)` says what
  one record adds to the roll-ups: `Cell(org_id, metric, period, dim, n, total)`. The same
  two functions serve the three paths, so they cannot disagree:
  a service wraps its write in `tracking(Model, pks)` (the records' cells are read before and
  after the write and the difference is added to `RollupRow`, in the same transaction);
  `rebuild()` recomputes every row; `verify()` recounts and lists any difference.
- **Figures.** A `Figure` names what leaders read (key, label, one-line definition, unit,
  decimals, the metrics it needs, how it is computed from their sums, where its rows are,
  which roles may read it). Dashboards, the report card, the API and the export all call
  `read()` and `Figure.value()`, so a figure has one definition and one number everywhere.

A record's cells count in its own org unit and every unit above it up to its subdistrict;
a district or a city is the sum of the subdistricts (and of its own rows, if any) below it.
So reading any org unit's figures reads a number of rows that depends on the figures, the
years and the number of subdistricts, never on the number of records.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.functional import Promise

from jiedao.core.models import OrgKind, OrgUnit, RollupRow

# Kinds whose rows hold their whole subtree; above them, a unit sums the subdistricts.
ROLLED_KINDS = frozenset({OrgKind.SUBDISTRICT, OrgKind.AREA, OrgKind.COMMITTEE})
SUMMED_KINDS = frozenset({OrgKind.CITY, OrgKind.DISTRICT, OrgKind.SUBDISTRICT})

Key = tuple[int, str, str, str]  # org id, metric, period, dim


@dataclass(frozen=True)
class Cell:
    org_id: int
    metric: str
    period: str = ""
    dim: str = ""
    n: int = 1
    total: int = 0


@dataclass(frozen=True)
class Source:
    key: str
    model: type[models.Model]
    rows: Callable[[list[Any] | None], Iterable[Any]]
    cells: Callable[[Any], Iterable[Cell]]


SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    SOURCES[source.key] = source


# --- counting ---------------------------------------------------------------------------------
Counts = dict[Key, list[int]]  # key → [n, total]


def _fan_out(cells: Iterable[Cell], orgs: dict[int, tuple[str, str]]) -> Counts:
    """Each cell counted in its org unit and the units above it, up to the subdistrict."""
    by_path = {path: pk for pk, (path, _kind) in orgs.items()}
    out: Counts = defaultdict(lambda: [0, 0])
    for c in cells:
        path, kind = orgs[c.org_id]
        targets = [c.org_id]
        if kind in ROLLED_KINDS and kind != OrgKind.SUBDISTRICT:
            parts = [p for p in path.split("/") if p]
            for depth in range(len(parts) - 1, 0, -1):
                above = by_path.get("/" + "/".join(parts[:depth]) + "/")
                if above is None:
                    continue
                targets.append(above)
                if orgs[above][1] == OrgKind.SUBDISTRICT:
                    break
        for target in targets:
            cell = out[(target, c.metric, c.period, c.dim)]
            cell[0] += c.n
            cell[1] += c.total
    return {k: v for k, v in out.items() if v != [0, 0]}


def _minus(after: Counts, before: Counts) -> Counts:
    out: Counts = {}
    for key in set(after) | set(before):
        a = after.get(key, [0, 0])
        b = before.get(key, [0, 0])
        d = [a[0] - b[0], a[1] - b[1]]
        if d != [0, 0]:
            out[key] = d
    return out


def _orgs_for(cells: list[Cell]) -> dict[int, tuple[str, str]]:
    ids = {c.org_id for c in cells}
    if not ids:
        return {}
    paths = dict(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "path"))
    prefixes: set[str] = set()
    for path in paths.values():
        parts = [p for p in path.split("/") if p]
        prefixes.update("/" + "/".join(parts[:d]) + "/" for d in range(1, len(parts) + 1))
    return {
        pk: (path, kind)
        for pk, path, kind in OrgUnit.objects.filter(path__in=prefixes).values_list(
            "pk", "path", "kind"
        )
    }


def _count(sources: Iterable[Source], pks: list[Any] | None = None) -> Counts:
    cells: list[Cell] = []
    for source in sources:
        for row in source.rows(pks):
            cells.extend(source.cells(row))
    return _fan_out(cells, _all_orgs() if pks is None else _orgs_for(cells))


def _all_orgs() -> dict[int, tuple[str, str]]:
    return {
        pk: (path, kind) for pk, path, kind in OrgUnit.objects.values_list("pk", "path", "kind")
    }


def _apply(delta: Counts) -> None:
    if not delta:
        return
    now = timezone.now()
    sql = (
        "INSERT INTO core_rolluprow"
        " (org_unit_id, metric, period, dim, n, total, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (org_unit_id, metric, period, dim) DO UPDATE SET"
        " n = core_rolluprow.n + excluded.n, total = core_rolluprow.total + excluded.total,"
        " updated_at = excluded.updated_at"
    )
    params = [(*key, n, total, now, now) for key, (n, total) in sorted(delta.items())]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@contextmanager
def tracking(model: type[models.Model], pks: Iterable[Any]) -> Iterator[None]:
    """Keep the roll-ups of these records in step with the write inside the block.

    The caller names every record whose cells the write may change (e.g. a ticket that
    gets a trip). Must run inside the write's transaction, so both land or neither.
    """
    keys = sorted({pk for pk in pks if pk is not None})
    sources = [s for s in SOURCES.values() if s.model is model]
    if not keys or not sources:
        yield
        return
    with transaction.atomic():
        # Lock the records first, so two writes to one record take turns and neither counts
        # from a state the other is changing.
        list(model._default_manager.select_for_update().filter(pk__in=keys).values_list("pk"))
        before = _count(sources, keys)
        yield
        _apply(_minus(_count(sources, keys), before))


def added(model: type[models.Model], pks: Iterable[Any]) -> None:
    """Count records just created inside the current transaction (they had no cells)."""
    keys = sorted({pk for pk in pks if pk is not None})
    sources = [s for s in SOURCES.values() if s.model is model]
    if keys and sources:
        _apply(_count(sources, keys))


def rebuild(*, org: OrgUnit | None = None) -> int:
    """Recompute every roll-up row (of one org's subtree when given) from the records."""
    with transaction.atomic():
        counted = _count(SOURCES.values())
        rows = RollupRow.objects.all()
        if org is not None:
            scoped = set(
                OrgUnit.objects.filter(path__startswith=org.path).values_list("pk", flat=True)
            )
            counted = {k: v for k, v in counted.items() if k[0] in scoped}
            rows = rows.filter(org_unit_id__in=scoped)
        rows.delete()
        RollupRow.objects.bulk_create(
            [
                RollupRow(org_unit_id=o, metric=m, period=p, dim=d, n=n, total=t)
                for (o, m, p, d), (n, t) in counted.items()
            ],
            batch_size=2000,
        )
    return len(counted)


@dataclass
class Drift:
    key: Key
    stored: tuple[int, int]
    counted: tuple[int, int]


def verify(*, org: OrgUnit | None = None) -> list[Drift]:
    """Recount every roll-up from the records and list each row that differs from the table."""
    counted = _count(SOURCES.values())
    rows = RollupRow.objects.exclude(n=0, total=0)
    scoped: set[int] | None = None
    if org is not None:
        scoped = set(OrgUnit.objects.filter(path__startswith=org.path).values_list("pk", flat=True))
        rows = rows.filter(org_unit_id__in=scoped)
        counted = {k: v for k, v in counted.items() if k[0] in scoped}
    stored = {
        (o, m, p, d): (n, t)
        for o, m, p, d, n, t in rows.values_list(
            "org_unit_id", "metric", "period", "dim", "n", "total"
        )
    }
    out = []
    for key in sorted(set(stored) | set(counted)):
        have = stored.get(key, (0, 0))
        want = tuple(counted.get(key, [0, 0]))
        if have != want:
            out.append(Drift(key, have, (want[0], want[1])))
    return out


# --- reading ----------------------------------------------------------------------------------
@dataclass
class Sums:
    """What the rows of one org unit (and one period bucket) add up to."""

    cells: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, metric: str, dim: str, n: int, total: int) -> None:
        cell = self.cells.setdefault((metric, dim), [0, 0])
        cell[0] += n
        cell[1] += total

    def n(self, metric: str, dim: str | None = None) -> int:
        if dim is not None:
            return self.cells.get((metric, dim), [0, 0])[0]
        return sum(v[0] for (m, _d), v in self.cells.items() if m == metric)

    def total(self, metric: str, dim: str | None = None) -> int:
        if dim is not None:
            return self.cells.get((metric, dim), [0, 0])[1]
        return sum(v[1] for (m, _d), v in self.cells.items() if m == metric)

    def dims(self, metric: str) -> dict[str, tuple[int, int]]:
        return {d: (v[0], v[1]) for (m, d), v in self.cells.items() if m == metric and v[0]}

    def merge(self, other: Sums) -> None:
        for (metric, dim), (n, total) in other.cells.items():
            self.add(metric, dim, n, total)


def share(part: int, whole: int) -> float | None:
    """A percentage with two decimals, or None when there is nothing to divide by."""
    return round(100 * part / whole, 2) if whole else None


def hist_mean(hist: dict[str, tuple[int, int]]) -> float | None:
    count = sum(n for n, _t in hist.values())
    if not count:
        return None
    return round(sum(int(d) * n for d, (n, _t) in hist.items()) / count, 2)


def hist_median(hist: dict[int, int]) -> float | None:
    """The median of a histogram {value: count}, as `statistics.median` of the values would be."""
    count = sum(hist.values())
    if not count:
        return None
    lower, upper = (count - 1) // 2, count // 2  # the middle positions (equal when count is odd)
    seen, low = 0, 0
    for value in sorted(hist):
        if seen <= lower:
            low = value
        seen += hist[value]
        if seen > upper:
            return round((low + value) / 2, 1)
    return None  # pragma: no cover - the loop always reaches the middle


def hist_rank(hist: dict[str, tuple[int, int]], q: float) -> int | None:
    """The nearest-rank `q` quantile of a histogram of whole numbers (dim = the number)."""
    count = sum(n for n, _t in hist.values())
    if not count:
        return None
    rank = max(math.ceil(q * count), 1)
    seen = 0
    for value in sorted(hist, key=int):
        seen += hist[value][0]
        if seen >= rank:
            return int(value)
    return None  # pragma: no cover - the loop always reaches the rank


ALL = "all"  # the bucket of every period


def sums_of_cells(cells: Iterable[Cell]) -> Sums:
    """Add up cells directly (for a queryset's own figures, e.g. a filtered list)."""
    out = Sums()
    for c in cells:
        out.add(c.metric, c.dim, c.n, c.total)
    return out


def orgs_of_paths(paths: Iterable[str]) -> list[OrgUnit]:
    """The org units at these paths (a platform administrator's "/" is every top unit)."""
    paths = list(paths)
    if "/" in paths:
        return list(OrgUnit.objects.filter(parent__isnull=True).order_by("path"))
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


def read_merged(
    orgs: list[OrgUnit], metrics: Iterable[str], *, by: str = "year"
) -> dict[str, Sums]:
    """Like `read`, with the org units (disjoint subtrees) added together: {bucket: sums}."""
    out: dict[str, Sums] = defaultdict(Sums)
    for (_pk, bucket), sums in read(orgs, metrics, by=by).items():
        out[bucket].merge(sums)
    return out


def read(
    orgs: list[OrgUnit], metrics: Iterable[str], *, by: str = "year"
) -> dict[tuple[int, str], Sums]:
    """Sums per (org id, bucket) for these org units, in one query.

    `by="year"` buckets periods by their year ("" holds what is true now), `by="month"` by
    "YYYY-MM"; every org unit also gets the bucket `ALL` (all periods together).
    """
    metrics = sorted(set(metrics))
    out: dict[tuple[int, str], Sums] = defaultdict(Sums)
    if not orgs or not metrics:
        return out
    q = Q()
    owner: dict[str, int] = {}
    direct: dict[int, int] = {}
    for org in orgs:
        if org.kind in ROLLED_KINDS:
            q |= Q(org_unit_id=org.pk)
            direct[org.pk] = org.pk
        else:
            q |= Q(org_unit__path__startswith=org.path, org_unit__kind__in=SUMMED_KINDS)
            owner[org.path] = org.pk
    rows = RollupRow.objects.filter(q, metric__in=metrics).order_by()
    bucket_expr = Substr("period", 1, 4) if by == "year" else Substr("period", 1, 7)
    grouped = (
        rows.annotate(bucket=bucket_expr)
        .values("org_unit_id", "org_unit__path", "metric", "bucket", "dim")
        .annotate(sn=Sum("n"), st=Sum("total"))
    )
    for r in grouped:
        targets = []
        if r["org_unit_id"] in direct:
            targets.append(r["org_unit_id"])
        targets.extend(pk for path, pk in owner.items() if r["org_unit__path"].startswith(path))
        for target in targets:
            for bucket in (r["bucket"] or "", ALL):
                out[(target, bucket)].add(r["metric"], r["dim"], r["sn"] or 0, r["st"] or 0)
    return out


# --- figures ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    key: str
    module: str
    label: Promise | str
    definition: Promise | str
    metrics: tuple[str, ...]
    compute: Callable[[Sums, date], Any]
    unit: Promise | str = ""
    decimals: int = 0
    # A flow is counted per period (each year on the report card); a stock holds now.
    flow: bool = True
    # The rows it counts, for one org unit (and year, for a flow): a URL or None.
    drill: Callable[[OrgUnit, int | None], str | None] | None = None
    drill_model: type[models.Model] | None = None  # the link shows to who may view these
    roles: frozenset[str] | None = None  # None: every role that may read the report card
    order: int = 0
    # Higher is better (for ranking subdistricts); None: not ranked.
    better: str | None = "high"

    def value(self, sums: Sums, today: date | None = None) -> Any:
        return self.compute(sums, today or timezone.localdate())

    def readable_by(self, roles: set[str]) -> bool:
        return self.roles is None or bool(self.roles & roles)


FIGURES: dict[str, Figure] = {}


def register_figure(figure: Figure) -> None:
    FIGURES[figure.key] = figure


def figures(*, module: str | None = None, keys: Iterable[str] | None = None) -> list[Figure]:
    found = [
        f
        for f in FIGURES.values()
        if (module is None or f.module == module) and (keys is None or f.key in set(keys))
    ]
    return sorted(found, key=lambda f: (f.order, f.key))


def metrics_of(figs: Iterable[Figure]) -> set[str]:
    return {m for f in figs for m in f.metrics}


def values_for(
    org: OrgUnit, figs: list[Figure], *, by: str = "year", today: date | None = None
) -> dict[str, dict[str, Any]]:
    """{figure key: {bucket: value}} for one org unit (buckets as `read` makes them)."""
    sums = read([org], metrics_of(figs), by=by)
    out: dict[str, dict[str, Any]] = {}
    for fig in figs:
        out[fig.key] = {
            bucket: fig.value(s, today) for (pk, bucket), s in sums.items() if pk == org.pk
        }
        out[fig.key].setdefault(ALL, fig.value(Sums(), today))
    return out


def format_value(value: Any, decimals: int = 0) -> str:
    """Thousands separators and the figure's own decimals; "—" for no value."""
    if value is None:
        return "—"
    if isinstance(value, (int, Decimal, float)):
        return f"{Decimal(value):,.{decimals}f}"
    return str(value)


def for_user(
    user: Any, model: type[models.Model], keys: Iterable[str], *, today: date | None = None
) -> dict[str, Any]:
    """{figure key: value} over everything the user may view of `model`, from the roll-ups.

    For a module's dashboard: a flow is counted over all periods, a stock as it holds now.
    """
    from jiedao.core.permissions import Action, policy

    figs = figures(keys=keys)
    sums = read_merged(orgs_of_paths(policy.paths_for(user, model, Action.VIEW)), metrics_of(figs))
    return {f.key: f.value(sums.get(ALL if f.flow else "", Sums()), today) for f in figs}
