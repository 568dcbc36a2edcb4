"""Reads of 好差评: every read takes `user=` and returns only what that user may see.

The dashboard's rates come from the roll-ups (`figures.py`), summed over the org units the
user may read evaluations in; the lists read the records one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.figures import ALL, Sums, orgs_of_paths, read_merged
from jiedao.core.permissions import Action, policy
from jiedao.evaluations import figures
from jiedao.evaluations.models import (
    BAD_LEVELS,
    RECTIFICATION_OPEN,
    AppealStatus,
    EvalChannel,
    Evaluation,
    Rectification,
)
from jiedao.evaluations.services import overdue_q

DEFINITIONS = {
    "good_rate": _("（非常满意 + 满意）÷ 全部评价；申诉成立的评价不计。"),
    "bad_rate": _("（不满意 + 非常不满意）÷ 全部评价。"),
    "fixed_on_time": _(
        "按期整改的差评 ÷（已整改 + 未整改且已过期限）；评价后1个工作日内联系，简单问题5个、"
        "复杂问题15个工作日内整改。"
    ),
    "revisit": _("已二次回访的实名差评 ÷ 实名差评（应为100%）。"),
}


@dataclass
class EvaluationFilters:
    q: str = ""  # case number
    channel: str = ""
    level: str = ""
    bad: bool = False
    suspicious: bool = False
    month: str = ""  # YYYY-MM given
    year: str = ""


def evaluation_list(
    *, user: Any, filters: EvaluationFilters | None = None, action: Action = Action.VIEW
) -> QuerySet[Evaluation]:
    f = filters or EvaluationFilters()
    qs = policy.scope(
        user,
        action,
        Evaluation.objects.select_related(
            "ticket", "request", "item", "request_type", "point", "staff", "person", "org_unit"
        ),
    )
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(Q(ticket__number__icontains=term) | Q(request__number__icontains=term))
    if f.channel in EvalChannel.values:
        qs = qs.filter(channel=f.channel)
    if f.level.isdigit():
        qs = qs.filter(level=int(f.level))
    if f.bad:
        qs = qs.filter(level__in=list(BAD_LEVELS))
    if f.suspicious:
        qs = qs.filter(suspicious=True)
    start = end = None
    try:
        if f.month:
            year, month = (int(x) for x in f.month.split("-"))
            start = date(year, month, 1)
            end = (start + timedelta(days=32)).replace(day=1)
        elif f.year:
            start, end = date(int(f.year), 1, 1), date(int(f.year) + 1, 1, 1)
    except ValueError:
        return qs.none()
    if start is not None and end is not None:
        tz = timezone.get_current_timezone()
        from datetime import datetime, time

        qs = qs.filter(
            given_at__gte=datetime.combine(start, time(), tz),
            given_at__lt=datetime.combine(end, time(), tz),
        )
    return qs.order_by("-given_at", "-id")


def evaluation_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Evaluation:
    return policy.get_or_404(user, action, evaluation_list(user=user), pk=pk)


def rectification_list(
    *, user: Any, open_only: bool = False, overdue: bool = False
) -> QuerySet[Rectification]:
    qs = policy.scope(
        user,
        Action.VIEW,
        Rectification.objects.select_related(
            "evaluation",
            "evaluation__ticket",
            "evaluation__request",
            "evaluation__person",
            "handler",
        ),
    )
    if open_only:
        qs = qs.filter(status__in=list(RECTIFICATION_OPEN))
    if overdue:
        qs = qs.filter(overdue_q(timezone.localdate()))
    return qs.order_by("fix_due", "id")


def appeal_list(*, user: Any, pending: bool = False) -> QuerySet[Any]:
    from jiedao.evaluations.models import Appeal

    qs = policy.scope(user, Action.VIEW, Appeal.objects.select_related("evaluation", "filed_by"))
    if pending:
        qs = qs.filter(status=AppealStatus.PENDING)
    return qs.order_by("-created_at", "-id")


# --- figures from the roll-ups ------------------------------------------------------------------
def _orgs(user: Any) -> list[Any]:
    return orgs_of_paths(policy.paths_for(user, Evaluation, Action.VIEW))


def sums_for(*, user: Any, by: str = "year") -> dict[str, Sums]:
    metrics = [
        *figures.LEVEL_METRICS,
        figures.BAD,
        figures.FIXED,
        figures.FIX_OPEN,
        figures.REVISITED,
    ]
    return read_merged(_orgs(user), metrics, by=by)


def headline(*, user: Any, today: date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    sums = sums_for(user=user).get(ALL, Sums())
    counts = figures.levels(sums)
    return {
        "count": sum(counts.values()),
        "levels": counts,
        "good_rate": figures.good_rate(counts),
        "bad_rate": figures.bad_rate(counts),
        "bad": sums.n(figures.BAD),
        "real_name_bad": sums.total(figures.BAD),
        "fixed_on_time": figures.fixed_on_time_rate(sums, today),
        "revisit_rate": figures.revisit_rate(sums),
    }


def breakdown(*, user: Any, metric: str) -> list[tuple[str, dict[int, int]]]:
    """[(key, {level: count})] for channels, items, points or staff members, most first."""
    sums = sums_for(user=user).get(ALL, Sums())
    rows = figures.by_key(sums, metric)
    return sorted(rows.items(), key=lambda kv: -sum(kv[1].values()))


def monthly(*, user: Any, months: int = 12, today: date | None = None) -> list[dict[str, Any]]:
    today = today or timezone.localdate()
    by_month = sums_for(user=user, by="month")
    first = today.replace(day=1)
    starts = []
    for _n in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    out = []
    for start in reversed(starts):
        month = f"{start:%Y-%m}"
        sums = by_month.get(month, Sums())
        counts = figures.levels(sums)
        out.append(
            {
                "month": month,
                "count": sum(counts.values()),
                "good_rate": figures.good_rate(counts),
                "bad": sums.n(figures.BAD),
            }
        )
    return out


def _own(user: Any) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """The account holder's own finished tickets and requests not yet rated online."""
    from jiedao.affairs.models import Ticket, TicketStatus
    from jiedao.business.models import EnterpriseRequest

    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    if person is None:
        return Ticket.objects.none(), EnterpriseRequest.objects.none()
    tickets = (
        Ticket.objects.filter(
            applicant_person=person, status=TicketStatus.COMPLETED, completed_at__isnull=False
        )
        .exclude(evaluations__channel=EvalChannel.ONLINE)
        .select_related("item")
        .order_by("-completed_at")
    )
    requests = (
        EnterpriseRequest.objects.filter(enterprise__contact=person, resolved_at__isnull=False)
        .exclude(evaluations__channel=EvalChannel.ONLINE)
        .select_related("type")
        .order_by("-resolved_at")
    )
    return tickets, requests


def own_cases_to_rate(*, user: Any, limit: int = 50) -> list[Any]:
    tickets, requests = _own(user)
    return [*tickets[:limit], *requests[:limit]]


def own_case(*, user: Any, kind: str, pk: int) -> Any:
    """One of the account holder's own cases still to rate online, else 404."""
    from django.http import Http404

    tickets, requests = _own(user)
    case = (tickets if kind == "ticket" else requests).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case
