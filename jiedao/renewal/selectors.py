"""Reads of urban renewal, scoped by the central policy; every share and sum from records."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.permissions import Action, policy
from jiedao.renewal.models import (
    DELIVERED_PHASES,
    Agreement,
    Answer,
    EntryCategory,
    EntryKind,
    FundingSource,
    Household,
    LedgerEntry,
    Phase,
    RenewalProject,
    Visit,
)

DEFINITIONS = {
    "agree_share": _("同意比例 = 答复“同意”的户数 ÷ 项目总户数（未答复按不同意计）"),
    "sign_share": _("签约比例 = 持有有效（未撤销）协议的户数 ÷ 项目总户数"),
    "moved_share": _("搬场比例 = 已搬离、已交钥匙且已验房的户数 ÷ 项目总户数"),
    "balance": _("资金余额 = 预算来源合计 − 已承诺金额合计（承诺含协议补偿、过渡费和建设合同）"),
    "done": _("已完成项目 = 已进入拆除、建设、回搬或完成阶段的项目"),
    "planned": _("计划项目 = 处于计划中阶段的项目"),
    "area": _("建筑面积 = 已完成项目的建筑面积之和"),
}


def project_list(*, user: Any) -> QuerySet[RenewalProject]:
    return policy.scope(
        user, Action.VIEW, RenewalProject.objects.select_related("compound", "org_unit")
    )


def project_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> RenewalProject:
    return policy.get_or_404(
        user, action, RenewalProject.objects.select_related("compound", "org_unit"), pk=pk
    )


@dataclass(frozen=True)
class Overview:
    done: int
    planned: int
    in_progress: int
    done_floor_area: Decimal


def overview(*, user: Any) -> Overview:
    """Projects done and planned, and the floor area of those done (from project records)."""
    qs = project_list(user=user)
    done = qs.filter(phase__in=DELIVERED_PHASES)
    return Overview(
        done=done.count(),
        planned=qs.filter(phase=Phase.PLANNED).count(),
        in_progress=qs.exclude(phase__in=[*DELIVERED_PHASES, Phase.PLANNED, Phase.STOPPED]).count(),
        done_floor_area=done.aggregate(s=Sum("floor_area"))["s"] or Decimal("0.0"),
    )


# --- thresholds -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoundResult:
    count: int
    total: int
    threshold: Decimal
    passed: bool

    @property
    def share(self) -> Decimal:
        return Decimal(self.count) / Decimal(self.total) if self.total else Decimal("0")

    @property
    def share_text(self) -> str:
        return f"{(self.share * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}% ({self.count}/{self.total})"

    @property
    def threshold_text(self) -> str:
        return f"{(self.threshold * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _decide(count: int, total: int, threshold: Decimal) -> RoundResult:
    # Exactly at the threshold passes: count / total >= threshold, compared without rounding.
    passed = total > 0 and Decimal(count) >= threshold * Decimal(total)
    return RoundResult(count, total, threshold, passed)


def consultation_result(project: RenewalProject) -> RoundResult:
    households = project.households.all()
    return _decide(
        households.filter(answer=Answer.AGREE).count(), households.count(), project.agree_threshold
    )


def signing_result(project: RenewalProject, *, on: date | None = None) -> RoundResult:
    """Households with a live agreement signed by `on` (default: the signing deadline)."""
    on = on or project.signing_deadline or timezone.localdate()
    households = project.households.all()
    signed = households.filter(
        Exists(
            Agreement.objects.filter(
                household=OuterRef("pk"), revoked_at__isnull=True, signed_on__lte=on
            )
        )
    ).count()
    return _decide(signed, households.count(), project.sign_threshold)


# --- households -------------------------------------------------------------------------------
class HouseholdState:
    NO_ANSWER = "no_answer"
    DISAGREE = "disagree"
    AGREE = "agree"
    SIGNED = "signed"
    MOVING = "moving"
    CLEARED = "cleared"


STATE_LABELS = {
    HouseholdState.NO_ANSWER: _("未答复"),
    HouseholdState.DISAGREE: _("不同意"),
    HouseholdState.AGREE: _("同意未签约"),
    HouseholdState.SIGNED: _("已签约"),
    HouseholdState.MOVING: _("搬场中"),
    HouseholdState.CLEARED: _("已交房"),
}


def state_of(h: Any) -> str:
    """The household's state from its records (`signed` annotation or its agreements)."""
    signed = getattr(h, "signed", None)
    if signed is None:
        signed = h.agreements.filter(revoked_at__isnull=True).exists()
    if h.moved_on and h.keys_on and h.inspected_on:
        return HouseholdState.CLEARED
    if signed and (h.moved_on or h.keys_on or h.inspected_on):
        return HouseholdState.MOVING
    if signed:
        return HouseholdState.SIGNED
    if h.answer == Answer.AGREE:
        return HouseholdState.AGREE
    if h.answer == Answer.DISAGREE:
        return HouseholdState.DISAGREE
    return HouseholdState.NO_ANSWER


@dataclass
class HouseholdFilters:
    project: int | None = None
    state: str = ""
    block: str = ""
    assigned_to: int | None = None
    not_visited_days: int | None = None
    open_concerns: bool = False
    q: str = ""


def household_list(*, user: Any, filters: HouseholdFilters | None = None) -> QuerySet[Household]:
    f = filters or HouseholdFilters()
    live = Agreement.objects.filter(household=OuterRef("pk"), revoked_at__isnull=True)
    qs: Any = policy.scope(
        user,
        Action.VIEW,
        Household.objects.select_related("project", "contact", "assigned_to").annotate(
            signed=Exists(live),
            last_visit=Max("visits__date"),
            open_concern=Exists(Visit.objects.filter(household=OuterRef("pk"), concern_open=True)),
        ),
    )
    if f.project:
        qs = qs.filter(project_id=f.project)
    if f.block:
        qs = qs.filter(block=f.block)
    if f.assigned_to:
        qs = qs.filter(assigned_to_id=f.assigned_to)
    if f.q.strip():
        qs = qs.filter(Q(room__icontains=f.q.strip()) | Q(contact__name__icontains=f.q.strip()))
    if f.open_concerns:
        qs = qs.filter(open_concern=True)
    if f.not_visited_days:
        cutoff = timezone.localdate() - timedelta(days=f.not_visited_days)
        qs = qs.filter(Q(last_visit__isnull=True) | Q(last_visit__lt=cutoff))
    if f.state:
        cleared = Q(moved_on__isnull=False, keys_on__isnull=False, inspected_on__isnull=False)
        any_move = (
            Q(moved_on__isnull=False) | Q(keys_on__isnull=False) | Q(inspected_on__isnull=False)
        )
        by_state = {
            HouseholdState.CLEARED: cleared,
            HouseholdState.MOVING: Q(signed=True) & any_move & ~cleared,
            HouseholdState.SIGNED: Q(signed=True) & ~any_move,
            HouseholdState.AGREE: Q(signed=False, answer=Answer.AGREE),
            HouseholdState.DISAGREE: Q(signed=False, answer=Answer.DISAGREE),
            HouseholdState.NO_ANSWER: Q(signed=False, answer=Answer.NONE),
        }
        qs = qs.filter(by_state.get(f.state, Q(pk__in=[])))
    return qs


def household_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Household:
    return policy.get_or_404(
        user,
        action,
        Household.objects.select_related("project", "contact", "assigned_to"),
        pk=pk,
    )


def board(*, user: Any, project: RenewalProject) -> dict[str, Any]:
    """Households by state, by block and by staff member (live, from records)."""
    rows = list(household_list(user=user, filters=HouseholdFilters(project=project.pk)))
    by_state: Counter[str] = Counter()
    by_block: dict[str, Counter[str]] = defaultdict(Counter)
    by_staff: dict[str, Counter[str]] = defaultdict(Counter)
    for h in rows:
        state = state_of(h)
        by_state[state] += 1
        by_block[h.block][state] += 1
        by_staff[str(h.assigned_to or _("未分配"))][state] += 1
    return {
        "total": len(rows),
        "by_state": dict(by_state),
        "by_block": {k: dict(v) for k, v in sorted(by_block.items())},
        "by_staff": {k: dict(v) for k, v in sorted(by_staff.items())},
    }


def burnup(project: RenewalProject, *, until: date | None = None) -> list[dict[str, Any]]:
    """Day by day since the project started: households agreed, signed and cleared so far.

    Agreed counts a household from the day it answered "agree"; signed from the signing date
    of its live agreement; cleared from the last of its move, keys and inspection dates.
    """
    start = project.started_on
    if start is None:
        return []
    total = project.households.count()
    answered: Any = project.households
    agreed: Counter[date] = Counter(
        answered.filter(answer=Answer.AGREE, answered_on__isnull=False).values_list(
            "answered_on", flat=True
        )
    )
    signed: Counter[date] = Counter(
        Agreement.objects.filter(household__project=project, revoked_at__isnull=True).values_list(
            "signed_on", flat=True
        )
    )
    cleared: Counter[date] = Counter()
    rows: Any = project.households.filter(
        moved_on__isnull=False, keys_on__isnull=False, inspected_on__isnull=False
    ).values_list("moved_on", "keys_on", "inspected_on")
    for moved, keys, inspected in rows:
        cleared[max(moved, keys, inspected)] += 1
    events: list[date] = [*agreed, *signed, *cleared]
    last_event: date = max(events) if events else start
    end: date = until or min(max(last_event, start), timezone.localdate())
    series = []
    running = {"agreed": 0, "signed": 0, "cleared": 0}
    # Events dated before the start (rare: late data entry) count from day one.
    for key, counter in (("agreed", agreed), ("signed", signed), ("cleared", cleared)):
        running[key] = sum(n for d, n in counter.items() if d < start)
    day = start
    while day <= end:
        running["agreed"] += agreed.get(day, 0)
        running["signed"] += signed.get(day, 0)
        running["cleared"] += cleared.get(day, 0)
        series.append(
            {
                "day": day.isoformat(),
                "n": (day - start).days + 1,
                "agreed": running["agreed"],
                "signed": running["signed"],
                "cleared": running["cleared"],
                "agreed_share": round(100 * running["agreed"] / total, 1) if total else 0,
                "signed_share": round(100 * running["signed"] / total, 1) if total else 0,
                "cleared_share": round(100 * running["cleared"] / total, 1) if total else 0,
            }
        )
        day += timedelta(days=1)
    return series


def days_to_full(project: RenewalProject) -> dict[str, int | None]:
    """Days from start until 100% signed and 100% cleared (None if not reached)."""
    series = burnup(project)
    total = project.households.count()
    out: dict[str, int | None] = {"signed": None, "cleared": None}
    for point in series:
        for key in ("signed", "cleared"):
            if out[key] is None and total and point[key] >= total:
                out[key] = point["n"]
    return out


def visit_list(*, user: Any, project: RenewalProject | None = None) -> QuerySet[Visit]:
    qs = policy.scope(
        user, Action.VIEW, Visit.objects.select_related("household", "staff", "method")
    )
    return qs.filter(household__project=project) if project else qs


# --- money ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Funding:
    budget: Decimal
    committed: Decimal
    paid: Decimal
    by_source: dict[str, Decimal]
    committed_by_category: dict[str, Decimal]
    paid_by_category: dict[str, Decimal]

    @property
    def balance(self) -> Decimal:
        return self.budget - self.committed

    @property
    def balanced(self) -> bool:
        """资金平衡: the budgeted sources cover every commitment."""
        return self.balance >= 0


def funding(project: RenewalProject) -> Funding:
    sources = FundingSource.objects.filter(project=project)
    by_source = {
        r["kind"]: r["s"] for r in sources.values("kind").annotate(s=Sum("amount")).order_by("kind")
    }
    ledger = LedgerEntry.objects.filter(project=project).order_by()
    committed = {
        r["category"]: r["s"]
        for r in ledger.filter(kind=EntryKind.COMMITMENT)
        .values("category")
        .annotate(s=Sum("amount"))
    }
    paid = {
        r["category"]: r["s"]
        for r in ledger.filter(kind=EntryKind.PAYMENT).values("category").annotate(s=Sum("amount"))
    }
    zero = Decimal("0")
    return Funding(
        budget=sum(by_source.values(), zero),
        committed=sum(committed.values(), zero),
        paid=sum(paid.values(), zero),
        by_source=by_source,
        committed_by_category={c: committed.get(c, zero) for c in EntryCategory.values},
        paid_by_category={c: paid.get(c, zero) for c in EntryCategory.values},
    )


def ledger_list(*, user: Any, project: RenewalProject) -> QuerySet[LedgerEntry]:
    return policy.scope(
        user, Action.VIEW, LedgerEntry.objects.filter(project=project).select_related("household")
    )
