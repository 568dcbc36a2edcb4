"""API of government services at /api/v1/affairs/. Every endpoint reads through a selector
scoped by the central policy and writes through a service; applicants leave only as a name and
a masked phone."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from jiedao.affairs import selectors, services
from jiedao.affairs.models import (
    Channel,
    DoorToDoorRequest,
    PointKind,
    Resolution,
    ReturnVisit,
    ServicePoint,
    Ticket,
    TicketStatus,
    Trip,
    VisitStatus,
)
from jiedao.core import selectors as core_selectors
from jiedao.core.api import Pagination
from jiedao.core.models import Enterprise, Person
from jiedao.core.permissions import Action, NotPermitted, policy

router = Router(tags=["affairs"])


# --- schemas ------------------------------------------------------------------------------------
class ErrorOut(Schema):
    code: str
    message: str


class ItemOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    group: str
    description: str
    materials: list[str]
    time_limit_days: int = Field(..., description="legal time limit in working days")
    online: bool
    door_to_door: bool
    attributes: list[dict[str, Any]] = Field(..., description="Open311-style attribute definitions")
    active: bool


class PointOut(Schema):
    id: int
    org_unit_id: int
    kind: str
    name: str
    address: str
    longitude: Decimal | None
    latitude: Decimal | None
    opening_hours: str
    item_count: int


class ApplicantOut(Schema):
    kind: Literal["person", "enterprise"]
    name: str
    phone: str = Field("", description="masked")


def _person_out(person: Person) -> dict[str, str]:
    return {"kind": "person", "name": person.name, "phone": person.phone_masked}


def _applicant(ticket: Ticket) -> dict[str, str] | None:
    if ticket.applicant_person is not None:
        return _person_out(ticket.applicant_person)
    enterprise: Enterprise | None = ticket.applicant_enterprise
    if enterprise is not None:
        contact = enterprise.contact
        return {
            "kind": "enterprise",
            "name": enterprise.name,
            "phone": contact.phone_masked if contact else "",
        }
    return None


class TicketOut(Schema):
    id: int
    number: str
    org_unit_id: int
    item_id: int
    item_name: str
    point_id: int
    point_name: str
    channel: str
    status: str
    applicant: ApplicantOut | None
    handler_id: int | None
    handler_name: str | None
    submitted_at: datetime
    completed_at: datetime | None
    due_date: date
    complained: bool
    needs_follow_up: bool
    follow_up_of_id: int | None

    @staticmethod
    def resolve_item_name(obj: Ticket) -> str:
        return obj.item.name

    @staticmethod
    def resolve_point_name(obj: Ticket) -> str:
        return obj.point.name

    @staticmethod
    def resolve_applicant(obj: Ticket) -> dict[str, str] | None:
        return _applicant(obj)

    @staticmethod
    def resolve_handler_name(obj: Ticket) -> str | None:
        return str(obj.handler) if obj.handler else None


class TransitionOut(Schema):
    from_status: str
    to_status: str
    actor_name: str | None
    at: datetime
    note: str


class TripOut(Schema):
    id: int
    date: date
    point_id: int
    point_name: str
    purpose: str
    recorded_by_name: str | None

    @staticmethod
    def resolve_point_name(obj: Trip) -> str:
        return obj.point.name

    @staticmethod
    def resolve_recorded_by_name(obj: Trip) -> str | None:
        return str(obj.recorded_by) if obj.recorded_by else None


class TicketDetailOut(TicketOut):
    attributes: dict[str, Any]
    materials: dict[str, bool]
    notes: str
    transitions: list[TransitionOut]
    trips: list[TripOut]

    @staticmethod
    def resolve_transitions(obj: Ticket) -> list[dict[str, Any]]:
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

    @staticmethod
    def resolve_trips(obj: Ticket) -> list[Trip]:
        return list(obj.trips.select_related("point", "recorded_by"))


class TicketFiltersIn(Schema):
    """The ticket list's filters, as in the pages (`selectors.TicketFilters`)."""

    q: str = ""
    status: TicketStatus | None = None
    channel: Channel | None = None
    item: int | None = None
    point: int | None = None
    handler: int | None = None
    due: Literal["soon", "overdue"] | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    completed_from: date | None = None
    completed_to: date | None = None
    one_trip: Literal["yes", "no"] | None = Field(
        None, description="completed tickets with at most one / more than one in-person trip"
    )
    returned: Literal["yes", "no"] | None = Field(
        None, description="completed tickets ever / never returned for missing materials"
    )
    on_time: Literal["yes", "no"] | None = None
    area: int | None = Field(None, description="an org unit: tickets under it")

    def to_filters(self) -> selectors.TicketFilters:
        return selectors.TicketFilters(
            q=self.q.replace("\x00", "").strip()[:100],
            status=self.status or "",
            channel=self.channel or "",
            item=self.item,
            point=self.point,
            handler=self.handler,
            due=self.due or "",
            submitted_from=self.submitted_from,
            submitted_to=self.submitted_to,
            completed_from=self.completed_from,
            completed_to=self.completed_to,
            one_trip=self.one_trip or "",
            returned=self.returned or "",
            on_time=self.on_time or "",
            area=self.area,
        )


class TicketIn(Schema):
    item_id: int
    point_id: int
    channel: Channel
    applicant_person_id: int | None = None
    applicant_enterprise_id: int | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    materials: dict[str, bool] = Field(default_factory=dict, description="material → brought")
    notes: str = Field("", max_length=2000)
    in_person: bool | None = Field(
        None, description="did the applicant come in person (default: by channel)"
    )


class TransitionIn(Schema):
    to_status: str = Field(..., max_length=32)
    note: str = Field("", max_length=300)


class TripIn(Schema):
    date: date
    point_id: int
    purpose: str = Field("", max_length=200)


class ReturnVisitOut(Schema):
    id: int
    ticket_id: int
    ticket_number: str
    item_name: str
    caller_name: str
    called_at: datetime
    satisfaction: int
    resolution: str
    answers: list[dict[str, Any]]
    suggestions: str

    @staticmethod
    def resolve_ticket_number(obj: ReturnVisit) -> str:
        return obj.ticket.number

    @staticmethod
    def resolve_item_name(obj: ReturnVisit) -> str:
        return obj.ticket.item.name

    @staticmethod
    def resolve_caller_name(obj: ReturnVisit) -> str:
        return str(obj.caller)


class ReturnVisitCreatedOut(ReturnVisitOut):
    follow_up_ticket_id: int | None = Field(
        None, description="the follow-up ticket opened when unresolved or scored ≤ 2"
    )

    @staticmethod
    def resolve_follow_up_ticket_id(obj: ReturnVisit) -> int | None:
        # A follow-up is opened at the same point as the ticket, so it is as visible as it.
        return obj.ticket.follow_ups.order_by("pk").values_list("pk", flat=True).first()


class ReturnVisitIn(Schema):
    satisfaction: int = Field(..., ge=1, le=5)
    resolution: Resolution
    answers: list[str] = Field(default_factory=list, max_length=10)
    suggestions: str = Field("", max_length=2000)


class DoorVisitOut(Schema):
    id: int
    org_unit_id: int
    person: ApplicantOut
    item_id: int | None
    item_name: str | None
    reason: str
    requested_via: str
    point_id: int | None
    scheduled_date: date | None
    assigned_to_id: int | None
    assigned_to_name: str | None
    status: str
    outcome: str
    visited_at: datetime | None
    ticket_id: int | None

    @staticmethod
    def resolve_person(obj: DoorToDoorRequest) -> dict[str, str]:
        return _person_out(obj.person)

    @staticmethod
    def resolve_item_name(obj: DoorToDoorRequest) -> str | None:
        return obj.item.name if obj.item else None

    @staticmethod
    def resolve_assigned_to_name(obj: DoorToDoorRequest) -> str | None:
        return str(obj.assigned_to) if obj.assigned_to else None


# --- catalogue and network ----------------------------------------------------------------------
@router.get("/items", response=list[ItemOut])
@paginate(Pagination)
def items(request: HttpRequest, q: str = "") -> Any:
    qs = selectors.item_list(user=request.user)
    text = q.replace("\x00", "").strip()[:100]
    return qs.filter(name__icontains=text) if text else qs


@router.get("/points", response=list[PointOut])
@paginate(Pagination)
def points(request: HttpRequest, kind: PointKind | None = None) -> Any:
    qs = selectors.point_list(user=request.user)
    return qs.filter(kind=kind) if kind else qs


def _point_for(user: Any, point_id: int) -> ServicePoint:
    point = selectors.point_list(user=user).filter(pk=point_id).first()
    if point is None:
        raise Http404
    return point


# --- tickets ------------------------------------------------------------------------------------
def _ticket_rows(user: Any, filters: selectors.TicketFilters) -> QuerySet[Ticket]:
    return selectors.ticket_list(user=user, filters=filters).select_related(
        "applicant_enterprise__contact"
    )


@router.get("/tickets", response=list[TicketOut])
@paginate(Pagination)
def tickets(request: HttpRequest, filters: Query[TicketFiltersIn]) -> Any:
    return _ticket_rows(request.user, filters.to_filters())


@router.get("/tickets/{ticket_id}", response=TicketDetailOut)
def ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.ticket_get(user=request.user, pk=ticket_id)


@router.post("/tickets", response={201: TicketDetailOut})
def ticket_create(request: HttpRequest, payload: TicketIn) -> Status[Ticket]:
    user = request.user
    if not policy.can_any(user, Ticket, Action.ADD):
        raise NotPermitted(Action.ADD)
    item = selectors.item_list(user=user).filter(pk=payload.item_id).first()
    if item is None:
        raise Http404
    point = _point_for(user, payload.point_id)
    person = (
        core_selectors.person_get(user=user, pk=payload.applicant_person_id)
        if payload.applicant_person_id is not None
        else None
    )
    enterprise = (
        core_selectors.enterprise_get(user=user, pk=payload.applicant_enterprise_id)
        if payload.applicant_enterprise_id is not None
        else None
    )
    created = services.ticket_create(
        actor=user,
        item=item,
        point=point,
        channel=payload.channel,
        applicant_person=person,
        applicant_enterprise=enterprise,
        attributes=payload.attributes,
        materials=payload.materials,
        notes=payload.notes.replace("\x00", ""),
        in_person=payload.in_person,
    )
    return Status(201, selectors.ticket_get(user=user, pk=created.pk))


@router.post(
    "/tickets/{ticket_id}/transitions",
    response={200: TicketDetailOut, 422: ErrorOut},
    description="Move the ticket along the transition map; an illegal move answers 422 with "
    "code `illegal_transition`.",
)
def ticket_transition(request: HttpRequest, ticket_id: int, payload: TransitionIn) -> Status[Any]:
    ticket = selectors.ticket_get(user=request.user, pk=ticket_id, action=Action.CHANGE)
    try:
        services.ticket_transition(
            actor=request.user,
            ticket=ticket,
            to_status=payload.to_status,
            note=payload.note.replace("\x00", ""),
        )
    except services.IllegalTransition as exc:
        return Status(422, {"code": "illegal_transition", "message": " ".join(exc.messages)})
    return Status(200, selectors.ticket_get(user=request.user, pk=ticket_id))


@router.get("/tickets/{ticket_id}/trips", response=list[TripOut])
def trips(request: HttpRequest, ticket_id: int) -> list[Trip]:
    ticket = selectors.ticket_get(user=request.user, pk=ticket_id)
    return list(ticket.trips.select_related("point", "recorded_by"))


@router.post("/tickets/{ticket_id}/trips", response={201: TripOut})
def trip_create(request: HttpRequest, ticket_id: int, payload: TripIn) -> Status[Trip]:
    ticket = selectors.ticket_get(user=request.user, pk=ticket_id, action=Action.CHANGE)
    point = _point_for(request.user, payload.point_id)
    trip = services.trip_record(
        actor=request.user,
        ticket=ticket,
        day=payload.date,
        point=point,
        purpose=payload.purpose.replace("\x00", ""),
    )
    return Status(201, trip)


# --- return visits ------------------------------------------------------------------------------
@router.get("/return-visits", response=list[ReturnVisitOut])
@paginate(Pagination)
def return_visits(request: HttpRequest, ticket: int | None = None) -> Any:
    qs = selectors.return_visit_list(user=request.user)
    return qs.filter(ticket_id=ticket) if ticket is not None else qs


@router.post("/tickets/{ticket_id}/return-visits", response={201: ReturnVisitCreatedOut})
def return_visit_create(
    request: HttpRequest, ticket_id: int, payload: ReturnVisitIn
) -> Status[ReturnVisit]:
    user = request.user
    ticket = selectors.ticket_get(user=user, pk=ticket_id, action=Action.CHANGE)
    visit = services.return_visit_record(
        actor=user,
        ticket=ticket,
        satisfaction=payload.satisfaction,
        resolution=payload.resolution,
        answers=[a.replace("\x00", "") for a in payload.answers],
        suggestions=payload.suggestions.replace("\x00", ""),
    )
    return Status(201, visit)


# --- door-to-door help --------------------------------------------------------------------------
@router.get("/door-to-door", response=list[DoorVisitOut])
@paginate(Pagination)
def door_to_door(
    request: HttpRequest, mine: bool = False, status: VisitStatus | None = None
) -> Any:
    qs = selectors.door_visit_list(user=request.user, mine=mine)
    return qs.filter(status=status) if status else qs
