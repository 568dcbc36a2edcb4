"""API of the 12345 module at /api/v1/hotline/.

The hotline platform pushes orders to `POST /push` with its own key (`X-Hotline-Key`, issued by
`jiedao hotline_key`); every other endpoint is for staff, reads through a selector scoped by the
central policy and writes through a service. The caller's phone leaves only masked.
"""

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.security import APIKeyHeader

from jiedao.core.api import Pagination
from jiedao.core.models import OrgKind, OrgUnit
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.hotline import selectors, services
from jiedao.hotline.models import (
    Category,
    CategoryKind,
    OrderStatus,
    Review,
    ReviewKind,
    ReviewStatus,
    Satisfaction,
    Urgency,
    WorkOrder,
)

router = Router(tags=["hotline"])
ID_LIST_MAX = 20


def _text(value: str) -> str:
    return value.replace("\x00", "")


class HotlineKey(APIKeyHeader):
    """The hotline platform's key, sent as the `X-Hotline-Key` header."""

    param_name = "X-Hotline-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return services.client_authenticate(key or "")


# --- schemas ------------------------------------------------------------------------------------
class ErrorOut(Schema):
    code: str
    message: str


class DuplicateOut(ErrorOut):
    id: int = Field(..., description="the order already received under this hotline number")
    number: str


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    kind: CategoryKind
    deadline_days: int = Field(..., description="working days, unless deadline_hours is set")
    deadline_hours: int | None
    extension_needs_approval: bool
    send_back_allowed: bool
    active: bool


class OrderOut(Schema):
    id: int
    number: str
    source: str
    hotline_number: str
    channel: str
    subdistrict_id: int
    subdistrict_name: str
    org_unit_id: int = Field(
        ..., description="the subdistrict until dispatched, then the lead unit"
    )
    org_unit_name: str
    category_id: int
    category_name: str
    urgency: Urgency
    status: OrderStatus
    warning: bool
    caller_name: str
    caller_phone: str = Field(..., description="masked")
    address: str
    longitude: Decimal | None
    latitude: Decimal | None
    received_at: datetime
    dispatched_at: datetime | None
    signed_at: datetime | None
    contacted_at: datetime | None
    replied_at: datetime | None
    visited_at: datetime | None
    assessed_at: datetime | None
    contact_due: datetime | None
    reply_due: datetime | None
    warning_due: datetime | None
    extended_days: int
    satisfaction: str
    resolved: bool | None
    merged_into_id: int | None

    @staticmethod
    def resolve_subdistrict_name(obj: WorkOrder) -> str:
        return obj.subdistrict.name

    @staticmethod
    def resolve_org_unit_name(obj: WorkOrder) -> str:
        return obj.org_unit.name

    @staticmethod
    def resolve_category_name(obj: WorkOrder) -> str:
        return obj.category.name

    @staticmethod
    def resolve_caller_phone(obj: WorkOrder) -> str:
        return obj.phone_masked


class TransitionOut(Schema):
    from_status: str
    to_status: str
    actor_name: str | None
    at: datetime
    note: str


class VisitOut(Schema):
    round: int
    satisfaction: Satisfaction
    resolved: bool
    note: str
    visited_at: datetime


class ReviewOut(Schema):
    id: int
    order_id: int
    kind: ReviewKind
    status: ReviewStatus
    reason: str
    requested_by_name: str
    requested_at: datetime
    lead_unit_id: int | None
    extra_days: int | None
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_requested_by_name(obj: Review) -> str:
        return str(obj.requested_by)

    @staticmethod
    def resolve_decided_by_name(obj: Review) -> str | None:
        return str(obj.decided_by) if obj.decided_by else None


class OrderDetailOut(OrderOut):
    ticket_id: int | None
    text: str
    reply: str
    assisting_unit_ids: list[int]
    transitions: list[TransitionOut]
    visits: list[VisitOut]
    reviews: list[ReviewOut]

    @staticmethod
    def resolve_assisting_unit_ids(obj: WorkOrder) -> list[int]:
        return sorted(u.pk for u in obj.assisting_units.all())

    @staticmethod
    def resolve_transitions(obj: WorkOrder) -> list[dict[str, Any]]:
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
    def resolve_visits(obj: WorkOrder) -> list[Any]:
        return list(obj.visits.all())

    @staticmethod
    def resolve_reviews(obj: WorkOrder) -> list[Any]:
        return list(obj.reviews.select_related("requested_by", "decided_by"))


class OrderFiltersIn(Schema):
    """The list's filters, as in the pages (`selectors.OrderFilters`)."""

    q: str = ""
    status: OrderStatus | None = None
    category: int | None = None
    urgency: Urgency | None = None
    unit: int | None = None
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM received")
    due: Literal["overdue", "soon"] | None = None
    warning: Literal["yes", "no"] | None = None

    def to_filters(self) -> selectors.OrderFilters:
        return selectors.OrderFilters(
            q=_text(self.q).strip()[:100],
            status=self.status or "",
            category=self.category,
            urgency=self.urgency or "",
            unit=self.unit,
            month=self.month,
            due=self.due or "",
            warning=self.warning or "",
        )


class OrderFields(Schema):
    hotline_number: str = Field(..., max_length=40)
    urgency: Urgency = Urgency.NORMAL
    caller_name: str = Field("", max_length=50)
    caller_phone: str = Field("", max_length=30, description="stored encrypted, shown masked")
    address: str = Field(..., max_length=200)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    text: str = Field(..., max_length=5000)
    received_at: datetime | None = Field(None, description="default: now")
    ticket_number: str = Field(
        "", max_length=40, description="the government-services ticket the call is about, if any"
    )


class PushIn(OrderFields):
    subdistrict: str = Field(..., max_length=32, description="the subdistrict's org code, e.g. TMX")
    category: str = Field(..., max_length=30, description="the catalogue code")


class OrderIn(OrderFields):
    subdistrict_id: int
    category_id: int
    source: str = Field("12345", max_length=30, pattern=r"^[-a-zA-Z0-9_]+$")


class TransitionIn(Schema):
    to_status: str = Field(..., max_length=32)
    note: str = Field("", max_length=1000)
    lead_unit_id: int | None = Field(None, description="dispatched: a committee of the subdistrict")
    assisting_unit_ids: list[int] = Field(default_factory=list, max_length=ID_LIST_MAX)
    reply: str = Field("", max_length=5000, description="replied: the outcome")


class MergeIn(Schema):
    into_id: int
    note: str = Field("", max_length=1000)


class ReviewIn(Schema):
    kind: ReviewKind
    reason: str = Field(..., max_length=500)
    lead_unit_id: int | None = Field(None, description="reassign: the new lead unit")
    extra_days: int | None = Field(None, description="extension: working days (1–15)")


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=500, description="required when refusing")


class VisitIn(Schema):
    satisfaction: Satisfaction
    resolved: bool
    note: str = Field("", max_length=500)
    service_level: int | None = Field(
        None, description="the caller's rating (5–1) of the ticket the order is about: 好差评"
    )


class RankOut(Schema):
    org_unit_id: int
    code: str
    name: str
    rank: int | None
    orders: int
    response_rate: float | None = Field(..., description="per cent")
    resolution_rate: float | None = Field(..., description="per cent")
    satisfaction_rate: float | None = Field(..., description="per cent")
    score: float | None = Field(..., description="weighted, out of 100")


# --- the platform's push ------------------------------------------------------------------------
@router.post(
    "/push",
    auth=HotlineKey(),
    response={201: OrderOut, 409: DuplicateOut},
    description="The hotline platform pushes one order (`X-Hotline-Key` header). A hotline "
    "number already received from this platform's source answers 409 `duplicate` with the "
    "order's id; a repeat call of the same phone and category is received and merged into the "
    "first open order (status `merged`).",
)
def push(request: HttpRequest, payload: PushIn) -> Status[Any]:
    client = request.auth  # type: ignore[attr-defined]
    subdistrict = OrgUnit.objects.filter(code=payload.subdistrict, kind=OrgKind.SUBDISTRICT).first()
    category = Category.objects.filter(code=payload.category).first()
    errors: dict[str, list[str]] = {}
    if subdistrict is None:
        errors["subdistrict"] = [_("未知的街道代码。")]
    if category is None:
        errors["category"] = [_("未知的类别编码。")]
    if errors:
        raise ValidationError(errors)
    assert subdistrict is not None and category is not None
    try:
        order = services.order_receive(
            actor=None,
            client=client,
            subdistrict=subdistrict,
            category=category,
            hotline_number=_text(payload.hotline_number),
            text=_text(payload.text),
            address=_text(payload.address),
            caller_name=_text(payload.caller_name),
            caller_phone=_text(payload.caller_phone),
            received_at=payload.received_at,
            urgency=payload.urgency,
            longitude=payload.longitude,
            latitude=payload.latitude,
            ticket_number=_text(payload.ticket_number),
        )
    except services.DuplicateOrder as exc:
        return Status(
            409,
            {
                "code": "duplicate",
                "message": " ".join(exc.messages),
                "id": exc.existing.pk,
                "number": exc.existing.number,
            },
        )
    return Status(201, WorkOrder.objects.select_related(*_RELATED).get(pk=order.pk))


_RELATED = ("category", "org_unit", "subdistrict")


# --- staff --------------------------------------------------------------------------------------
@router.get("/categories", response=list[CategoryOut])
def categories(request: HttpRequest) -> list[Category]:
    if not policy.can_any(request.user, WorkOrder, Action.VIEW):
        raise Http404
    return list(selectors.category_list(active_only=False))


@router.get("/orders", response=list[OrderOut])
@paginate(Pagination)
def orders(request: HttpRequest, filters: Query[OrderFiltersIn]) -> Any:
    return selectors.order_list(user=request.user, filters=filters.to_filters())


@router.get("/orders/{order_id}", response=OrderDetailOut)
def order(request: HttpRequest, order_id: int) -> WorkOrder:
    return selectors.order_get(user=request.user, pk=order_id)


@router.post(
    "/orders",
    response={201: OrderDetailOut, 409: DuplicateOut},
    description="Enter an order by hand (the subdistrict's centre).",
)
def order_create(request: HttpRequest, payload: OrderIn) -> Status[Any]:
    user = request.user
    subdistrict = selectors.subdistricts_for_entry(user=user).filter(pk=payload.subdistrict_id)
    sub = subdistrict.first()
    category = selectors.category_list().filter(pk=payload.category_id).first()
    if sub is None:
        raise NotPermitted(Action.ADD)
    if category is None:
        raise Http404
    try:
        made = services.order_receive(
            actor=user,
            subdistrict=sub,
            category=category,
            hotline_number=_text(payload.hotline_number),
            text=_text(payload.text),
            address=_text(payload.address),
            caller_name=_text(payload.caller_name),
            caller_phone=_text(payload.caller_phone),
            received_at=payload.received_at,
            urgency=payload.urgency,
            source=payload.source,
            longitude=payload.longitude,
            latitude=payload.latitude,
            ticket_number=_text(payload.ticket_number),
        )
    except services.DuplicateOrder as exc:
        return Status(
            409,
            {
                "code": "duplicate",
                "message": " ".join(exc.messages),
                "id": exc.existing.pk,
                "number": exc.existing.number,
            },
        )
    return Status(201, selectors.order_get(user=user, pk=made.pk))


def _illegal(exc: services.IllegalTransition) -> Status[Any]:
    return Status(422, {"code": "illegal_transition", "message": " ".join(exc.messages)})


@router.post(
    "/orders/{order_id}/transitions",
    response={200: OrderDetailOut, 422: ErrorOut},
    description="Take the order's next step: dispatched (with `lead_unit_id`, a committee of "
    "the subdistrict, and `assisting_unit_ids`), signed, contacted (a `note` of the call), "
    "handling, replied (the `reply`), assessed. Any other move answers 422 "
    "`illegal_transition`; return visits and merging have their own endpoints.",
)
def order_transition(request: HttpRequest, order_id: int, payload: TransitionIn) -> Status[Any]:
    user = request.user
    target = selectors.order_get(user=user, pk=order_id, action=Action.CHANGE)
    units = selectors.lead_units(order=target)
    lead = None
    if payload.lead_unit_id is not None:
        lead = units.filter(pk=payload.lead_unit_id).first()
        if lead is None:
            raise Http404
    assisting = list(units.filter(pk__in=payload.assisting_unit_ids))
    if len(assisting) != len(set(payload.assisting_unit_ids)):
        raise Http404
    try:
        services.order_transition(
            actor=user,
            order=target,
            to_status=payload.to_status,
            note=_text(payload.note),
            lead_unit=lead,
            assisting_units=assisting,
            reply=_text(payload.reply),
        )
    except services.IllegalTransition as exc:
        return _illegal(exc)
    return Status(200, selectors.order_get(user=user, pk=order_id))


@router.post(
    "/orders/{order_id}/merge",
    response={200: OrderDetailOut, 422: ErrorOut},
    description="Merge a repeat call into an open order of the same subdistrict.",
)
def order_merge(request: HttpRequest, order_id: int, payload: MergeIn) -> Status[Any]:
    user = request.user
    target = selectors.order_get(user=user, pk=order_id, action=Action.CHANGE)
    into = selectors.merge_targets(user=user, order=target).filter(pk=payload.into_id).first()
    if into is None:
        raise Http404
    try:
        services.order_merge(actor=user, order=target, into=into, note=_text(payload.note))
    except services.IllegalTransition as exc:
        return _illegal(exc)
    return Status(200, selectors.order_get(user=user, pk=order_id))


@router.post(
    "/orders/{order_id}/return-visits",
    response={200: OrderDetailOut, 422: ErrorOut},
    description="Record the return visit of a replied order; an unsatisfied one turns it into "
    "a warning order, back to handling within 3 working days.",
)
def order_visit(request: HttpRequest, order_id: int, payload: VisitIn) -> Status[Any]:
    user = request.user
    target = selectors.order_get(user=user, pk=order_id, action=Action.CHANGE)
    try:
        services.order_visit(
            actor=user,
            order=target,
            satisfaction=payload.satisfaction,
            resolved=payload.resolved,
            note=_text(payload.note),
            service_level=payload.service_level,
        )
    except services.IllegalTransition as exc:
        return _illegal(exc)
    return Status(200, selectors.order_get(user=user, pk=order_id))


@router.post(
    "/orders/{order_id}/reviews",
    response={201: ReviewOut, 422: ErrorOut},
    description="Ask to send the order back (`send_back`, refused unless its category allows "
    "it), give it to another unit (`reassign`, with `lead_unit_id`) or extend its deadline "
    "(`extension`, with `extra_days`). A subdistrict administrator decides.",
)
def review_create(request: HttpRequest, order_id: int, payload: ReviewIn) -> Status[Any]:
    user = request.user
    target = selectors.order_get(user=user, pk=order_id, action=Action.CHANGE)
    lead = None
    if payload.lead_unit_id is not None:
        lead = selectors.lead_units(order=target).filter(pk=payload.lead_unit_id).first()
        if lead is None:
            raise Http404
    try:
        review = services.review_request(
            actor=user,
            order=target,
            kind=payload.kind,
            reason=_text(payload.reason),
            lead_unit=lead,
            extra_days=payload.extra_days,
        )
    except services.IllegalTransition as exc:
        return _illegal(exc)
    return Status(201, review)


@router.get("/reviews", response=list[ReviewOut])
@paginate(Pagination)
def reviews(request: HttpRequest, status: ReviewStatus | None = None) -> Any:
    return selectors.review_list(user=request.user, status=status or "")


@router.post(
    "/reviews/{review_id}/decision",
    response={200: ReviewOut, 422: ErrorOut},
    description="Approve or refuse a pending request (a note is required to refuse); one "
    "cannot decide one's own request.",
)
def review_decision(request: HttpRequest, review_id: int, payload: DecisionIn) -> Status[Any]:
    user = request.user
    review = selectors.review_get(user=user, pk=review_id, action=Action.CHANGE)
    try:
        services.review_decide(
            actor=user, review=review, approve=payload.approve, note=_text(payload.note)
        )
    except services.IllegalTransition as exc:
        return _illegal(exc)
    return Status(200, selectors.review_get(user=user, pk=review_id))


@router.get(
    "/ranking",
    response=list[RankOut],
    description="The subdistricts the caller may compare, ranked by score for a month "
    "(YYYY-MM) or all time, from the roll-ups: no order and no personal data.",
)
def ranking(request: HttpRequest, month: str = "") -> list[dict[str, Any]]:
    user = request.user
    if not selectors.may_rank(user):
        raise NotPermitted(Action.VIEW)
    if month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValidationError({"month": [_("月份应为 YYYY-MM。")]})
    return [
        {
            "org_unit_id": r.org.pk,
            "code": r.org.code,
            "name": r.org.name,
            "rank": r.rank,
            "orders": r.rates.orders,
            "response_rate": r.rates.response_rate,
            "resolution_rate": r.rates.resolution_rate,
            "satisfaction_rate": r.rates.satisfaction_rate,
            "score": r.score,
        }
        for r in selectors.subdistrict_ranking(user=user, month=month)
    ]
