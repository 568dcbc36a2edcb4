"""Reads of the foundation's records. Each takes `user=` and returns only what they may see."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy

from jiedao.accounts.models import Role
from jiedao.core import pii
from jiedao.core.models import (
    Compound,
    Enterprise,
    ImportJob,
    Notification,
    OfficeBuilding,
    OrgKind,
    OrgUnit,
    Person,
    PiiReveal,
)
from jiedao.core.permissions import Action, policy
from jiedao.core.validators import clean_id_number, clean_phone


def org_unit_list(*, user: Any, kinds: set[str] | None = None) -> QuerySet[OrgUnit]:
    qs = policy.scope(user, Action.VIEW, OrgUnit.objects.select_related("parent"))
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs


def org_units_for(*, user: Any, model: type, action: Action) -> QuerySet[OrgUnit]:
    """Org units under which the user may do `action` on `model` (choices for a form)."""
    paths = policy.paths_for(user, model, action)
    if not paths:
        return OrgUnit.objects.none()
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return OrgUnit.objects.filter(q).exclude(kind__in=[OrgKind.CITY, OrgKind.DISTRICT])


def _name_filter(q: str) -> Q:
    """By name, pinyin or initials; a whole ID-card or phone number finds its person exactly,
    through the blind index (the clear values are never searched, and a part finds nothing)."""
    text = q.strip().lower()
    compact = re.sub(r"\s+", "", text)
    cond = Q(name__icontains=q.strip())
    if compact.isascii() and compact.isalpha():
        cond |= Q(name_pinyin__contains=compact) | Q(name_initials__startswith=compact)
    if re.fullmatch(r"\d{17}[\dXx]|\d{15}", compact):
        with contextlib.suppress(ValidationError):
            cond |= Q(id_number_hash=pii.blind_index(clean_id_number(compact).value))
    if re.fullmatch(r"\+?[\d\s()-]{7,20}", q.strip()):
        with contextlib.suppress(ValidationError):
            cond |= Q(phone_hash=pii.blind_index(clean_phone(q.strip())))
    return cond


def person_list(*, user: Any, q: str = "", org: OrgUnit | None = None) -> QuerySet[Person]:
    qs = policy.scope(user, Action.VIEW, Person.objects.select_related("org_unit"))
    if q.strip():
        qs = qs.filter(_name_filter(q))
    if org is not None:
        qs = qs.filter(org_unit__path__startswith=org.path)
    return qs


def own_person(*, user: Any) -> Person | None:
    """The person record of a resident's own account, if the policy lets them see it."""
    return person_list(user=user).filter(user=user).first()


def person_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Person:
    return policy.get_or_404(
        user, action, Person.objects.select_related("org_unit", "household", "user"), pk=pk
    )


def enterprise_list(*, user: Any, q: str = "") -> QuerySet[Enterprise]:
    qs = policy.scope(
        user, Action.VIEW, Enterprise.objects.select_related("org_unit", "building", "contact")
    )
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(credit_code__iexact=q.strip()))
    return qs


def enterprise_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Enterprise:
    return policy.get_or_404(
        user,
        action,
        Enterprise.objects.select_related("org_unit", "building", "contact"),
        pk=pk,
    )


def compound_list(*, user: Any, q: str = "") -> QuerySet[Compound]:
    qs = policy.scope(
        user,
        Action.VIEW,
        Compound.objects.select_related("org_unit")
        .annotate(block_count=Count("blocks"))
        .order_by("name", "pk"),
    )
    if q.strip():
        qs = qs.filter(name__icontains=q.strip())
    return qs


def compound_get(*, user: Any, pk: Any) -> Compound:
    return policy.get_or_404(user, Action.VIEW, Compound.objects.select_related("org_unit"), pk=pk)


def building_list(*, user: Any, q: str = "") -> QuerySet[OfficeBuilding]:
    qs = policy.scope(
        user,
        Action.VIEW,
        OfficeBuilding.objects.select_related("org_unit")
        .annotate(enterprise_count=Count("enterprises"))
        .order_by("name", "pk"),
    )
    if q.strip():
        qs = qs.filter(name__icontains=q.strip())
    return qs


def building_get(*, user: Any, pk: Any) -> OfficeBuilding:
    return policy.get_or_404(
        user, Action.VIEW, OfficeBuilding.objects.select_related("org_unit"), pk=pk
    )


def import_job_get(*, user: Any, pk: Any) -> ImportJob:
    return policy.get_or_404(
        user, Action.VIEW, ImportJob.objects.select_related("org_unit", "created_by"), pk=pk
    )


def import_job_list(*, user: Any) -> QuerySet[ImportJob]:
    return policy.scope(
        user, Action.VIEW, ImportJob.objects.select_related("org_unit", "created_by")
    ).defer("content")


@dataclass(frozen=True)
class Rollup:
    """Counts for one subdistrict, all computed from its records."""

    org: OrgUnit
    committees: int
    compounds: int
    buildings: int
    people: int
    enterprises: int


ROLLUP_DEFINITIONS = {
    "committees": gettext_lazy("居委会数：该街道下的居委会记录数"),
    "compounds": gettext_lazy("小区数：该街道下各居委会的小区记录数"),
    "buildings": gettext_lazy("楼宇数：该街道的楼宇记录数"),
    "people": gettext_lazy("居民数：该街道下登记的居民记录数"),
    "enterprises": gettext_lazy("企业数：该街道登记的企业记录数"),
}


def _count_by_subdistrict(qs: QuerySet[Any], subdistricts: list[OrgUnit]) -> dict[int, int]:
    """One grouped query: rows counted under each subdistrict's path prefix."""
    counts: dict[int, int] = {}
    rows = qs.values_list("org_unit__path").annotate(n=Count("pk"))
    for path, n in rows:
        for sd in subdistricts:
            if path.startswith(sd.path):
                counts[sd.pk] = counts.get(sd.pk, 0) + n
    return counts


def rollup_by_subdistrict(*, user: Any) -> list[Rollup]:
    """Roll-ups of every subdistrict the user can see (org tree VIEW): no personal data.

    Leaders of a district or city read these without seeing any single person's record.
    """
    subdistricts = list(org_unit_list(user=user, kinds={OrgKind.SUBDISTRICT}))
    if not subdistricts:
        return []
    prefix = Q()
    for sd in subdistricts:
        prefix |= Q(org_unit__path__startswith=sd.path)
    committees: dict[int, int] = {}
    for path in OrgUnit.objects.filter(kind=OrgKind.COMMITTEE).values_list("path", flat=True):
        for sd in subdistricts:
            if path.startswith(sd.path):
                committees[sd.pk] = committees.get(sd.pk, 0) + 1
    compounds = _count_by_subdistrict(Compound.objects.filter(prefix), subdistricts)
    buildings = _count_by_subdistrict(OfficeBuilding.objects.filter(prefix), subdistricts)
    people = _count_by_subdistrict(Person.objects.filter(prefix), subdistricts)
    enterprises = _count_by_subdistrict(Enterprise.objects.filter(prefix), subdistricts)
    return [
        Rollup(
            org=sd,
            committees=committees.get(sd.pk, 0),
            compounds=compounds.get(sd.pk, 0),
            buildings=buildings.get(sd.pk, 0),
            people=people.get(sd.pk, 0),
            enterprises=enterprises.get(sd.pk, 0),
        )
        for sd in subdistricts
    ]


@dataclass(frozen=True)
class ScopeCount:
    label: str
    count: int
    url_name: str
    definition: str


def scope_counts(*, user: Any) -> list[ScopeCount]:
    """How many records of each kind the user may open (staff only: own records are shown
    to public accounts separately)."""
    from django.utils.translation import gettext as _

    out: list[ScopeCount] = []
    for model, label, url_name, definition in (
        (Person, _("居民"), "person_list", _("您有权查看的居民记录数")),
        (Enterprise, _("企业"), "enterprise_list", _("您有权查看的企业记录数")),
        (Compound, _("小区"), "compound_list", _("您有权查看的小区记录数")),
        (OfficeBuilding, _("楼宇"), "building_list", _("您有权查看的楼宇记录数")),
    ):
        if policy.paths_for(user, model, Action.VIEW):
            count = policy.scope(user, Action.VIEW, model._default_manager.all()).count()
            out.append(ScopeCount(label, count, url_name, definition))
    return out


def can_read_audit(user: Any) -> bool:
    return policy.has_role(user, {Role.PLATFORM_ADMIN})


def audit_log_list(*, user: Any, q: str = "") -> QuerySet[LogEntry]:
    """The whole audit log, for platform admins only."""
    if not can_read_audit(user):
        return LogEntry.objects.none()
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
    if q.strip():
        qs = qs.filter(
            Q(object_repr__icontains=q.strip()) | Q(actor__username__icontains=q.strip())
        )
    return qs


def reveal_list(*, user: Any) -> QuerySet[PiiReveal]:
    return policy.scope(user, Action.VIEW, PiiReveal.objects.select_related("user", "person"))


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """A user's own in-app messages, newest first; nobody reads another's."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_unread_count(*, user: Any) -> int:
    return notification_list(user=user).filter(read_at__isnull=True).count()


# --- report card (成绩单) ---------------------------------------------------------------------
def report_card_orgs(*, user: Any) -> list[OrgUnit]:
    """The top org units whose report card the user may read (staff and leaders only)."""
    from jiedao.core.figures import orgs_of_paths
    from jiedao.core.models import RollupRow

    return orgs_of_paths(policy.paths_for(user, RollupRow, Action.VIEW))


def report_card_org(*, user: Any, code: str) -> OrgUnit:
    """One org unit the user may read the report card of, or 404 (its existence unsaid)."""
    from django.http import Http404

    from jiedao.core.models import RollupRow

    org = OrgUnit.objects.filter(code=code).exclude(kind=OrgKind.AREA).first()
    paths = policy.paths_for(user, RollupRow, Action.VIEW)
    if org is None or not any(p == "/" or org.path.startswith(p) for p in paths):
        raise Http404
    return org


@dataclass
class CardRow:
    figure: Any
    by_year: list[Any]  # one value per year of `ReportCard.years`
    window: Any  # the five years together (a flow), or what holds now (a stock)
    url: str | None


@dataclass
class CardSection:
    module: Any
    rows: list[CardRow]
    dashboard_url: str | None


@dataclass
class ReportCard:
    org: OrgUnit
    years: list[int]
    window: tuple[int, int]
    sections: list[CardSection]


def _window(org: OrgUnit, end: int | None, today: Any) -> tuple[int, int]:
    if end is not None:
        return end - 4, end
    if org.term_start:
        return org.term_start, org.term_start + 4
    return today.year - 5, today.year - 1


def _card_figures(user: Any) -> list[Any]:
    from jiedao.core import figures

    roles = policy.roles(user)
    return [f for f in figures.figures() if f.readable_by(roles)]


def _drill(user: Any, fig: Any, org: OrgUnit, year: int | None) -> str | None:
    if fig.drill is None or fig.drill_model is None:
        return None
    paths = policy.paths_for(user, fig.drill_model, Action.VIEW)
    if not any(p == "/" or org.path.startswith(p) for p in paths):
        return None
    url: str | None = fig.drill(org, year)
    return url


def _window_sums(sums: dict[tuple[int, str], Any], pk: int, window: tuple[int, int]) -> Any:
    from jiedao.core.figures import Sums

    out = Sums()
    for year in range(window[0], window[1] + 1):
        part = sums.get((pk, str(year)))
        if part is not None:
            out.merge(part)
    return out


def report_card(*, user: Any, org: OrgUnit, end: int | None = None) -> ReportCard:
    """The headline figures of every module for one org unit, from the roll-ups.

    Flows are shown for each year from the window's first year to this year, and for the
    five-year window together; stocks as they are today.
    """
    from django.utils import timezone

    from jiedao.core import figures, modules
    from jiedao.core.figures import Sums

    today = timezone.localdate()
    window = _window(org, end, today)
    years = list(range(window[0], max(window[1], today.year) + 1))
    figs = _card_figures(user)
    sums = figures.read([org], figures.metrics_of(figs), by="year")
    now = sums.get((org.pk, ""), Sums())
    sections = []
    for module in modules.modules():
        rows = []
        for fig in (f for f in figs if f.module == module.name):
            if fig.flow:
                by_year = [fig.value(sums.get((org.pk, str(y)), Sums()), today) for y in years]
                value = fig.value(_window_sums(sums, org.pk, window), today)
            else:
                by_year = []
                value = fig.value(now, today)
            rows.append(CardRow(fig, by_year, value, _drill(user, fig, org, None)))
        if rows:
            url = module.dashboard_url(user) if module.dashboard_url else None
            sections.append(CardSection(module, rows, url))
    return ReportCard(org=org, years=years, window=window, sections=sections)


@dataclass
class ComparisonRow:
    org: OrgUnit
    values: dict[str, Any]
    ranks: dict[str, int | None]


@dataclass
class Comparison:
    figures: list[Any]
    rows: list[ComparisonRow]
    total: ComparisonRow
    window: tuple[int, int]


def report_comparison(
    *, user: Any, org: OrgUnit, end: int | None = None, sort: str = ""
) -> Comparison | None:
    """Every subdistrict below a district or city side by side, ranked, with the total.

    Flows are the five-year window's; stocks hold today. One roll-up read for all of them.
    """
    from django.utils import timezone

    from jiedao.core import figures
    from jiedao.core.figures import Sums

    if org.kind not in (OrgKind.CITY, OrgKind.DISTRICT):
        return None
    today = timezone.localdate()
    window = _window(org, end, today)
    figs = _card_figures(user)
    subs = list(
        OrgUnit.objects.filter(path__startswith=org.path, kind=OrgKind.SUBDISTRICT).order_by("path")
    )
    sums = figures.read([*subs, org], figures.metrics_of(figs), by="year")

    def values_of(pk: int) -> dict[str, Any]:
        flow = _window_sums(sums, pk, window)
        now = sums.get((pk, ""), Sums())
        return {f.key: f.value(flow if f.flow else now, today) for f in figs}

    rows = [ComparisonRow(sub, values_of(sub.pk), {}) for sub in subs]
    for fig in figs:
        if fig.better is None:
            continue
        ranked = sorted(
            (r for r in rows if isinstance(r.values[fig.key], (int, float, Decimal))),
            key=lambda r: r.values[fig.key],
            reverse=fig.better == "high",
        )
        for i, r in enumerate(ranked):
            r.ranks[fig.key] = i + 1
    key = sort.lstrip("-")
    if key in {f.key for f in figs}:
        present = [
            r for r in rows if r.values[key] is not None and not isinstance(r.values[key], str)
        ]
        absent = [r for r in rows if r not in present]
        present.sort(key=lambda r: r.values[key], reverse=sort.startswith("-"))
        rows = present + absent
    return Comparison(figs, rows, ComparisonRow(org, values_of(org.pk), {}), window)


def report_card_children(*, user: Any, org: OrgUnit) -> list[OrgUnit]:
    """The units one level down whose cards the user may open (areas skipped)."""
    kids = list(OrgUnit.objects.filter(parent=org).order_by("path"))
    out: list[OrgUnit] = []
    for kid in kids:
        if kid.kind == OrgKind.AREA:
            out.extend(OrgUnit.objects.filter(parent=kid).order_by("path"))
        else:
            out.append(kid)
    return out


def report_card_ancestors(*, user: Any, org: OrgUnit) -> list[OrgUnit]:
    """The units above this one whose cards the user may also read (for the breadcrumb)."""
    from jiedao.core.models import RollupRow

    paths = policy.paths_for(user, RollupRow, Action.VIEW)
    parts = [p for p in org.path.split("/") if p]
    above = ["/" + "/".join(parts[:d]) + "/" for d in range(1, len(parts))]
    readable = [p for p in above if any(x == "/" or p.startswith(x) for x in paths)]
    # Areas have no card of their own (a subdistrict's card covers them).
    return list(
        OrgUnit.objects.filter(path__in=readable).exclude(kind=OrgKind.AREA).order_by("depth")
    )
