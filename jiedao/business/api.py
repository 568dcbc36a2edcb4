"""API of the business environment at /api/v1/business/. Every endpoint reads through a
selector scoped by the central policy and writes through a service; an enterprise's contact
leaves only as a name and a masked phone, and an enterprise account reaches only its own
requests."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from jiedao.business import selectors, services
from jiedao.business.models import (
    REQUEST_OPEN,
    ActionItem,
    ActionState,
    BuildingGrade,
    Council,
    EnterpriseRequest,
    LiaisonVisit,
    Meeting,
    MeetingKind,
    RequestStatus,
    RequestType,
    Vacancy,
    VacancyStatus,
    Viewing,
    ViewingOutcome,
)
from jiedao.business.models import Policy as PolicyDocument
from jiedao.core import selectors as core_selectors
from jiedao.core.api import Pagination
from jiedao.core.models import Enterprise, OfficeBuilding
from jiedao.core.permissions import Action, policy

router = Router(tags=["business"])

M = TypeVar("M", bound=models.Model)
ID_LIST_MAX = 50


def _one(qs: QuerySet[M], pk: int) -> M:
    """The row of a scoped queryset, or 404: outside the user's scope it does not exist."""
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _text(value: str) -> str:
    return value.replace("\x00", "")


def _related(obj: models.Model, name: str) -> Any:
    """A reverse one-to-one (a profile, a liaison) that may be missing."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


# --- schemas ------------------------------------------------------------------------------------
class ErrorOut(Schema):
    code: str
    message: str


class BuildingProfileOut(Schema):
    grade: BuildingGrade
    owner: str
    property_manager: str
    occupancy: Decimal = Field(..., description="per cent")
    party_committee: str
    service_station: str
    is_key: bool


class LiaisonOut(Schema):
    leader_id: int
    leader_name: str
    department: str
    interval_days: int


class BusinessBuildingOut(Schema):
    id: int
    name: str
    address: str
    org_unit_id: int
    longitude: Decimal | None
    latitude: Decimal | None
    coordinate_system: str
    floors: int
    floor_area: Decimal
    enterprise_count: int
    open_vacancies: int
    profile: BuildingProfileOut | None
    liaison: LiaisonOut | None

    @staticmethod
    def resolve_profile(obj: OfficeBuilding) -> Any:
        return _related(obj, "profile")

    @staticmethod
    def resolve_liaison(obj: OfficeBuilding) -> dict[str, Any] | None:
        liaison = _related(obj, "liaison")
        if liaison is None:
            return None
        return {
            "leader_id": liaison.leader_id,
            "leader_name": str(liaison.leader),
            "department": liaison.department,
            "interval_days": liaison.interval_days,
        }


class BusinessBuildingDetailOut(BusinessBuildingOut):
    council_ids: list[int]
    open_requests: int


class EnterpriseProfileOut(Schema):
    industry: str
    registered_here: bool
    operating_here: bool
    white_collar_count: int
    is_key: bool
    moved_in: date | None
    moved_out: date | None


class BusinessEnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    org_unit_id: int
    building_id: int | None
    building_name: str | None
    floor: int | None
    contact_name: str | None = None
    contact_phone: str | None = Field(None, description="masked")
    profile: EnterpriseProfileOut | None

    @staticmethod
    def resolve_building_name(obj: Enterprise) -> str | None:
        return obj.building.name if obj.building else None

    @staticmethod
    def resolve_contact_name(obj: Enterprise) -> str | None:
        return obj.contact.name if obj.contact else None

    @staticmethod
    def resolve_contact_phone(obj: Enterprise) -> str | None:
        return obj.contact.phone_masked if obj.contact else None

    @staticmethod
    def resolve_profile(obj: Enterprise) -> Any:
        return _related(obj, "profile")


class VacancyOut(Schema):
    id: int
    building_id: int
    building_name: str
    floor: int
    area: Decimal
    rent_min: Decimal = Field(..., description="yuan per m² per day")
    rent_max: Decimal = Field(..., description="yuan per m² per day")
    available_from: date
    status: VacancyStatus

    @staticmethod
    def resolve_building_name(obj: Vacancy) -> str:
        return obj.building.name


class VacancyIn(Schema):
    building_id: int
    floor: int = Field(..., ge=-10, le=200)
    area: Decimal = Field(..., gt=0, max_digits=9, decimal_places=1)
    rent_min: Decimal = Field(..., ge=0, max_digits=6, decimal_places=2)
    rent_max: Decimal = Field(..., ge=0, max_digits=6, decimal_places=2)
    available_from: date


class ViewingOut(Schema):
    id: int
    vacancy_id: int
    building_id: int
    building_name: str
    enterprise_id: int | None
    enterprise_name: str | None
    prospect_name: str
    date: date
    guide_name: str | None
    outcome: ViewingOutcome
    note: str
    request_id: int | None

    @staticmethod
    def resolve_building_id(obj: Viewing) -> int:
        return obj.vacancy.building_id

    @staticmethod
    def resolve_building_name(obj: Viewing) -> str:
        return obj.vacancy.building.name

    @staticmethod
    def resolve_enterprise_name(obj: Viewing) -> str | None:
        return obj.enterprise.name if obj.enterprise else None

    @staticmethod
    def resolve_guide_name(obj: Viewing) -> str | None:
        return str(obj.guide) if obj.guide else None


class ViewingIn(Schema):
    vacancy_id: int
    date: date
    enterprise_id: int | None = None
    prospect_name: str = Field("", max_length=200)
    request_id: int | None = None
    note: str = Field("", max_length=300)


class ViewingOutcomeIn(Schema):
    outcome: Literal["moved_in", "declined", "cancelled"]
    note: str = Field("", max_length=300)


class CouncilOut(Schema):
    id: int
    org_unit_id: int
    name: str
    brand: str
    convener: str
    secretary_general: str
    party_committee: str
    founded: date | None
    building_ids: list[int]
    overdue_actions: int = Field(..., description="open action items past their deadline")

    @staticmethod
    def resolve_building_ids(obj: Council) -> list[int]:
        return sorted(b.pk for b in obj.buildings.all())


class CouncilMemberOut(Schema):
    kind: str
    name: str
    enterprise_id: int | None
    role: str


class CouncilDetailOut(CouncilOut):
    members: list[CouncilMemberOut]

    @staticmethod
    def resolve_members(obj: Council) -> list[dict[str, Any]]:
        return [
            {
                "kind": m.kind,
                "name": m.name or (m.enterprise.name if m.enterprise else ""),
                "enterprise_id": m.enterprise_id,
                "role": m.role,
            }
            for m in obj.members.select_related("enterprise")
        ]


class ActionItemOut(Schema):
    id: int
    council_id: int
    meeting_id: int
    title: str
    owner: str
    deadline: date
    state: ActionState
    result: str
    closed_at: datetime | None


class CouncilMeetingOut(Schema):
    id: int
    council_id: int
    kind: MeetingKind
    date: date
    title: str
    attendees: list[str]
    experts: list[str]
    departments: list[str]
    agenda: str
    minutes: str


class CouncilMeetingDetailOut(CouncilMeetingOut):
    action_items: list[ActionItemOut]

    @staticmethod
    def resolve_action_items(obj: Meeting) -> list[ActionItem]:
        return list(obj.action_items.order_by("deadline", "pk"))


class DecisionIn(Schema):
    title: str = Field(..., max_length=200)
    owner: str = Field(..., max_length=100)
    deadline: date


class CouncilMeetingIn(Schema):
    kind: MeetingKind
    date: date
    title: str = Field(..., max_length=200)
    agenda: str = Field("", max_length=5000)
    minutes: str = Field("", max_length=20000)
    attendees: list[str] = Field(default_factory=list, max_length=200)
    experts: list[str] = Field(default_factory=list, max_length=50)
    departments: list[str] = Field(default_factory=list, max_length=50)
    decisions: list[DecisionIn] = Field(
        default_factory=list, max_length=50, description="each becomes an action item"
    )


class ActionMoveIn(Schema):
    to_state: str = Field(..., max_length=32)
    result: str = Field("", max_length=5000)


class LiaisonRowOut(Schema):
    building_id: int
    building_name: str
    leader_id: int
    leader_name: str
    department: str
    interval_days: int
    last_visit: date | None
    due_on: date
    is_due: bool


class LiaisonVisitOut(Schema):
    id: int
    building_id: int
    building_name: str
    date: date
    visitor_names: list[str]
    enterprise_ids: list[int]
    issues: list[str]
    note: str

    @staticmethod
    def resolve_building_name(obj: LiaisonVisit) -> str:
        return obj.building.name

    @staticmethod
    def resolve_visitor_names(obj: LiaisonVisit) -> list[str]:
        return [str(u) for u in obj.visitors.all()]

    @staticmethod
    def resolve_enterprise_ids(obj: LiaisonVisit) -> list[int]:
        return sorted(e.pk for e in obj.enterprises.all())


class LiaisonVisitIn(Schema):
    building_id: int
    date: date
    visitor_ids: list[int] = Field(
        default_factory=list,
        max_length=ID_LIST_MAX,
        description="default: yourself; each must be someone who may record visits to the "
        "building, any other id answers 404",
    )
    enterprise_ids: list[int] = Field(default_factory=list, max_length=ID_LIST_MAX)
    issues: list[str] = Field(default_factory=list, max_length=ID_LIST_MAX)
    note: str = Field("", max_length=5000)


class RequestTypeOut(Schema):
    id: int
    code: str
    name: str
    is_free_service: bool
    ack_hours: int
    response_days: int = Field(..., description="working days")
    resolve_days: int = Field(..., description="working days")


class RequestOut(Schema):
    id: int
    number: str
    org_unit_id: int
    enterprise_id: int
    enterprise_name: str
    building_name: str | None
    type_id: int
    type_name: str
    title: str
    status: RequestStatus
    assigned_to_id: int | None
    assigned_to_name: str | None
    referred_to: str
    policy_id: int | None
    received_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    ack_due: datetime
    response_due: date
    resolve_due: date
    rating: int | None
    escalated_at: datetime | None

    @staticmethod
    def resolve_enterprise_name(obj: EnterpriseRequest) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_building_name(obj: EnterpriseRequest) -> str | None:
        building = obj.enterprise.building
        return building.name if building else None

    @staticmethod
    def resolve_type_name(obj: EnterpriseRequest) -> str:
        return obj.type.name

    @staticmethod
    def resolve_assigned_to_name(obj: EnterpriseRequest) -> str | None:
        return str(obj.assigned_to) if obj.assigned_to else None


class RequestTransitionOut(Schema):
    from_status: str
    to_status: str
    actor_name: str | None
    at: datetime
    note: str


class RequestDetailOut(RequestOut):
    description: str
    rating_comment: str
    policy_title: str | None
    transitions: list[RequestTransitionOut]

    @staticmethod
    def resolve_policy_title(obj: EnterpriseRequest) -> str | None:
        return obj.policy.title if obj.policy else None

    @staticmethod
    def resolve_transitions(obj: EnterpriseRequest) -> list[dict[str, Any]]:
        return [
            {
                "from_status": t.from_status,
                "to_status": t.to_status,
                "actor_name": str(t.actor) if t.actor else None,
                "at": t.at,
                "note": t.note,
            }
            for t in obj.transitions.select_related("actor")
        ]


class RequestFiltersIn(Schema):
    """The request list's filters, as in the pages (`selectors.RequestFilters`)."""

    q: str = ""
    status: RequestStatus | None = None
    type: int | None = None
    due: Literal["soon", "overdue"] | None = None
    assigned_to: int | None = None
    enterprise: int | None = None
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM of receipt")

    def to_filters(self) -> selectors.RequestFilters:
        return selectors.RequestFilters(
            q=_text(self.q).strip()[:100],
            status=self.status or "",
            type=self.type,
            due=self.due or "",
            assigned_to=self.assigned_to,
            enterprise=self.enterprise,
            month=self.month,
        )


class RequestIn(Schema):
    enterprise_id: int
    type_id: int
    title: str = Field(..., max_length=200)
    description: str = Field(..., max_length=5000)
    policy_id: int | None = None


class RequestTransitionIn(Schema):
    to_status: str = Field(..., max_length=32)
    note: str = Field("", max_length=500)
    referred_to: str = Field("", max_length=100)


class RatingIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


class PolicyOut(Schema):
    id: int
    org_unit_id: int
    title: str
    issuer: str
    issued_on: date
    summary: str
    industries: list[str]
    attachment_url: str | None

    @staticmethod
    def resolve_attachment_url(obj: PolicyDocument) -> str | None:
        return obj.attachment.url if obj.attachment else None


# --- buildings and enterprises ------------------------------------------------------------------
@router.get("/buildings", response=list[BusinessBuildingOut])
@paginate(Pagination)
def buildings(request: HttpRequest, q: str = "", key_only: bool = False) -> Any:
    return selectors.building_directory(user=request.user, q=_text(q)[:100], key_only=key_only)


@router.get("/buildings/{building_id}", response=BusinessBuildingDetailOut)
def building(request: HttpRequest, building_id: int) -> OfficeBuilding:
    user = request.user
    obj: Any = _one(selectors.building_directory(user=user), building_id)
    obj.council_ids = sorted(
        selectors.council_list(user=user).filter(buildings=obj).values_list("pk", flat=True)
    )
    obj.open_requests = (
        selectors.request_list(user=user)
        .filter(enterprise__building=obj, status__in=sorted(REQUEST_OPEN))
        .count()
    )
    return obj


@router.get("/enterprises", response=list[BusinessEnterpriseOut])
@paginate(Pagination)
def enterprises(request: HttpRequest, q: str = "", building: int | None = None) -> Any:
    return selectors.enterprise_directory(user=request.user, q=_text(q)[:100], building=building)


@router.get("/enterprises/{enterprise_id}", response=BusinessEnterpriseOut)
def enterprise(request: HttpRequest, enterprise_id: int) -> Enterprise:
    return _one(selectors.enterprise_directory(user=request.user), enterprise_id)


# --- vacancies and viewings ---------------------------------------------------------------------
@router.get("/vacancies", response=list[VacancyOut])
@paginate(Pagination)
def vacancies(request: HttpRequest, open_only: bool = False, building: int | None = None) -> Any:
    qs = selectors.vacancy_list(user=request.user, open_only=open_only)
    return qs.filter(building_id=building) if building is not None else qs


@router.post("/vacancies", response={201: VacancyOut})
def vacancy_create(request: HttpRequest, payload: VacancyIn) -> Status[Vacancy]:
    target = core_selectors.building_get(user=request.user, pk=payload.building_id)
    vacancy = services.vacancy_create(
        actor=request.user,
        building=target,
        floor=payload.floor,
        area=payload.area,
        rent_min=payload.rent_min,
        rent_max=payload.rent_max,
        available_from=payload.available_from,
    )
    return Status(201, vacancy)


@router.get("/viewings", response=list[ViewingOut])
@paginate(Pagination)
def viewings(request: HttpRequest, vacancy: int | None = None) -> Any:
    qs = selectors.viewing_list(user=request.user)
    return qs.filter(vacancy_id=vacancy) if vacancy is not None else qs


@router.post("/viewings", response={201: ViewingOut}, description="Book a viewing of a vacancy.")
def viewing_book(request: HttpRequest, payload: ViewingIn) -> Status[Viewing]:
    user = request.user
    vacancy = _one(selectors.vacancy_list(user=user), payload.vacancy_id)
    firm = (
        _one(selectors.enterprise_directory(user=user), payload.enterprise_id)
        if payload.enterprise_id is not None
        else None
    )
    linked = (
        _one(selectors.request_list(user=user), payload.request_id)
        if payload.request_id is not None
        else None
    )
    viewing = services.viewing_book(
        actor=user,
        vacancy=vacancy,
        day=payload.date,
        enterprise=firm,
        prospect_name=_text(payload.prospect_name),
        request=linked,
        note=_text(payload.note),
    )
    return Status(201, _one(selectors.viewing_list(user=user), viewing.pk))


@router.post("/viewings/{viewing_id}/outcome", response=ViewingOut)
def viewing_outcome(request: HttpRequest, viewing_id: int, payload: ViewingOutcomeIn) -> Viewing:
    user = request.user
    viewing = _one(selectors.viewing_list(user=user), viewing_id)
    services.viewing_record_outcome(
        actor=user, viewing=viewing, outcome=payload.outcome, note=_text(payload.note)
    )
    return _one(selectors.viewing_list(user=user), viewing_id)


# --- councils, meetings, action items -----------------------------------------------------------
def _councils(user: Any) -> QuerySet[Council]:
    return selectors.council_list(user=user).prefetch_related(
        Prefetch("buildings", queryset=OfficeBuilding.objects.only("pk"))
    )


@router.get("/councils", response=list[CouncilOut])
@paginate(Pagination)
def councils(request: HttpRequest) -> Any:
    return _councils(request.user)


@router.get("/councils/{council_id}", response=CouncilDetailOut)
def council(request: HttpRequest, council_id: int) -> Council:
    return _one(_councils(request.user), council_id)


@router.get("/councils/{council_id}/meetings", response=list[CouncilMeetingOut])
@paginate(Pagination)
def meetings(request: HttpRequest, council_id: int) -> Any:
    target = selectors.council_get(user=request.user, pk=council_id)
    return selectors.meeting_list(user=request.user).filter(council=target)


@router.post(
    "/councils/{council_id}/meetings",
    response={201: CouncilMeetingDetailOut},
    description="Record a meeting; each decision becomes an action item of the council.",
)
def meeting_create(
    request: HttpRequest, council_id: int, payload: CouncilMeetingIn
) -> Status[Meeting]:
    user = request.user
    target = selectors.council_get(user=user, pk=council_id, action=Action.CHANGE)
    meeting = services.meeting_record(
        actor=user,
        council=target,
        kind=payload.kind,
        day=payload.date,
        title=_text(payload.title),
        agenda=_text(payload.agenda),
        minutes=_text(payload.minutes),
        attendees=[_text(a)[:100] for a in payload.attendees],
        experts=[_text(a)[:100] for a in payload.experts],
        departments=[_text(a)[:100] for a in payload.departments],
        decisions=[
            {"title": _text(d.title), "owner": _text(d.owner), "deadline": d.deadline}
            for d in payload.decisions
        ],
    )
    return Status(201, meeting)


@router.get("/meetings/{meeting_id}", response=CouncilMeetingDetailOut)
def meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    return _one(selectors.meeting_list(user=request.user), meeting_id)


@router.get("/action-items", response=list[ActionItemOut])
@paginate(Pagination)
def action_items(
    request: HttpRequest,
    overdue: bool = False,
    council: int | None = None,
    state: ActionState | None = None,
) -> Any:
    qs = selectors.action_item_list(user=request.user, overdue=overdue)
    if council is not None:
        qs = qs.filter(council_id=council)
    return qs.filter(state=state) if state else qs


@router.post(
    "/action-items/{item_id}/move",
    response={200: ActionItemOut, 422: ErrorOut},
    description="Move an action item; closing it (`done`) needs a result. An illegal move "
    "answers 422 with code `illegal_transition`.",
)
def action_item_move(request: HttpRequest, item_id: int, payload: ActionMoveIn) -> Status[Any]:
    item = _one(selectors.action_item_list(user=request.user), item_id)
    try:
        services.action_item_move(
            actor=request.user, item=item, to_state=payload.to_state, result=_text(payload.result)
        )
    except services.IllegalTransition as exc:
        return Status(422, {"code": "illegal_transition", "message": " ".join(exc.messages)})
    return Status(200, item)


# --- liaison ------------------------------------------------------------------------------------
@router.get("/liaison/assignments", response=list[LiaisonRowOut])
@paginate(Pagination)
def liaison_assignments(request: HttpRequest, mine: bool = False, due: bool = False) -> Any:
    rows = selectors.liaison_rows(user=request.user, mine=mine)
    return [
        {
            "building_id": r.assignment.building_id,
            "building_name": r.assignment.building.name,
            "leader_id": r.assignment.leader_id,
            "leader_name": str(r.assignment.leader),
            "department": r.assignment.department,
            "interval_days": r.assignment.interval_days,
            "last_visit": r.last_visit,
            "due_on": r.due_on,
            "is_due": r.is_due,
        }
        for r in rows
        if r.is_due or not due
    ]


def _visits(user: Any) -> QuerySet[LiaisonVisit]:
    return selectors.liaison_visit_list(user=user).prefetch_related(
        Prefetch("enterprises", queryset=Enterprise.objects.only("pk"))
    )


@router.get("/liaison/visits", response=list[LiaisonVisitOut])
@paginate(Pagination)
def liaison_visits(request: HttpRequest, building: int | None = None) -> Any:
    qs = _visits(request.user)
    return qs.filter(building_id=building) if building is not None else qs


@router.post("/liaison/visits", response={201: LiaisonVisitOut})
def liaison_visit_create(request: HttpRequest, payload: LiaisonVisitIn) -> Status[LiaisonVisit]:
    user = request.user
    target = core_selectors.building_get(user=user, pk=payload.building_id)
    firms = list(selectors.enterprise_directory(user=user).filter(pk__in=payload.enterprise_ids))
    if len(firms) != len(set(payload.enterprise_ids)):
        raise Http404
    visitors: list[Any] = [user]
    if payload.visitor_ids:
        wanted = set(payload.visitor_ids)
        visitors = list(get_user_model().objects.filter(pk__in=wanted, is_active=True))
        # Only people who may record visits to this building can have made one. Anyone else
        # answers 404, as an unknown id does, so that no account is revealed.
        if len(visitors) != len(wanted) or not all(
            policy.can_in_org(v, LiaisonVisit, Action.ADD, target.org_unit) for v in visitors
        ):
            raise Http404
    visit = services.liaison_visit_record(
        actor=user,
        building=target,
        day=payload.date,
        visitors=visitors,
        enterprises=firms,
        issues=[_text(i) for i in payload.issues],
        note=_text(payload.note),
    )
    return Status(201, _one(_visits(user), visit.pk))


# --- enterprise requests ------------------------------------------------------------------------
@router.get("/request-types", response=list[RequestTypeOut])
def request_types(request: HttpRequest) -> list[RequestType]:
    return list(selectors.request_types())


@router.get("/requests", response=list[RequestOut])
@paginate(Pagination)
def requests(request: HttpRequest, filters: Query[RequestFiltersIn]) -> Any:
    return selectors.request_list(user=request.user, filters=filters.to_filters())


@router.get("/requests/{request_id}", response=RequestDetailOut)
def request_detail(request: HttpRequest, request_id: int) -> EnterpriseRequest:
    return selectors.request_get(user=request.user, pk=request_id)


@router.post(
    "/requests",
    response={201: RequestDetailOut},
    description="File a request: the business office for an enterprise it looks after, or an "
    "enterprise's contact for their own enterprise.",
)
def request_create(request: HttpRequest, payload: RequestIn) -> Status[EnterpriseRequest]:
    user = request.user
    firm = _one(selectors.enterprise_directory(user=user), payload.enterprise_id)
    rtype = _one(selectors.request_types(), payload.type_id)
    doc = (
        _one(selectors.policy_list(user=user), payload.policy_id)
        if payload.policy_id is not None
        else None
    )
    filed = services.request_file(
        actor=user,
        enterprise=firm,
        rtype=rtype,
        title=_text(payload.title),
        description=_text(payload.description),
        policy_doc=doc,
    )
    return Status(201, selectors.request_get(user=user, pk=filed.pk))


@router.post(
    "/requests/{request_id}/transitions",
    response={200: RequestDetailOut, 422: ErrorOut},
    description="Move the request along its transition map (`referred_to` names the department "
    "for `referred`); an illegal move answers 422 with code `illegal_transition`.",
)
def request_transition(
    request: HttpRequest, request_id: int, payload: RequestTransitionIn
) -> Status[Any]:
    user = request.user
    target = selectors.request_get(user=user, pk=request_id, action=Action.CHANGE)
    try:
        services.request_transition(
            actor=user,
            request=target,
            to_status=payload.to_status,
            note=_text(payload.note),
            referred_to=_text(payload.referred_to),
        )
    except services.IllegalTransition as exc:
        return Status(422, {"code": "illegal_transition", "message": " ".join(exc.messages)})
    return Status(200, selectors.request_get(user=user, pk=request_id))


@router.post(
    "/requests/{request_id}/rating",
    response=RequestDetailOut,
    description="The enterprise's contact rates the outcome (1–5), once, after it is resolved.",
)
def request_rating(request: HttpRequest, request_id: int, payload: RatingIn) -> EnterpriseRequest:
    user = request.user
    target = selectors.request_get(user=user, pk=request_id)
    services.request_rate(
        actor=user, request=target, rating=payload.rating, comment=_text(payload.comment)
    )
    return selectors.request_get(user=user, pk=request_id)


# --- policy library -----------------------------------------------------------------------------
@router.get("/policies", response=list[PolicyOut])
@paginate(Pagination)
def policies(request: HttpRequest, q: str = "", industry: str = "") -> Any:
    return selectors.policy_list(user=request.user, q=_text(q)[:100], industry=_text(industry)[:50])
