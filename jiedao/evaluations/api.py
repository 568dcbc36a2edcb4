"""API of 好差评 at /api/v1/evaluations/. Reads go through the scoped selectors, writes through
the services; the person who gave an evaluation leaves only as a name and a masked phone.
A service's refusal is a 422 with its message (the API's one handler)."""

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from jiedao.affairs.models import Ticket
from jiedao.business.models import EnterpriseRequest
from jiedao.core.api import Pagination
from jiedao.core.permissions import Action, policy
from jiedao.evaluations import selectors, services
from jiedao.evaluations.models import AppealStatus, Evaluation, Rectification

router = Router(tags=["evaluations"])


class EvaluationOut(Schema):
    id: int
    case_number: str
    ticket_id: int | None
    request_id: int | None
    org_unit_id: int
    channel: str
    level: int
    level_label: str
    scores: dict[str, int]
    comment: str
    item_id: int | None
    request_type_id: int | None
    point_id: int | None
    staff_id: int | None
    person_name: str | None
    person_phone_masked: str | None
    real_name: bool
    given_at: datetime
    suspicious: bool
    suspicious_reason: str
    excluded: bool = Field(..., description="an upheld appeal took it out of the figures")

    @staticmethod
    def resolve_level_label(obj: Evaluation) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_person_name(obj: Evaluation) -> str | None:
        return obj.person.name if obj.person else None

    @staticmethod
    def resolve_person_phone_masked(obj: Evaluation) -> str | None:
        return obj.person.phone_masked if obj.person else None

    @staticmethod
    def resolve_real_name(obj: Evaluation) -> bool:
        return obj.person_id is not None

    @staticmethod
    def resolve_excluded(obj: Evaluation) -> bool:
        try:
            return bool(obj.appeal.status == AppealStatus.UPHELD)
        except ObjectDoesNotExist:
            return False


class StepOut(Schema):
    from_status: str
    to_status: str
    actor_id: int | None
    at: datetime
    note: str


class RectificationOut(Schema):
    id: int
    evaluation_id: int
    status: str
    complex: bool
    contact_due: Any
    fix_due: Any
    contacted_at: datetime | None
    fixed_at: datetime | None
    revisited_at: datetime | None
    revisit_level: int | None
    handler_id: int | None
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj: Rectification) -> list[Any]:
        return list(obj.steps.all())


class AppealOut(Schema):
    id: int
    evaluation_id: int
    reason: str
    filed_by_id: int
    status: str
    decided_by_id: int | None
    decided_at: datetime | None
    decision_note: str


class FiguresOut(Schema):
    count: int
    levels: dict[int, int]
    good_rate: float | None
    bad_rate: float | None
    bad: int
    real_name_bad: int
    fixed_on_time: float | None
    revisit_rate: float | None


class FiltersIn(Schema):
    q: str = ""
    channel: str = ""
    level: str = ""
    bad: bool = False
    suspicious: bool = False
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$")

    def to_filters(self) -> selectors.EvaluationFilters:
        return selectors.EvaluationFilters(
            q=self.q[:40],
            channel=self.channel,
            level=self.level,
            bad=self.bad,
            suspicious=self.suspicious,
            month=self.month,
        )


class RatingIn(Schema):
    level: int = Field(..., description="5 非常满意 … 1 非常不满意")
    scores: dict[str, int] = Field(default_factory=dict)
    comment: str = Field("", max_length=500)


class EnterIn(RatingIn):
    case: Literal["ticket", "request"]
    case_id: int
    channel: Literal["hotline", "door"]


class MoveIn(Schema):
    to_status: Literal["contacted", "fixed", "revisited"]
    note: str = Field(..., max_length=500)
    complex: bool = False
    revisit_level: int | None = None


class AppealIn(Schema):
    reason: str = Field(..., max_length=500)


class DecideIn(Schema):
    upheld: bool
    note: str = Field(..., max_length=500)


def _text(value: str) -> str:
    return value.replace("\x00", "")


def _rating(payload: RatingIn) -> services.Rating:
    return services.Rating(payload.level, dict(payload.scores), _text(payload.comment))


def _case(user: Any, kind: str, pk: int) -> Any:
    model = Ticket if kind == "ticket" else EnterpriseRequest
    obj = policy.scope(user, Action.VIEW, model.objects.all()).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _rect(user: Any, pk: int) -> Rectification:
    obj = selectors.rectification_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


@router.get("/", response=list[EvaluationOut])
@paginate(Pagination)
def evaluations(request: HttpRequest, filters: Query[FiltersIn]) -> Any:
    return selectors.evaluation_list(
        user=request.user, filters=filters.to_filters()
    ).select_related("appeal")


@router.get("/figures", response=FiguresOut, description="The headline figures, from the roll-ups.")
def evaluation_figures(request: HttpRequest) -> dict[str, Any]:
    if not policy.paths_for(request.user, Evaluation, Action.VIEW):
        raise Http404
    return selectors.headline(user=request.user)


@router.get("/rectifications", response=list[RectificationOut])
@paginate(Pagination)
def rectifications(request: HttpRequest, open_only: bool = False, overdue: bool = False) -> Any:
    return selectors.rectification_list(
        user=request.user, open_only=open_only, overdue=overdue
    ).prefetch_related("steps")


@router.get("/{evaluation_id}", response=EvaluationOut)
def evaluation(request: HttpRequest, evaluation_id: int) -> Evaluation:
    return selectors.evaluation_get(user=request.user, pk=evaluation_id)


@router.post(
    "/",
    response={201: EvaluationOut},
    description="Enter what the applicant said on a call (12345) or a visit; never for a case "
    "you handled yourself.",
)
def evaluation_enter(request: HttpRequest, payload: EnterIn) -> Status[Evaluation]:
    user = request.user
    made = services.evaluation_enter(
        actor=user,
        case=_case(user, payload.case, payload.case_id),
        channel=payload.channel,
        rating=_rating(payload),
    )
    return Status(201, selectors.evaluation_get(user=user, pk=made.pk))


@router.post("/rectifications/{rectification_id}/moves", response=RectificationOut)
def rectification_move(request: HttpRequest, rectification_id: int, payload: MoveIn) -> Any:
    user = request.user
    services.rectification_move(
        actor=user,
        rectification=_rect(user, rectification_id),
        to_status=payload.to_status,
        note=_text(payload.note),
        complex=payload.complex,
        revisit_level=payload.revisit_level,
    )
    return _rect(user, rectification_id)


@router.post("/{evaluation_id}/appeal", response={201: AppealOut})
def appeal_file(request: HttpRequest, evaluation_id: int, payload: AppealIn) -> Status[Any]:
    user = request.user
    evaluation = selectors.evaluation_get(user=user, pk=evaluation_id)
    return Status(
        201, services.appeal_file(actor=user, evaluation=evaluation, reason=_text(payload.reason))
    )


@router.post("/{evaluation_id}/appeal/decision", response=AppealOut)
def appeal_decide(request: HttpRequest, evaluation_id: int, payload: DecideIn) -> Any:
    user = request.user
    appeal = selectors.appeal_list(user=user).filter(evaluation_id=evaluation_id).first()
    if appeal is None:
        raise Http404
    return services.appeal_decide(
        actor=user, appeal=appeal, upheld=payload.upheld, note=_text(payload.note)
    )
