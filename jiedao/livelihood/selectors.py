"""Reads of the livelihood module. Each takes `user=` and goes through the central policy,
except the `public_*` reads, which serve the pages anyone may open without logging in: they
return published projects only, and nothing that names a person. What the public side may
reach is decided once, in `policies.py` (`PUBLISHED`, `may_reach`); `reachable_project_get`
and `photo_for_view` apply it to following and to the picture files.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.accounts.models import Role
from jiedao.core.figures import ALL, Sums, orgs_of_paths, read_merged
from jiedao.core.models import OrgKind, OrgUnit, Person
from jiedao.core.permissions import Action, _ancestor_paths, policy
from jiedao.livelihood import figures
from jiedao.livelihood.models import (
    FUNDED_STAGES,
    Feasibility,
    Follow,
    Fund,
    Milestone,
    MilestoneState,
    Photo,
    PhotoKind,
    Programme,
    Project,
    Question,
    QuestionKind,
    Response,
    ResponseAnswer,
    ResponseChannel,
    ReviewAssignment,
    ReviewCriterion,
    ReviewScore,
    SiteSurvey,
    Spending,
    Stage,
    Survey,
    SurveyStatus,
)
from jiedao.livelihood.policies import PUBLISHED, may_reach

MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=MONEY)

# The wording the overview and dashboard show next to each figure.
DEFINITIONS = {
    "projects": _("项目数：可见范围内登记的全部项目，按类别和阶段计数。"),
    "progress": _("进度：已完成节点的权重之和 ÷ 全部节点的权重之和。"),
    "allocated": _("已安排：处于立项、实施中、已完工、已评估阶段的项目的核定预算之和。"),
    "spent": _("已支出：这些项目登记的支出之和。"),
    "balance": _("余额：资金预算减去已安排（撤回或未通过的项目不占用资金）。"),
    "participation": _("参与人次：已结束征询收到的答卷数，分线上和纸质。"),
}

# Photos are listed without their bytes; the image views read one picture's bytes alone.
PHOTO_LIST_DEFER = ("original", "display", "thumb")


# --- programmes and funds ------------------------------------------------------------------
def programme_list(*, user: Any) -> QuerySet[Programme]:
    """Programmes the user may read; a resident also the programmes they may propose to."""
    scoped = policy.scope(user, Action.VIEW, Programme.objects.select_related("org_unit"))
    if not policy.has_role(user, {Role.RESIDENT}):
        return scoped
    return Programme.objects.select_related("org_unit").filter(
        Q(pk__in=scoped.values("pk")) | Q(pk__in=programmes_for_resident(user).values("pk"))
    )


def programme_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Programme:
    return policy.get_or_404(user, action, Programme.objects.select_related("org_unit"), pk=pk)


def self_and_ancestors(path: str) -> list[str]:
    """`/SH/JA/TMX/` → [`/SH/`, `/SH/JA/`, `/SH/JA/TMX/`]."""
    return [*_ancestor_paths(path), path]


def programmes_for_paths(paths: list[str]) -> QuerySet[Programme]:
    """Programmes a project in one of these subtrees may belong to: a programme is held by the
    subdistrict, so a committee worker's programmes are those of the org units above them."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(org_unit__path__in=self_and_ancestors(path)) | Q(org_unit__path__startswith=path)
    return Programme.objects.filter(q).select_related("org_unit").order_by("org_unit__path", "kind")


def programmes_for_resident(user: Any) -> QuerySet[Programme]:
    """The programmes of the subdistrict (or any unit above) the resident lives in."""
    path = Person.objects.filter(user=user).values_list("org_unit__path", flat=True).first()
    if not path:
        return Programme.objects.none()
    return Programme.objects.select_related("org_unit").filter(
        org_unit__path__in=self_and_ancestors(path)
    )


def fund_choices(*, user: Any, project: Project) -> QuerySet[Fund]:
    """Funds that may pay for the project: same programme and year, held at or above it."""
    return fund_list(user=user, programme=project.programme_id, year=project.year).filter(
        org_unit__path__in=self_and_ancestors(project.org_unit.path)
    )


def experts_for(project: Project) -> QuerySet[Any]:
    """Active users holding the expert role at or above the project's subdistrict."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__role=Role.EXPERT,
            memberships__org_unit__path__in=self_and_ancestors(project.programme.org_unit.path),
        )
        .distinct()
        .order_by("username")
    )


def criteria_of(programme_id: int) -> list[ReviewCriterion]:
    return list(ReviewCriterion.objects.filter(programme_id=programme_id))


def with_fund_figures(qs: QuerySet[Fund]) -> QuerySet[Fund]:
    """Annotate each fund with `allocated`, `spent` and `balance` (computed, never stored)."""
    allocated = (
        Project.objects.filter(fund=OuterRef("pk"), stage__in=FUNDED_STAGES)
        .order_by()
        .values("fund")
        .annotate(s=Sum("budget_allocated"))
        .values("s")
    )
    spent = (
        Spending.objects.filter(project__fund=OuterRef("pk"))
        .order_by()
        .values("project__fund")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return qs.annotate(
        allocated=Coalesce(Subquery(allocated, output_field=MONEY), ZERO),
        spent=Coalesce(Subquery(spent, output_field=MONEY), ZERO),
    ).annotate(balance=Coalesce("amount", ZERO) - Coalesce("allocated", ZERO))


def fund_list(
    *, user: Any, action: Action = Action.VIEW, programme: Any = None, year: Any = None
) -> QuerySet[Fund]:
    qs = Fund.objects.select_related("programme", "org_unit")
    if programme:
        qs = qs.filter(programme_id=programme)
    if year:
        qs = qs.filter(year=year)
    return with_fund_figures(policy.scope(user, action, qs))


def fund_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Fund:
    qs = with_fund_figures(Fund.objects.select_related("programme", "org_unit"))
    return policy.get_or_404(user, action, qs, pk=pk)


def fund_ledger(fund: Fund) -> dict[str, Any]:
    """The projects a fund pays for, with what each holds and has spent (two queries)."""
    projects = list(
        with_project_figures(
            fund.projects.select_related("org_unit").filter(stage__in=FUNDED_STAGES)
        ).order_by("approved_on", "id")
    )
    spendings = list(
        Spending.objects.filter(project__fund=fund).select_related("project").order_by("date", "id")
    )
    return {"projects": projects, "spendings": spendings}


# --- projects ------------------------------------------------------------------------------
def with_project_figures(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate `total_weight`, `done_weight` (milestones) and `spent` without a per-row query."""
    weights = (
        Milestone.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(s=Sum("weight"))
        .values("s")
    )
    done = (
        Milestone.objects.filter(project=OuterRef("pk"), state=MilestoneState.DONE)
        .order_by()
        .values("project")
        .annotate(s=Sum("weight"))
        .values("s")
    )
    spent = (
        Spending.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    zero_int = Value(0, output_field=IntegerField())
    return qs.annotate(
        total_weight=Coalesce(Subquery(weights, output_field=IntegerField()), zero_int),
        done_weight=Coalesce(Subquery(done, output_field=IntegerField()), zero_int),
        spent=Coalesce(Subquery(spent, output_field=MONEY), ZERO),
    )


def progress_of(total_weight: int, done_weight: int) -> int:
    """Per cent done, from the milestones' weights (0 when there are none)."""
    if not total_weight:
        return 0
    return round(100 * done_weight / total_weight)


def project_progress(project: Project) -> int:
    agg = project.milestones.aggregate(
        total=Sum("weight"), done=Sum("weight", filter=Q(state=MilestoneState.DONE))
    )
    return progress_of(agg["total"] or 0, agg["done"] or 0)


def project_list(
    *,
    user: Any,
    action: Action = Action.VIEW,
    programme: Any = None,
    stage: str = "",
    year: Any = None,
    org: str = "",
    q: str = "",
    fund: Any = None,
) -> QuerySet[Project]:
    qs = Project.objects.select_related("programme", "org_unit", "compound", "previous")
    if programme:
        qs = qs.filter(programme_id=programme)
    if stage == "open":
        qs = qs.exclude(stage__in=[Stage.EVALUATED, Stage.REJECTED, Stage.WITHDRAWN])
    elif stage == "funded":
        qs = qs.filter(stage__in=FUNDED_STAGES)
    elif stage:
        qs = qs.filter(stage=stage)
    if year:
        qs = qs.filter(year=year)
    if org:
        qs = qs.filter(org_unit__path__startswith=org)
    if fund:
        qs = qs.filter(fund_id=fund)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(place_name__icontains=q) | Q(theme__icontains=q))
    return with_project_figures(policy.scope(user, action, qs))


def project_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Project:
    qs = with_project_figures(
        Project.objects.select_related("programme", "org_unit", "compound", "fund", "previous")
    )
    return policy.get_or_404(user, action, qs, pk=pk)


def milestone_get(*, user: Any, pk: Any) -> Milestone:
    qs = Milestone.objects.select_related("project", "project__programme", "project__org_unit")
    return policy.get_or_404(user, Action.VIEW, qs, pk=pk)


def site_surveys_of(*, user: Any, project: Project) -> QuerySet[SiteSurvey]:
    return policy.scope(user, Action.VIEW, SiteSurvey.objects.filter(project=project))


def spendings_of(*, user: Any, project: Project) -> QuerySet[Spending]:
    return policy.scope(user, Action.VIEW, Spending.objects.filter(project=project))


def photos_of(project: Project) -> list[Photo]:
    return list(project.photos.defer(*PHOTO_LIST_DEFER).order_by("kind", "id"))


def photo_pairs(photos: list[Photo]) -> list[tuple[Photo, Photo | None]]:
    """Before pictures with their after picture (None until one is taken)."""
    after_by_before = {p.before_id: p for p in photos if p.kind == PhotoKind.AFTER}
    return [(p, after_by_before.get(p.pk)) for p in photos if p.kind == PhotoKind.BEFORE]


@dataclass
class Event:
    at: datetime | date
    kind: str
    title: str
    detail: str = ""
    actor: str = ""
    obj: Any = None


def _sort_key(e: Event) -> datetime:
    if isinstance(e.at, datetime):
        return e.at
    return timezone.make_aware(datetime(e.at.year, e.at.month, e.at.day, 12))


def project_timeline(project: Project, *, staff: bool, reviews: bool = False) -> list[Event]:
    """The project's whole story, oldest first: stage moves, site surveys, opinion surveys
    opened and closed, milestones done, spending (staff only) and expert reviews (only with
    `reviews`: for those who may read the project's review assignments)."""
    events: list[Event] = []
    for t in project.transitions.select_related("actor"):
        actor = ""
        if staff and t.actor:
            # A resident's own proposal is not signed with their account's name.
            by_proposer = t.actor_id == project.proposed_by_id
            actor = str(_("提议居民")) if by_proposer else str(t.actor)
        events.append(Event(t.created_at, "stage", str(t.get_to_stage_display()), t.note, actor, t))
    for s in project.site_surveys.all():
        events.append(Event(s.date, "site_survey", str(_("现场踏勘")), s.findings, "", s))
    for sv in project.surveys.all():
        if sv.opened_at:
            events.append(Event(sv.opened_at, "survey_open", str(_("意见征询开始")), sv.title))
        if sv.closed_at:
            events.append(Event(sv.closed_at, "survey_closed", str(_("意见征询结束")), sv.title))
    if reviews:
        for r in project.reviews.select_related("expert").filter(submitted_at__isnull=False):
            events.append(
                Event(
                    r.submitted_at or r.created_at,
                    "review",
                    str(_("专家提交评审意见")),
                    str(r.get_feasibility_display()),
                    str(r.expert),
                    r,
                )
            )
    if staff:
        for sp in project.spendings.all():
            events.append(
                Event(sp.date, "spending", str(_("支出")), f"{sp.amount} · {sp.description}")
            )
    for ms in project.milestones.filter(state=MilestoneState.DONE):
        if ms.done_on:
            events.append(Event(ms.done_on, "milestone", str(_("节点完成")), ms.title))
    events.sort(key=_sort_key)
    return events


def versions_of(project: Project) -> list[Project]:
    """All versions of the project, first to last (follows `previous` both ways)."""
    chain = [project]
    seen = {project.pk}
    cur = project
    while cur.previous_id and cur.previous_id not in seen:
        prev = Project.objects.filter(pk=cur.previous_id).first()
        if prev is None:
            break
        chain.insert(0, prev)
        seen.add(prev.pk)
        cur = prev
    cur = project
    while True:
        nxt = cur.next_versions.exclude(pk__in=seen).order_by("version", "id").first()
        if nxt is None:
            break
        chain.append(nxt)
        seen.add(nxt.pk)
        cur = nxt
    return chain


# --- counts ---------------------------------------------------------------------------------
def stage_counts(qs: QuerySet[Project]) -> dict[str, dict[str, int]]:
    """{programme kind: {stage: n, "total": n}} in one grouped query."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for kind, stage, n in (
        qs.order_by().values_list("programme__kind", "stage").annotate(n=Count("id"))
    ):
        out[kind][stage] += n
        out[kind]["total"] += n
    return {k: dict(v) for k, v in out.items()}


def _project_sums(user: Any, metric: str) -> Sums:
    orgs = orgs_of_paths(policy.paths_for(user, Project, Action.VIEW))
    return read_merged(orgs, [metric]).get(ALL, Sums())


def stage_counts_for(*, user: Any) -> dict[str, dict[str, int]]:
    """Like `stage_counts`, over every project the user may view, from the roll-ups."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for dim, (n, _t) in _project_sums(user, figures.PROJECTS).dims(figures.PROJECTS).items():
        kind, _sep, stage = dim.partition(":")
        out[kind][stage] += n
        out[kind]["total"] += n
    return {k: dict(v) for k, v in out.items()}


def committee_counts_for(*, user: Any) -> list[dict[str, Any]]:
    """Like `committee_counts`, over every project the user may view, from the roll-ups."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for dim, (n, _t) in _project_sums(user, figures.PROJECTS_AT).dims(figures.PROJECTS_AT).items():
        org, _sep, kind = dim.partition(":")
        counts[int(org)][kind] = n
    rows = []
    for pk, code, name in OrgUnit.objects.filter(pk__in=counts).values_list("pk", "code", "name"):
        rows.append({"code": code, "name": name, **counts[pk], "total": sum(counts[pk].values())})
    return sorted(rows, key=lambda r: r["code"])


def year_counts(qs: QuerySet[Project]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for year, kind, n in (
        qs.order_by().values_list("year", "programme__kind").annotate(n=Count("id"))
    ):
        out[year][kind] += n
    return {y: dict(v) for y, v in sorted(out.items())}


def committee_counts(qs: QuerySet[Project]) -> list[dict[str, Any]]:
    """Projects per org unit (for the map): code, name, counts by programme kind."""
    rows: dict[int, dict[str, Any]] = {}
    for org_id, code, name, kind, n in (
        qs.order_by()
        .values_list("org_unit_id", "org_unit__code", "org_unit__name", "programme__kind")
        .annotate(n=Count("id"))
    ):
        row = rows.setdefault(org_id, {"code": code, "name": name, "total": 0})
        row[kind] = row.get(kind, 0) + n
        row["total"] += n
    return sorted(rows.values(), key=lambda r: r["code"])


def budget_figures(funds: QuerySet[Fund]) -> dict[str, Decimal]:
    totals = {"amount": Decimal("0"), "allocated": Decimal("0"), "spent": Decimal("0")}
    for f in funds:
        totals["amount"] += f.amount
        totals["allocated"] += f.allocated  # type: ignore[attr-defined]
        totals["spent"] += f.spent  # type: ignore[attr-defined]
    totals["balance"] = totals["amount"] - totals["allocated"]
    return totals


def participation(surveys: QuerySet[Survey]) -> dict[str, int]:
    """Answers received by closed surveys, online and on paper (sealed ones are not counted)."""
    counts = Counter(
        dict(
            Response.objects.filter(survey__in=surveys, survey__status=SurveyStatus.CLOSED)
            .order_by()
            .values_list("channel")
            .annotate(n=Count("id"))
        )
    )
    return {
        "online": counts.get(ResponseChannel.ONLINE, 0),
        "paper": counts.get(ResponseChannel.PAPER, 0),
        "total": sum(counts.values()),
        "surveys": surveys.filter(status=SurveyStatus.CLOSED).count(),
    }


def survey_list(*, user: Any, project: Project | None = None) -> QuerySet[Survey]:
    qs = Survey.objects.select_related("project", "project__org_unit").annotate(
        response_count=Count("responses")
    )
    if project is not None:
        qs = qs.filter(project=project)
    return policy.scope(user, Action.VIEW, qs)


def survey_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> Survey:
    qs = Survey.objects.select_related("project", "project__programme", "project__org_unit")
    return policy.get_or_404(user, action, qs, pk=pk)


def question_get(*, user: Any, pk: Any) -> Question:
    """A question of a survey the user may see (404 otherwise)."""
    surveys = policy.scope(user, Action.VIEW, Survey.objects.all())
    question = (
        Question.objects.select_related("survey", "survey__project")
        .filter(survey__in=surveys, pk=pk)
        .first()
    )
    if question is None:
        raise Http404
    return question


def answer_get(*, user: Any, pk: Any) -> ResponseAnswer:
    """An answer the user may read: within a response they may see, and for staff only once
    its survey is closed (`response_list`'s rule)."""
    try:
        answer = ResponseAnswer.objects.select_related(
            "question", "response", "response__survey", "response__survey__project"
        ).get(pk=pk)
    except (ResponseAnswer.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    survey = survey_get(user=user, pk=answer.response.survey_id)
    if not response_list(user=user, survey=survey).filter(pk=answer.response_id).exists():
        raise Http404
    return answer


def responses_of(user: Any) -> QuerySet[Response]:
    """A resident's own answers, newest first."""
    return (
        policy.scope(
            user, Action.VIEW, Response.objects.select_related("survey", "survey__project")
        )
        .filter(respondent=user)
        .order_by("-created_at")
    )


# --- survey results -------------------------------------------------------------------------
class Sealed(PermissionDenied):
    """The survey is still open (or a draft): its results are not shown to anyone yet."""


@dataclass
class QuestionResult:
    question: Any
    answered: int = 0
    # choice → (online, paper, total)
    choices: list[tuple[str, int, int, int]] = field(default_factory=list)
    mean: float | None = None
    distribution: list[tuple[int, int]] = field(default_factory=list)
    texts: list[ResponseAnswer] = field(default_factory=list)
    unpublished: int = 0


def survey_results(survey: Survey, *, public: bool) -> dict[str, Any]:
    """Aggregated answers of a closed survey. Raises `Sealed` while it is not closed. The public
    version lists only the free-text answers staff have published."""
    if survey.status != SurveyStatus.CLOSED:
        raise Sealed()
    questions = list(survey.questions.all())
    answers = list(
        ResponseAnswer.objects.filter(response__survey=survey)
        .select_related("response")
        .order_by("response_id", "question_id")
    )
    channels = Counter(
        dict(survey.responses.order_by().values_list("channel").annotate(n=Count("id")))
    )
    by_q: dict[int, list[ResponseAnswer]] = defaultdict(list)
    for a in answers:
        by_q[a.question_id].append(a)
    results = []
    for q in questions:
        rows = by_q.get(q.pk, [])
        r = QuestionResult(question=q, answered=len(rows))
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            online: Counter[str] = Counter()
            paper: Counter[str] = Counter()
            for a in rows:
                target = online if a.response.channel == ResponseChannel.ONLINE else paper
                target.update(a.choices)
            r.choices = [(c, online[c], paper[c], online[c] + paper[c]) for c in q.choices]
        elif q.kind == QuestionKind.SCALE:
            numbers = [a.number for a in rows if a.number is not None]
            r.mean = round(sum(numbers) / len(numbers), 2) if numbers else None
            dist = Counter(numbers)
            r.distribution = [(v, dist[v]) for v in range(q.scale_min, q.scale_max + 1)]
        else:
            texts = [a for a in rows if a.text]
            r.texts = [a for a in texts if a.published] if public else texts
            r.unpublished = sum(1 for a in texts if not a.published)
        results.append(r)
    return {
        "survey": survey,
        "online": channels.get(ResponseChannel.ONLINE, 0),
        "paper": channels.get(ResponseChannel.PAPER, 0),
        "total": sum(channels.values()),
        "questions": results,
        "collection_points": sorted(
            Counter(
                survey.responses.filter(channel=ResponseChannel.PAPER).values_list(
                    "collection_point", flat=True
                )
            ).items()
        ),
    }


def response_count(survey: Survey) -> int:
    """How many answers have come in (shown while open; the contents stay sealed)."""
    return survey.responses.count()


def my_response(survey: Survey, user: Any) -> Response | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return survey.responses.filter(respondent=user).first()


def response_list(*, user: Any, survey: Survey) -> QuerySet[Response]:
    """Individual answers: staff see them only once the survey is closed; a resident their own."""
    qs = policy.scope(user, Action.VIEW, Response.objects.filter(survey=survey))
    if survey.status != SurveyStatus.CLOSED:
        qs = qs.filter(respondent=user) if getattr(user, "is_authenticated", False) else qs.none()
    return qs.prefetch_related("answers")


# --- expert review --------------------------------------------------------------------------
def review_list(*, user: Any, project: Project | None = None) -> QuerySet[ReviewAssignment]:
    """Assignments the user may see: an expert only their own; the office all of its own."""
    qs = ReviewAssignment.objects.select_related(
        "project", "project__programme", "project__org_unit", "expert"
    )
    if project is not None:
        qs = qs.filter(project=project)
    return policy.scope(user, Action.VIEW, qs)


def review_get(*, user: Any, pk: Any, action: Action = Action.VIEW) -> ReviewAssignment:
    qs = ReviewAssignment.objects.select_related(
        "project", "project__programme", "project__org_unit", "expert"
    )
    return policy.get_or_404(user, action, qs, pk=pk)


def review_summary(project: Project) -> dict[str, Any]:
    """The combined result of the submitted reviews: mean score per criterion, each expert's
    weighted total (out of 100), their mean, feasibility counts and the cost estimates."""
    criteria = criteria_of(project.programme_id)
    assignments = list(project.reviews.select_related("expert").order_by("id"))
    submitted = [a for a in assignments if a.submitted_at]
    scores: dict[tuple[int, int], Decimal] = {
        (s.assignment_id, s.criterion_id): s.score
        for s in ReviewScore.objects.filter(assignment__in=submitted)
    }
    weight_sum = sum(c.weight for c in criteria) or 1

    def total_of(a: ReviewAssignment) -> float:
        return round(
            sum(
                float(scores.get((a.pk, c.pk), 0)) / c.max_score * c.weight
                for c in criteria
                if c.max_score
            )
            / weight_sum
            * 100,
            1,
        )

    per_expert = [(a, total_of(a)) for a in submitted]
    per_criterion = []
    for c in criteria:
        values = [float(scores[(a.pk, c.pk)]) for a in submitted if (a.pk, c.pk) in scores]
        per_criterion.append((c, round(sum(values) / len(values), 2) if values else None))
    costs = [a.cost_estimate for a in submitted if a.cost_estimate is not None]
    feas = Counter(a.feasibility for a in submitted)
    return {
        "assigned": len(assignments),
        "submitted": len(submitted),
        "pending": [a for a in assignments if not a.submitted_at],
        "per_expert": per_expert,
        "per_criterion": per_criterion,
        "mean_total": round(sum(t for _a, t in per_expert) / len(per_expert), 1)
        if per_expert
        else None,
        "feasibility": [(f, feas.get(f.value, 0)) for f in Feasibility],
        "cost_mean": (sum(costs, Decimal("0")) / len(costs)).quantize(Decimal("0.01"))
        if costs
        else None,
        "cost_min": min(costs) if costs else None,
        "cost_max": max(costs) if costs else None,
    }


def follows_of(user: Any) -> QuerySet[Follow]:
    """The projects this user follows (their own follows only, whatever their role)."""
    return policy.scope(user, Action.VIEW, Follow.objects.select_related("project")).filter(
        user=user
    )


def is_following(user: Any, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Follow.objects.filter(user=user, project=project).exists()


# --- public pages (no login) ---------------------------------------------------------------
def public_projects(*, org: OrgUnit | None = None) -> QuerySet[Project]:
    qs = Project.objects.filter(PUBLISHED).select_related("programme", "org_unit")
    if org is not None:
        qs = qs.filter(org_unit__path__startswith=org.path)
    return with_project_figures(qs)


def public_project_get(pk: Any) -> Project:
    try:
        return public_projects().get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def public_committees() -> list[dict[str, Any]]:
    """Org units with published projects, with their counts (for the public index)."""
    return committee_counts(Project.objects.filter(PUBLISHED))


def public_org_get(code: str) -> OrgUnit:
    org = OrgUnit.objects.filter(
        code=code, kind__in=[OrgKind.COMMITTEE, OrgKind.SUBDISTRICT, OrgKind.AREA]
    ).first()
    if (
        org is None
        or not Project.objects.filter(PUBLISHED, org_unit__path__startswith=org.path).exists()
    ):
        raise Http404
    return org


def reachable_project_get(*, user: Any, pk: Any, following: bool = True) -> Project:
    """The project to follow (`policies.may_reach`: a published one, or one in the user's
    scope) or to stop following (also one the user already follows, whatever became of it).
    Anything else is 404, so that an unpublished project's existence is not revealed."""
    try:
        project = Project.objects.select_related("programme", "org_unit").get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if may_reach(user, project) or (not following and is_following(user, project)):
        return project
    raise Http404


def photo_for_view(*, user: Any, pk: Any, original: bool = False) -> Photo:
    """A photo the user may see (`policies.may_reach` of its project: any photo of a published
    project, or one of a project in the user's scope). The original (with its metadata) only
    for staff who may change the project."""
    try:
        # Bytes deferred: the caller reads the one size it serves.
        photo = Photo.objects.select_related("project").defer(*PHOTO_LIST_DEFER).get(pk=pk)
    except (Photo.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if original:
        if not policy.can(user, Action.CHANGE, photo.project):
            raise Http404
        return photo
    if may_reach(user, photo.project):
        return photo
    raise Http404
