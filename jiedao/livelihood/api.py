"""API of livelihood projects at /api/v1/livelihood/. Every read goes through a selector scoped
by the central policy and every write through a service.

No answer names a person who is not staff: a survey response carries its channel, collection
point and answers only; a proposer is a kind and a group's name; experts' names reach the
livelihood office only, and a stage move's actor is named to staff only. What a project's own
timeline shows anyone who may see the project (stage moves, parties, milestones, photos) comes
with the project; site surveys (they name who went) and spending follow their own rules.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from jiedao.accounts.models import PUBLIC_ROLES, Role
from jiedao.core import selectors as core_selectors
from jiedao.core.api import Pagination
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.livelihood import photos as photo_lib
from jiedao.livelihood import selectors, services
from jiedao.livelihood.models import (
    PERSON_PARTIES,
    STAGE_TRANSITIONS,
    Feasibility,
    Fund,
    MilestoneState,
    PartyKind,
    Photo,
    PhotoKind,
    PlaceKind,
    Programme,
    ProgrammeKind,
    Project,
    ProjectParty,
    ProposerKind,
    Question,
    QuestionKind,
    Response,
    ResponseAnswer,
    ResponseChannel,
    ReviewAssignment,
    SiteSurvey,
    Stage,
    Survey,
    SurveyStatus,
)
from jiedao.livelihood.policies import OFFICE

router = Router(tags=["livelihood"])

M = TypeVar("M", bound=models.Model)
MAX_ID = 2**31 - 1
ANSWERS_MAX = 200


def _one(qs: QuerySet[M], pk: int) -> M:
    """The row of a scoped queryset, or 404: outside the user's scope it does not exist."""
    obj = qs.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if obj is None:
        raise Http404
    return obj


def _text(value: str) -> str:
    return value.replace("\x00", "")


def _is_staff(user: Any) -> bool:
    """Staff see staff users' names; experts and public accounts do not."""
    return bool(policy.roles(user) - PUBLIC_ROLES - {Role.EXPERT})


def _is_office(user: Any) -> bool:
    """The livelihood office (and platform administrators) see experts' names."""
    return policy.has_role(user, OFFICE | {Role.PLATFORM_ADMIN})


def _request_user(context: Any) -> Any:
    request = (context or {}).get("request")
    return getattr(request, "user", None)


def _money(value: Any) -> Decimal:
    """Computed sums come back from the database as `0` or `1E+4`: always show cents."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _refused(exc: ValidationError) -> Status[Any]:
    """A refused move (422 `illegal_transition`) or a refused overdraw (422 `overdraw`)."""
    code = "overdraw" if isinstance(exc, services.Overdraw) else "illegal_transition"
    return Status(422, {"code": code, "message": " ".join(exc.messages)})


# --- schemas ------------------------------------------------------------------------------------
class ErrorOut(Schema):
    code: str
    message: str


class CriterionOut(Schema):
    id: int
    name: str
    weight: int
    max_score: int
    order: int


class ProgrammeOut(Schema):
    id: int
    org_unit_id: int
    org_unit_name: str = Field(..., alias="org_unit.name")
    kind: ProgrammeKind
    name: str
    brand: str
    description: str


class ProgrammeDetailOut(ProgrammeOut):
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj: Programme) -> list[Any]:
        return selectors.criteria_of(obj.pk)


class FundOut(Schema):
    id: int
    programme_id: int
    programme_name: str = Field(..., alias="programme.name")
    org_unit_id: int
    org_unit_name: str = Field(..., alias="org_unit.name")
    year: int
    amount: Decimal
    allocated: Decimal = Field(..., description=str(selectors.DEFINITIONS["allocated"]))
    spent: Decimal = Field(..., description=str(selectors.DEFINITIONS["spent"]))
    balance: Decimal = Field(..., description=str(selectors.DEFINITIONS["balance"]))
    note: str

    @staticmethod
    def resolve_allocated(obj: Any) -> Decimal:
        return _money(obj.allocated)

    @staticmethod
    def resolve_spent(obj: Any) -> Decimal:
        return _money(obj.spent)

    @staticmethod
    def resolve_balance(obj: Any) -> Decimal:
        return _money(obj.balance)


class _ProjectFigures(Schema):
    """Progress (from milestone weights) and spending of a project annotated by
    `selectors.with_project_figures`."""

    @staticmethod
    def resolve_progress(obj: Any) -> int:
        return selectors.progress_of(obj.total_weight, obj.done_weight)

    @staticmethod
    def resolve_spent(obj: Any) -> Decimal:
        return _money(obj.spent)


class FundProjectOut(_ProjectFigures):
    id: int
    title: str
    org_unit_id: int
    org_unit_name: str = Field(..., alias="org_unit.name")
    stage: Stage
    approved_on: date | None
    budget_allocated: Decimal | None
    spent: Decimal
    progress: int = Field(..., description=str(selectors.DEFINITIONS["progress"]))


class SpendingOut(Schema):
    id: int
    project_id: int
    date: date
    amount: Decimal
    payee: str
    description: str


class FundDetailOut(FundOut):
    projects: list[FundProjectOut] = Field(..., alias="ledger_projects")
    spendings: list[SpendingOut] = Field(..., alias="ledger_spendings")


class FundFiltersIn(Schema):
    programme: int | None = Field(None, ge=1, le=MAX_ID)
    year: int | None = Field(None, ge=2000, le=2100)


class FundIn(Schema):
    programme_id: int = Field(..., ge=1, le=MAX_ID)
    org_unit_id: int = Field(..., ge=1, le=MAX_ID)
    year: int = Field(..., ge=2000, le=2100)
    amount: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2)
    note: str = Field("", max_length=200)


class FundChangeIn(Schema):
    amount: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2)
    note: str = Field("", max_length=200)


class LivelihoodProjectOut(_ProjectFigures):
    id: int
    programme_id: int
    programme_kind: ProgrammeKind = Field(..., alias="programme.kind")
    org_unit_id: int
    org_unit_code: str = Field(..., alias="org_unit.code")
    org_unit_name: str = Field(..., alias="org_unit.name")
    year: int
    title: str
    theme: str
    place_kind: PlaceKind
    place_name: str
    address: str
    compound_id: int | None
    longitude: Decimal | None
    latitude: Decimal | None
    proposer_kind: ProposerKind
    proposer_name: str
    budget_requested: Decimal
    fund_id: int | None
    budget_allocated: Decimal | None
    spent: Decimal
    stage: Stage
    stage_changed_at: datetime | None
    proposed_on: date
    approved_on: date | None
    completed_on: date | None
    published: bool
    version: int
    previous_id: int | None
    progress: int = Field(..., description=str(selectors.DEFINITIONS["progress"]))

    @staticmethod
    def resolve_proposer_name(obj: Any, context: Any) -> str:
        """A resident proposer's name is for staff only (experts and residents see the kind)."""
        if obj.proposer_kind == ProposerKind.RESIDENT and not _is_staff(_request_user(context)):
            return ""
        return str(obj.proposer_name)


class PartyOut(Schema):
    id: int
    kind: PartyKind
    name: str
    role: str

    @staticmethod
    def resolve_name(obj: Any, context: Any) -> str:
        """Building-group leaders and volunteers are people: named to staff only."""
        if obj.kind in PERSON_PARTIES and not _is_staff(_request_user(context)):
            return str(PartyKind(obj.kind).label)
        return str(obj.name)


class PartyIn(Schema):
    kind: PartyKind
    name: str = Field(..., max_length=100)
    role: str = Field("", max_length=200)


class LivelihoodTransitionOut(Schema):
    from_stage: str
    to_stage: Stage
    at: datetime = Field(..., alias="created_at")
    note: str
    actor_name: str | None = Field(None, description="staff only")

    @staticmethod
    def resolve_actor_name(obj: Any, context: Any) -> str | None:
        if obj.actor is None or not _is_staff(_request_user(context)):
            return None
        if getattr(obj, "by_proposer", False):  # a resident's own proposal: not named
            return None
        return str(obj.actor)


class LivelihoodProjectDetailOut(LivelihoodProjectOut):
    description: str
    closing_reason: str
    total_weight: int
    done_weight: int
    parties: list[PartyOut] = Field(..., alias="party_list")
    next_version_ids: list[int]
    transitions: list[LivelihoodTransitionOut] = Field(..., alias="transition_list")
    next_stages: list[Stage] = Field(..., description="the stages the map allows next")

    @staticmethod
    def resolve_next_stages(obj: Project) -> list[str]:
        return sorted(STAGE_TRANSITIONS.get(obj.stage, frozenset()))


class ProjectFiltersIn(Schema):
    programme: int | None = Field(None, ge=1, le=MAX_ID)
    stage: str = Field("", max_length=20, description="a stage, or `open` / `funded`")
    year: int | None = Field(None, ge=2000, le=2100)
    org: str = Field("", max_length=50, description="org unit code: its projects and below")
    fund: int | None = Field(None, ge=1, le=MAX_ID)
    q: str = Field("", max_length=100)


class ProjectIn(Schema):
    programme_id: int = Field(..., ge=1, le=MAX_ID)
    org_unit_id: int = Field(..., ge=1, le=MAX_ID)
    title: str = Field(..., max_length=100)
    place_name: str = Field(..., max_length=100)
    place_kind: PlaceKind = PlaceKind.COMPOUND
    theme: str = Field("", max_length=100)
    description: str = Field("", max_length=10000)
    address: str = Field("", max_length=200)
    compound_id: int | None = Field(None, ge=1, le=MAX_ID)
    longitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    latitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    proposer_kind: ProposerKind = ProposerKind.COMMITTEE
    proposer_name: str = Field("", max_length=100)
    budget_requested: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    year: int | None = Field(None, ge=2000, le=2100, description="default: year of proposal")
    proposed_on: date | None = None
    published: bool = False
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)


class ProjectPatch(Schema):
    title: str | None = Field(None, max_length=100)
    place_name: str | None = Field(None, max_length=100)
    place_kind: PlaceKind | None = None
    theme: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=10000)
    address: str | None = Field(None, max_length=200)
    compound_id: int | None = Field(None, ge=1, le=MAX_ID)
    longitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    latitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    proposer_kind: ProposerKind | None = None
    proposer_name: str | None = Field(None, max_length=100)
    budget_requested: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    year: int | None = Field(None, ge=2000, le=2100)


class ProposeIn(Schema):
    programme_id: int = Field(..., ge=1, le=MAX_ID)
    title: str = Field(..., max_length=100)
    place_name: str = Field(..., max_length=100)
    description: str = Field(..., max_length=4000)
    theme: str = Field("", max_length=100)
    budget_requested: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)


class LivelihoodTransitionIn(Schema):
    to_stage: str = Field(..., max_length=20)
    note: str = Field("", max_length=2000)


class ApproveIn(Schema):
    fund_id: int = Field(..., ge=1, le=MAX_ID)
    amount: Decimal = Field(..., gt=0, max_digits=12, decimal_places=2)
    note: str = Field("", max_length=2000)


class PublishIn(Schema):
    published: bool = True


class NextVersionIn(Schema):
    title: str = Field(..., max_length=100)
    year: int | None = Field(None, ge=2000, le=2100)
    description: str = Field("", max_length=10000)
    proposed_on: date | None = None


class FollowOut(Schema):
    project_id: int
    following: bool


class SiteSurveyOut(Schema):
    id: int
    project_id: int
    date: date
    leaders: str
    staff: str
    residents: str
    findings: str


class SiteSurveyIn(Schema):
    date: date
    findings: str = Field(..., max_length=10000)
    leaders: str = Field("", max_length=200)
    staff: str = Field("", max_length=200)
    residents: str = Field("", max_length=200)


class QuestionOut(Schema):
    id: int
    order: int
    kind: QuestionKind
    text: str
    choices: list[str]
    scale_min: int
    scale_max: int
    required: bool


class QuestionIn(Schema):
    kind: QuestionKind
    text: str = Field(..., max_length=300)
    choices: list[str] = Field(default_factory=list, max_length=50)
    scale_min: int = Field(1, ge=0, le=10)
    scale_max: int = Field(5, ge=0, le=10)
    required: bool = True


class ProjectScopeIn(Schema):
    project: int | None = Field(None, ge=1, le=MAX_ID)


class SurveyOut(Schema):
    id: int
    project_id: int
    project_title: str = Field(..., alias="project.title")
    title: str
    intro: str
    status: SurveyStatus
    opened_at: datetime | None
    closes_on: date | None
    closed_at: datetime | None
    response_count: int = Field(..., description="answers received (their contents stay sealed)")


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj: Survey) -> list[Question]:
        return list(obj.questions.all())


class SurveyIn(Schema):
    project_id: int = Field(..., ge=1, le=MAX_ID)
    title: str = Field(..., max_length=200)
    intro: str = Field("", max_length=5000)
    closes_on: date | None = None
    questions: list[QuestionIn] = Field(default_factory=list, max_length=100)


AnswerValue = str | int | list[str] | None


class ResponseIn(Schema):
    answers: dict[str, AnswerValue] = Field(
        ...,
        max_length=ANSWERS_MAX,
        description="question id → a choice, a list of choices, a score or a text",
    )


class PaperIn(ResponseIn):
    collection_point: str = Field(..., max_length=100)


class AnswerOut(Schema):
    id: int
    question_id: int
    choices: list[str]
    number: int | None
    text: str
    published: bool


class ResponseOut(Schema):
    """One set of answers. Who answered is never part of it."""

    id: int
    survey_id: int
    channel: ResponseChannel
    collection_point: str
    created_at: datetime
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(obj: Response) -> list[ResponseAnswer]:
        return list(obj.answers.all())


class ChoiceCountOut(Schema):
    choice: str
    online: int
    paper: int
    total: int


class ScaleCountOut(Schema):
    value: int
    count: int


class TextAnswerOut(Schema):
    id: int
    text: str
    published: bool
    channel: ResponseChannel


class QuestionResultOut(Schema):
    question_id: int
    kind: QuestionKind
    text: str
    answered: int
    choices: list[ChoiceCountOut]
    mean: float | None
    distribution: list[ScaleCountOut]
    texts: list[TextAnswerOut] = Field(
        ..., description="staff: all free-text answers; others: the published ones"
    )
    unpublished: int


class CollectionPointOut(Schema):
    name: str
    count: int


class SurveyResultsOut(Schema):
    survey_id: int
    online: int
    paper: int
    total: int
    questions: list[QuestionResultOut]
    collection_points: list[CollectionPointOut]


class ScoreOut(Schema):
    criterion_id: int
    score: Decimal


class ReviewOut(Schema):
    id: int
    project_id: int
    project_title: str = Field(..., alias="project.title")
    project_stage: Stage = Field(..., alias="project.stage")
    expert_id: int
    expert_name: str | None = Field(None, description="the livelihood office only")
    due_on: date | None
    submitted_at: datetime | None
    feasibility: str
    cost_estimate: Decimal | None
    reasons: str
    scores: list[ScoreOut]

    @staticmethod
    def resolve_expert_name(obj: ReviewAssignment, context: Any) -> str | None:
        return str(obj.expert) if _is_office(_request_user(context)) else None

    @staticmethod
    def resolve_scores(obj: ReviewAssignment) -> list[Any]:
        return list(obj.scores.all())


class ReviewDetailOut(ReviewOut):
    criteria: list[CriterionOut] = Field(..., description="what to score")

    @staticmethod
    def resolve_criteria(obj: ReviewAssignment) -> list[Any]:
        return selectors.criteria_of(obj.project.programme_id)


class ReviewFiltersIn(ProjectScopeIn):
    pending: bool = Field(False, description="only those not yet submitted")


class ReviewAssignIn(Schema):
    project_id: int = Field(..., ge=1, le=MAX_ID)
    expert_id: int = Field(..., ge=1, le=MAX_ID)
    due_on: date | None = None


class ReviewSubmitIn(Schema):
    scores: dict[int, Decimal] = Field(..., max_length=50, description="criterion id → score")
    feasibility: Feasibility
    cost_estimate: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2)
    reasons: str = Field(..., max_length=10000)


class ExpertTotalOut(Schema):
    review_id: int
    expert_id: int
    expert_name: str | None = Field(None, description="the livelihood office only")
    total: float = Field(..., description="weighted score out of 100")
    feasibility: str
    cost_estimate: Decimal | None


class CriterionMeanOut(Schema):
    criterion_id: int
    name: str
    weight: int
    max_score: int
    mean: float | None


class FeasibilityCountOut(Schema):
    feasibility: Feasibility
    count: int


class ReviewSummaryOut(Schema):
    project_id: int
    assigned: int
    submitted: int
    pending_review_ids: list[int]
    per_expert: list[ExpertTotalOut]
    per_criterion: list[CriterionMeanOut]
    mean_total: float | None
    feasibility: list[FeasibilityCountOut]
    cost_mean: Decimal | None
    cost_min: Decimal | None
    cost_max: Decimal | None


class MilestoneOut(Schema):
    id: int
    project_id: int
    order: int
    title: str
    planned_on: date | None
    done_on: date | None
    weight: int
    state: MilestoneState


class MilestonesOut(Schema):
    project_id: int
    total_weight: int
    done_weight: int
    progress: int = Field(..., description=str(selectors.DEFINITIONS["progress"]))
    milestones: list[MilestoneOut]


class MilestoneIn(Schema):
    title: str = Field(..., max_length=100)
    planned_on: date | None = None
    weight: int = Field(1, ge=1, le=1000)


class MilestoneStateIn(Schema):
    state: MilestoneState
    done_on: date | None = None


class SpendingIn(Schema):
    date: date
    amount: Decimal = Field(..., gt=0, max_digits=12, decimal_places=2)
    description: str = Field(..., max_length=200)
    payee: str = Field("", max_length=100)


class PhotoOut(Schema):
    id: int
    project_id: int
    kind: PhotoKind
    spot: str
    caption: str
    taken_on: date | None
    width: int
    height: int
    before_id: int | None
    site_survey_id: int | None
    thumb_url: str
    display_url: str

    @staticmethod
    def resolve_thumb_url(obj: Photo) -> str:
        return reverse("livelihood_photo", args=[obj.pk, "thumb"])

    @staticmethod
    def resolve_display_url(obj: Photo) -> str:
        return reverse("livelihood_photo", args=[obj.pk, "display"])


class PhotoIn(Schema):
    kind: PhotoKind
    spot: str = Field("", max_length=100)
    caption: str = Field("", max_length=200)
    taken_on: date | None = None
    before_id: int | None = Field(None, ge=1, le=MAX_ID, description="an after photo's before")
    site_survey_id: int | None = Field(None, ge=1, le=MAX_ID)


# --- programmes ---------------------------------------------------------------------------------
@router.get("/programmes", response=list[ProgrammeOut])
@paginate(Pagination)
def programmes(request: HttpRequest) -> Any:
    return selectors.programme_list(user=request.user)


@router.get("/programmes/{programme_id}", response=ProgrammeDetailOut)
def programme(request: HttpRequest, programme_id: int) -> Programme:
    return selectors.programme_get(user=request.user, pk=programme_id)


# --- funds --------------------------------------------------------------------------------------
@router.get("/funds", response=list[FundOut])
@paginate(Pagination)
def funds(request: HttpRequest, filters: Query[FundFiltersIn]) -> Any:
    return selectors.fund_list(user=request.user, programme=filters.programme, year=filters.year)


def _fund_detail(user: Any, pk: int) -> Fund:
    obj: Any = selectors.fund_get(user=user, pk=pk)
    ledger = selectors.fund_ledger(obj)
    obj.ledger_projects = ledger["projects"]
    obj.ledger_spendings = ledger["spendings"]
    return obj  # type: ignore[no-any-return]


@router.get("/funds/{fund_id}", response=FundDetailOut)
def fund(request: HttpRequest, fund_id: int) -> Fund:
    return _fund_detail(request.user, fund_id)


@router.post(
    "/funds",
    response={200: FundDetailOut, 201: FundDetailOut, 422: ErrorOut},
    description="Create the programme's fund for a year and unit (201), or change the amount of "
    "the one there is (200). An amount below what approved projects hold answers 422 "
    "`overdraw`.",
)
def fund_save(request: HttpRequest, payload: FundIn) -> Status[Any]:
    user = request.user
    target = selectors.programme_get(user=user, pk=payload.programme_id)
    org = _one(core_selectors.org_unit_list(user=user), payload.org_unit_id)
    existed = (
        selectors.fund_list(user=user, programme=target.pk, year=payload.year)
        .filter(org_unit=org)
        .exists()
    )
    try:
        saved = services.fund_save(
            actor=user,
            programme=target,
            org_unit=org,
            year=payload.year,
            amount=payload.amount,
            note=_text(payload.note),
        )
    except services.Overdraw as exc:
        return _refused(exc)
    return Status(200 if existed else 201, _fund_detail(user, saved.pk))


@router.post(
    "/funds/{fund_id}",
    response={200: FundDetailOut, 422: ErrorOut},
    description="Change a fund's amount; below what approved projects hold answers 422 `overdraw`.",
)
def fund_change(request: HttpRequest, fund_id: int, payload: FundChangeIn) -> Status[Any]:
    user = request.user
    target = selectors.fund_get(user=user, pk=fund_id)
    try:
        services.fund_save(
            actor=user,
            programme=target.programme,
            org_unit=target.org_unit,
            year=target.year,
            amount=payload.amount,
            note=_text(payload.note),
        )
    except services.Overdraw as exc:
        return _refused(exc)
    return Status(200, _fund_detail(user, fund_id))


# --- projects -----------------------------------------------------------------------------------
def _project_detail(user: Any, pk: int) -> Project:
    obj: Any = selectors.project_get(user=user, pk=pk)
    obj.party_list = list(obj.parties.all())
    obj.next_version_ids = list(
        obj.next_versions.order_by("version", "id").values_list("pk", flat=True)
    )
    obj.transition_list = list(obj.transitions.select_related("actor"))
    for t in obj.transition_list:
        t.by_proposer = obj.proposed_by_id is not None and t.actor_id == obj.proposed_by_id
    return obj  # type: ignore[no-any-return]


def _project_data(payload: Schema, user: Any) -> dict[str, Any]:
    """The service's `data` from a create or patch body (only the fields given)."""
    data = payload.dict(exclude_unset=True)
    data.pop("programme_id", None)
    data.pop("org_unit_id", None)
    data.pop("parties", None)
    data.pop("published", None)
    data.pop("proposed_on", None)
    if "compound_id" in data:
        compound_id = data.pop("compound_id")
        data["compound"] = (
            core_selectors.compound_get(user=user, pk=compound_id) if compound_id else None
        )
    for key, value in list(data.items()):
        if isinstance(value, str):
            data[key] = _text(value)
    return data


@router.get("/projects", response=list[LivelihoodProjectOut])
@paginate(Pagination)
def projects(request: HttpRequest, filters: Query[ProjectFiltersIn]) -> Any:
    user = request.user
    org_path = ""
    if filters.org:
        found = (
            core_selectors.org_unit_list(user=user)
            .filter(code=_text(filters.org))
            .values_list("path", flat=True)
            .first()
        )
        if found is None:
            return Project.objects.none()
        org_path = found
    return selectors.project_list(
        user=user,
        programme=filters.programme,
        stage=_text(filters.stage),
        year=filters.year,
        org=org_path,
        fund=filters.fund,
        q=_text(filters.q).strip(),
    )


# Before "/projects/{project_id}", whose pattern would take "propose" too.
@router.post(
    "/projects/propose",
    response={201: LivelihoodProjectDetailOut},
    description="A resident proposes a project for their own committee. It stays unpublished "
    "until staff publish it and names no one: the proposer is a resident.",
)
def project_propose(request: HttpRequest, payload: ProposeIn) -> Status[Project]:
    user = request.user
    # The programmes of the resident's own subdistrict (404 for any other).
    target = _one(selectors.programmes_for_resident(user), payload.programme_id)
    proposed = services.project_propose(
        actor=user,
        programme=target,
        title=_text(payload.title),
        place_name=_text(payload.place_name),
        description=_text(payload.description),
        budget_requested=payload.budget_requested,
        theme=_text(payload.theme),
    )
    return Status(201, _project_detail(user, proposed.pk))


@router.get("/projects/{project_id}", response=LivelihoodProjectDetailOut)
def project(request: HttpRequest, project_id: int) -> Project:
    return _project_detail(request.user, project_id)


@router.post(
    "/projects",
    response={201: LivelihoodProjectDetailOut},
    description="Staff register a project for a committee (or the subdistrict itself).",
)
def project_create(request: HttpRequest, payload: ProjectIn) -> Status[Project]:
    user = request.user
    target = selectors.programme_get(user=user, pk=payload.programme_id)
    org = _one(core_selectors.org_unit_list(user=user), payload.org_unit_id)
    created = services.project_create(
        actor=user,
        programme=target,
        org_unit=org,
        data=_project_data(payload, user),
        proposed_on=payload.proposed_on,
        parties=[(p.kind, _text(p.name), _text(p.role)) for p in payload.parties],
        published=payload.published,
    )
    return Status(201, _project_detail(user, created.pk))


@router.patch("/projects/{project_id}", response=LivelihoodProjectDetailOut)
def project_update(request: HttpRequest, project_id: int, payload: ProjectPatch) -> Project:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    services.project_update(actor=user, project=target, data=_project_data(payload, user))
    return _project_detail(user, project_id)


@router.post(
    "/projects/{project_id}/transitions",
    response={200: LivelihoodProjectDetailOut, 422: ErrorOut},
    description="Move the project along its stage map (`note` is the reason for rejected, "
    "withdrawn and evaluated). An illegal move, or one whose records are missing, answers 422 "
    "with code `illegal_transition`. Approving goes through `/approve`.",
)
def project_transition(
    request: HttpRequest, project_id: int, payload: LivelihoodTransitionIn
) -> Status[Any]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    try:
        services.project_transition(
            actor=user, project=target, to_stage=_text(payload.to_stage), note=_text(payload.note)
        )
    except (services.IllegalTransition, services.Overdraw) as exc:
        return _refused(exc)
    return Status(200, _project_detail(user, project_id))


@router.post(
    "/projects/{project_id}/approve",
    response={200: LivelihoodProjectDetailOut, 422: ErrorOut},
    description="The livelihood office approves the project, allocating `amount` from the fund. "
    "An approval the fund's balance cannot cover answers 422 `overdraw`; one the stage map "
    "refuses, 422 `illegal_transition`.",
)
def project_approve(request: HttpRequest, project_id: int, payload: ApproveIn) -> Status[Any]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    source = selectors.fund_get(user=user, pk=payload.fund_id)
    try:
        services.project_approve(
            actor=user,
            project=target,
            fund=source,
            amount=payload.amount,
            note=_text(payload.note),
        )
    except (services.IllegalTransition, services.Overdraw) as exc:
        return _refused(exc)
    return Status(200, _project_detail(user, project_id))


@router.post("/projects/{project_id}/publish", response=LivelihoodProjectDetailOut)
def project_publish(request: HttpRequest, project_id: int, payload: PublishIn) -> Project:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    services.project_publish(actor=user, project=target, published=payload.published)
    return _project_detail(user, project_id)


@router.post(
    "/projects/{project_id}/next-version",
    response={201: LivelihoodProjectDetailOut, 422: ErrorOut},
    description="Start the next version of a completed project: same place, committee and "
    "parties, linked both ways. Before completion it answers 422 `illegal_transition`.",
)
def project_next_version(
    request: HttpRequest, project_id: int, payload: NextVersionIn
) -> Status[Any]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    try:
        new = services.project_next_version(
            actor=user,
            project=target,
            title=_text(payload.title),
            year=payload.year,
            description=_text(payload.description),
            proposed_on=payload.proposed_on,
        )
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(201, _project_detail(user, new.pk))


@router.get("/projects/{project_id}/parties", response=list[PartyOut])
def parties(request: HttpRequest, project_id: int) -> list[ProjectParty]:
    target = selectors.project_get(user=request.user, pk=project_id)
    return list(target.parties.all())


@router.post("/projects/{project_id}/parties", response={201: PartyOut})
def party_add(request: HttpRequest, project_id: int, payload: PartyIn) -> Status[ProjectParty]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    party = services.party_add(
        actor=user,
        project=target,
        kind=payload.kind,
        name=_text(payload.name),
        role=_text(payload.role),
    )
    return Status(201, party)


@router.post(
    "/projects/{project_id}/follow",
    response=FollowOut,
    description="Follow a published project, or one in your scope; any other answers 404.",
)
def follow(request: HttpRequest, project_id: int) -> dict[str, Any]:
    target = selectors.reachable_project_get(user=request.user, pk=project_id)
    following = services.follow_set(actor=request.user, project=target, following=True)
    return {"project_id": target.pk, "following": following}


@router.delete(
    "/projects/{project_id}/follow",
    response=FollowOut,
    description="Stop following a project: one you may follow, or one you already follow.",
)
def unfollow(request: HttpRequest, project_id: int) -> dict[str, Any]:
    target = selectors.reachable_project_get(user=request.user, pk=project_id, following=False)
    following = services.follow_set(actor=request.user, project=target, following=False)
    return {"project_id": target.pk, "following": following}


# --- site surveys -------------------------------------------------------------------------------
@router.get("/projects/{project_id}/site-surveys", response=list[SiteSurveyOut])
@paginate(Pagination)
def site_surveys(request: HttpRequest, project_id: int) -> Any:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    return selectors.site_surveys_of(user=user, project=target)


@router.post("/projects/{project_id}/site-surveys", response={201: SiteSurveyOut})
def site_survey_add(
    request: HttpRequest, project_id: int, payload: SiteSurveyIn
) -> Status[SiteSurvey]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    survey = services.site_survey_record(
        actor=user,
        project=target,
        day=payload.date,
        findings=_text(payload.findings),
        leaders=_text(payload.leaders),
        staff=_text(payload.staff),
        residents=_text(payload.residents),
    )
    return Status(201, survey)


# --- opinion surveys ----------------------------------------------------------------------------
@router.get("/surveys", response=list[SurveyOut])
@paginate(Pagination)
def surveys(request: HttpRequest, filters: Query[ProjectScopeIn]) -> Any:
    user = request.user
    target = selectors.project_get(user=user, pk=filters.project) if filters.project else None
    return selectors.survey_list(user=user, project=target)


def _survey_detail(user: Any, pk: int) -> Survey:
    return _one(selectors.survey_list(user=user), pk)


@router.get("/surveys/{survey_id}", response=SurveyDetailOut)
def survey(request: HttpRequest, survey_id: int) -> Survey:
    return _survey_detail(request.user, survey_id)


@router.post("/surveys", response={201: SurveyDetailOut})
def survey_create(request: HttpRequest, payload: SurveyIn) -> Status[Survey]:
    user = request.user
    target = selectors.project_get(user=user, pk=payload.project_id)
    created = services.survey_create(
        actor=user,
        project=target,
        title=_text(payload.title),
        intro=_text(payload.intro),
        closes_on=payload.closes_on,
        questions=[_question(q) for q in payload.questions],
    )
    return Status(201, _survey_detail(user, created.pk))


def _question(q: QuestionIn) -> dict[str, Any]:
    return {
        "kind": q.kind,
        "text": _text(q.text),
        "choices": [_text(c)[:100] for c in q.choices],
        "scale_min": q.scale_min,
        "scale_max": q.scale_max,
        "required": q.required,
    }


@router.post(
    "/surveys/{survey_id}/questions",
    response={201: QuestionOut, 422: ErrorOut},
    description="Add a question to a draft survey; once it is open, 422 `illegal_transition`.",
)
def question_add(request: HttpRequest, survey_id: int, payload: QuestionIn) -> Status[Any]:
    user = request.user
    target = selectors.survey_get(user=user, pk=survey_id)
    try:
        question = services.question_add(actor=user, survey=target, question=_question(payload))
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(201, question)


@router.post(
    "/surveys/{survey_id}/open",
    response={200: SurveyDetailOut, 422: ErrorOut},
    description="Open a draft survey for answers; otherwise 422 `illegal_transition`.",
)
def survey_open(request: HttpRequest, survey_id: int) -> Status[Any]:
    user = request.user
    target = selectors.survey_get(user=user, pk=survey_id)
    try:
        services.survey_open(actor=user, survey=target)
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(200, _survey_detail(user, survey_id))


@router.post(
    "/surveys/{survey_id}/close",
    response={200: SurveyDetailOut, 422: ErrorOut},
    description="Close an open survey: its results are shown from now on. Otherwise 422 "
    "`illegal_transition`.",
)
def survey_close(request: HttpRequest, survey_id: int) -> Status[Any]:
    user = request.user
    target = selectors.survey_get(user=user, pk=survey_id)
    try:
        services.survey_close(actor=user, survey=target)
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(200, _survey_detail(user, survey_id))


def _results(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "survey_id": data["survey"].pk,
        "online": data["online"],
        "paper": data["paper"],
        "total": data["total"],
        "questions": [
            {
                "question_id": r.question.pk,
                "kind": r.question.kind,
                "text": r.question.text,
                "answered": r.answered,
                "choices": [
                    {"choice": c, "online": on, "paper": pa, "total": t}
                    for c, on, pa, t in r.choices
                ],
                "mean": r.mean,
                "distribution": [{"value": v, "count": n} for v, n in r.distribution],
                "texts": [
                    {
                        "id": a.pk,
                        "text": a.text,
                        "published": a.published,
                        "channel": a.response.channel,
                    }
                    for a in r.texts
                ],
                "unpublished": r.unpublished,
            }
            for r in data["questions"]
        ],
        "collection_points": [{"name": name, "count": n} for name, n in data["collection_points"]],
    }


@router.get(
    "/surveys/{survey_id}/results",
    response={200: SurveyResultsOut, 409: ErrorOut},
    description="The aggregated answers, online and paper counted apart. Sealed until the "
    "survey is closed: before that, 409 `sealed`. Staff see every free-text answer, residents "
    "the published ones.",
)
def survey_results(request: HttpRequest, survey_id: int) -> Status[Any]:
    user = request.user
    target = selectors.survey_get(user=user, pk=survey_id)
    try:
        data = selectors.survey_results(target, public=not _is_staff(user))
    except selectors.Sealed:
        return Status(409, {"code": "sealed", "message": _("征询结束后才公布结果。")})
    return Status(200, _results(data))


@router.get(
    "/surveys/{survey_id}/responses",
    response=list[ResponseOut],
    description="Individual answers, without who gave them: staff once the survey is closed, "
    "a resident their own.",
)
@paginate(Pagination)
def responses(request: HttpRequest, survey_id: int) -> Any:
    user = request.user
    target = selectors.survey_get(user=user, pk=survey_id)
    return selectors.response_list(user=user, survey=target)


@router.get("/surveys/{survey_id}/responses/mine", response=ResponseOut)
def response_mine(request: HttpRequest, survey_id: int) -> Response:
    user = request.user
    target = selectors.survey_get(user=user, pk=survey_id)
    mine = selectors.my_response(target, user)
    if mine is None:
        raise Http404
    return mine


@router.post(
    "/surveys/{survey_id}/responses",
    response={201: ResponseOut, 422: ErrorOut},
    description="A resident answers an open survey of their committee, once: a second answer is "
    "422 `duplicate`, a survey not open 422 `illegal_transition`.",
)
def response_submit(request: HttpRequest, survey_id: int, payload: ResponseIn) -> Status[Any]:
    user = request.user
    target = selectors.survey_get(user=user, pk=survey_id)
    try:
        given = services.response_submit_online(
            actor=user, survey=target, answers=_answers(payload)
        )
    except services.IllegalTransition as exc:
        return _refused(exc)
    except ValidationError as exc:
        if getattr(exc, "code", None) == "duplicate":
            return Status(422, {"code": "duplicate", "message": " ".join(exc.messages)})
        raise
    return Status(201, given)


def _answers(payload: ResponseIn) -> dict[str, Any]:
    def clean(value: AnswerValue) -> Any:
        if isinstance(value, str):
            return _text(value)
        if isinstance(value, list):
            return [_text(v) for v in value[:50]]
        return value

    return {key: clean(value) for key, value in payload.answers.items()}


@router.post(
    "/surveys/{survey_id}/paper",
    response={201: ResponseOut, 422: ErrorOut},
    description="Committee staff type in a paper form with the point where it was collected; a "
    "survey not open answers 422 `illegal_transition`.",
)
def paper_enter(request: HttpRequest, survey_id: int, payload: PaperIn) -> Status[Any]:
    user = request.user
    target = selectors.survey_get(user=user, pk=survey_id)
    try:
        entered = services.response_enter_paper(
            actor=user,
            survey=target,
            answers=_answers(payload),
            collection_point=_text(payload.collection_point),
        )
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(201, entered)


@router.post(
    "/answers/{answer_id}/publish",
    response=AnswerOut,
    description="Staff let a free-text answer reach the public page (or take it back).",
)
def answer_publish(request: HttpRequest, answer_id: int, payload: PublishIn) -> ResponseAnswer:
    user = request.user
    # Reachable only through a response the user may read (staff: of a closed survey).
    answer = selectors.answer_get(user=user, pk=answer_id)
    return services.answer_publish(actor=user, answer=answer, published=payload.published)


# --- expert reviews -----------------------------------------------------------------------------
@router.get(
    "/reviews",
    response=list[ReviewOut],
    description="An expert: their own assignments; the office: all of its projects'.",
)
@paginate(Pagination)
def reviews(request: HttpRequest, filters: Query[ReviewFiltersIn]) -> Any:
    user = request.user
    target = selectors.project_get(user=user, pk=filters.project) if filters.project else None
    qs = selectors.review_list(user=user, project=target).prefetch_related("scores")
    return qs.filter(submitted_at__isnull=True) if filters.pending else qs


@router.get("/reviews/{review_id}", response=ReviewDetailOut)
def review(request: HttpRequest, review_id: int) -> ReviewAssignment:
    return selectors.review_get(user=request.user, pk=review_id)


@router.post(
    "/reviews",
    response={201: ReviewDetailOut, 422: ErrorOut},
    description="The office asks an expert to review a project (in opinion survey or expert "
    "review; otherwise 422 `illegal_transition`). `expert_id` must name an expert of the "
    "project's subdistrict or above; any other id answers 404.",
)
def review_assign(request: HttpRequest, payload: ReviewAssignIn) -> Status[Any]:
    user = request.user
    target = selectors.project_get(user=user, pk=payload.project_id)
    if not services.is_office(user, target):
        raise NotPermitted(Action.CHANGE)
    # Only the experts the office may invite: an unknown id, another subdistrict's expert and
    # an account that is no expert all answer 404 alike, so none of them is revealed.
    expert = _one(selectors.experts_for(target), payload.expert_id)
    try:
        assignment = services.review_assign(
            actor=user, project=target, expert=expert, due_on=payload.due_on
        )
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(201, selectors.review_get(user=user, pk=assignment.pk))


@router.post(
    "/reviews/{review_id}/submit",
    response={200: ReviewDetailOut, 422: ErrorOut},
    description="The assigned expert scores every criterion and gives feasibility, a cost "
    "estimate and reasons; outside expert review, 422 `illegal_transition`.",
)
def review_submit(request: HttpRequest, review_id: int, payload: ReviewSubmitIn) -> Status[Any]:
    user = request.user
    assignment = selectors.review_get(user=user, pk=review_id)
    try:
        services.review_submit(
            actor=user,
            assignment=assignment,
            scores=payload.scores,
            feasibility=payload.feasibility,
            cost_estimate=payload.cost_estimate,
            reasons=_text(payload.reasons),
        )
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(200, selectors.review_get(user=user, pk=review_id))


@router.get(
    "/projects/{project_id}/review-summary",
    response=ReviewSummaryOut,
    description="The combined result of the submitted reviews, for the office and leaders.",
)
def review_summary(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    # Granted by role over the project's unit: an expert's own assignment does not count.
    if not policy.can_in_org(user, ReviewAssignment, Action.VIEW, target.org_unit):
        raise NotPermitted(Action.VIEW)
    data = selectors.review_summary(target)
    names = _is_office(user)
    return {
        "project_id": target.pk,
        "assigned": data["assigned"],
        "submitted": data["submitted"],
        "pending_review_ids": [a.pk for a in data["pending"]],
        "per_expert": [
            {
                "review_id": a.pk,
                "expert_id": a.expert_id,
                "expert_name": str(a.expert) if names else None,
                "total": total,
                "feasibility": a.feasibility,
                "cost_estimate": a.cost_estimate,
            }
            for a, total in data["per_expert"]
        ],
        "per_criterion": [
            {
                "criterion_id": c.pk,
                "name": c.name,
                "weight": c.weight,
                "max_score": c.max_score,
                "mean": mean,
            }
            for c, mean in data["per_criterion"]
        ],
        "mean_total": data["mean_total"],
        "feasibility": [{"feasibility": f, "count": n} for f, n in data["feasibility"]],
        "cost_mean": data["cost_mean"],
        "cost_min": data["cost_min"],
        "cost_max": data["cost_max"],
    }


# --- works: milestones, spending, photos --------------------------------------------------------
@router.get("/projects/{project_id}/milestones", response=MilestonesOut)
def milestones(request: HttpRequest, project_id: int) -> dict[str, Any]:
    target: Any = selectors.project_get(user=request.user, pk=project_id)
    return {
        "project_id": target.pk,
        "total_weight": target.total_weight,
        "done_weight": target.done_weight,
        "progress": selectors.progress_of(target.total_weight, target.done_weight),
        "milestones": list(target.milestones.all()),
    }


@router.post(
    "/projects/{project_id}/milestones",
    response={201: MilestoneOut, 422: ErrorOut},
    description="Add a milestone (after approval, before completion; otherwise 422 "
    "`illegal_transition`).",
)
def milestone_add(request: HttpRequest, project_id: int, payload: MilestoneIn) -> Status[Any]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    try:
        made = services.milestone_add(
            actor=user,
            project=target,
            title=_text(payload.title),
            planned_on=payload.planned_on,
            weight=payload.weight,
        )
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(201, made)


@router.post(
    "/milestones/{milestone_id}/state",
    response={200: MilestoneOut, 422: ErrorOut},
    description="Set a milestone's state (`done` records `done_on`, today by default).",
)
def milestone_state(
    request: HttpRequest, milestone_id: int, payload: MilestoneStateIn
) -> Status[Any]:
    user = request.user
    ms = selectors.milestone_get(user=user, pk=milestone_id)
    try:
        services.milestone_set_state(
            actor=user, milestone=ms, state=payload.state, done_on=payload.done_on
        )
    except services.IllegalTransition as exc:
        return _refused(exc)
    return Status(200, ms)


@router.get("/projects/{project_id}/spending", response=list[SpendingOut])
@paginate(Pagination)
def spending(request: HttpRequest, project_id: int) -> Any:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    return selectors.spendings_of(user=user, project=target)


@router.post(
    "/projects/{project_id}/spending",
    response={201: SpendingOut, 422: ErrorOut},
    description="The office records money spent. More than the project's allocation answers 422 "
    "`overdraw`; before approval, 422 `illegal_transition`.",
)
def spending_add(request: HttpRequest, project_id: int, payload: SpendingIn) -> Status[Any]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    try:
        entry = services.spending_record(
            actor=user,
            project=target,
            day=payload.date,
            amount=payload.amount,
            description=_text(payload.description),
            payee=_text(payload.payee),
        )
    except (services.IllegalTransition, services.Overdraw) as exc:
        return _refused(exc)
    return Status(201, entry)


@router.get(
    "/projects/{project_id}/photos",
    response=list[PhotoOut],
    description="The project's photos (metadata and links; the files are served by the pages).",
)
@paginate(Pagination)
def photos(request: HttpRequest, project_id: int) -> Any:
    target = selectors.project_get(user=request.user, pk=project_id)
    return selectors.photos_of(target)


@router.post(
    "/projects/{project_id}/photos",
    response={201: PhotoOut},
    description="Upload a photo (multipart `file`). Only real JPEG, PNG or WebP pictures are "
    "accepted, whatever the file is called; the pages show a resized copy without metadata.",
)
def photo_upload(
    request: HttpRequest,
    project_id: int,
    payload: Form[PhotoIn],
    file: File[UploadedFile],
) -> Status[Photo]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    before = (
        _one(
            Photo.objects.defer(*selectors.PHOTO_LIST_DEFER).filter(project=target),
            payload.before_id,
        )
        if payload.before_id is not None
        else None
    )
    site_survey = (
        _one(SiteSurvey.objects.filter(project=target), payload.site_survey_id)
        if payload.site_survey_id is not None
        else None
    )
    # One byte past the limit is enough for the service to refuse an oversized file.
    data = file.read(photo_lib.max_bytes() + 1)
    photo = services.photo_upload(
        actor=user,
        project=target,
        data=data,
        name=_text(file.name or ""),
        kind=payload.kind,
        spot=_text(payload.spot),
        caption=_text(payload.caption),
        taken_on=payload.taken_on,
        before=before,
        site_survey=site_survey,
    )
    return Status(201, photo)
