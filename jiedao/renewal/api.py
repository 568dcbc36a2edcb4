"""API of urban renewal at /api/v1/renewal/. Every read goes through a selector scoped by the
central policy and every write through a service; a household's contact leaves only as a name
and a masked phone. Household writes carry `expected_version`: a stale one answers 409."""

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from jiedao.core.api import Pagination
from jiedao.core.permissions import Action
from jiedao.renewal import selectors, services
from jiedao.renewal.models import (
    Agreement,
    EntryCategory,
    EntryKind,
    Household,
    LedgerEntry,
    RenewalProject,
    Visit,
    WorkMethod,
)

router = Router(tags=["renewal"])

M = TypeVar("M", bound=models.Model)


def _one(qs: QuerySet[M], pk: int) -> M:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _text(value: str) -> str:
    return value.replace("\x00", "")


def _stale(exc: services.StaleEdit) -> Status[Any]:
    return Status(409, {"code": "stale", "message": " ".join(exc.messages)})


# --- schemas ------------------------------------------------------------------------------------
class ErrorOut(Schema):
    code: str
    message: str


class ProjectOut(Schema):
    id: int
    name: str
    kind: str
    phase: str
    org_unit_id: int
    compound_id: int
    compound_name: str = Field(..., alias="compound.name")
    floor_area: Decimal
    planned_households: int
    started_on: date | None
    completed_on: date | None
    agree_threshold: Decimal
    sign_threshold: Decimal


class RoundOut(Schema):
    count: int
    total: int
    share: Decimal
    threshold: Decimal
    passed: bool


class FundingOut(Schema):
    budget: Decimal
    committed: Decimal
    paid: Decimal
    balance: Decimal
    balanced: bool
    by_source: dict[str, Decimal]
    committed_by_category: dict[str, Decimal]
    paid_by_category: dict[str, Decimal]


class ProjectDetailOut(ProjectOut):
    team: str
    options: list[dict[str, str]]
    consultation_passed: bool | None
    agreements_effective: bool | None
    consultation: RoundOut
    signing: RoundOut
    funding: FundingOut

    @staticmethod
    def _round(result: selectors.RoundResult) -> dict[str, Any]:
        return {
            "count": result.count,
            "total": result.total,
            "share": result.share.quantize(Decimal("0.0001")),
            "threshold": result.threshold,
            "passed": result.passed,
        }

    @staticmethod
    def resolve_consultation(obj: RenewalProject) -> dict[str, Any]:
        return ProjectDetailOut._round(selectors.consultation_result(obj))

    @staticmethod
    def resolve_signing(obj: RenewalProject) -> dict[str, Any]:
        return ProjectDetailOut._round(selectors.signing_result(obj))

    @staticmethod
    def resolve_funding(obj: RenewalProject) -> dict[str, Any]:
        f = selectors.funding(obj)
        return {
            "budget": f.budget,
            "committed": f.committed,
            "paid": f.paid,
            "balance": f.balance,
            "balanced": f.balanced,
            "by_source": f.by_source,
            "committed_by_category": f.committed_by_category,
            "paid_by_category": f.paid_by_category,
        }


class PhaseIn(Schema):
    to_phase: str = Field(..., max_length=20)


class HouseholdOut(Schema):
    id: int
    project_id: int
    block: str
    unit: str
    room: str
    floor_area: Decimal
    tenure: str
    answer: str
    answered_on: date | None
    moved_on: date | None
    keys_on: date | None
    inspected_on: date | None
    assigned_to_id: int | None
    contact_name: str
    contact_phone: str = Field(..., description="masked")
    state: str
    version: int

    @staticmethod
    def resolve_contact_name(obj: Household) -> str:
        return obj.contact.name if obj.contact else ""

    @staticmethod
    def resolve_contact_phone(obj: Household) -> str:
        return obj.contact.phone_masked if obj.contact else ""

    @staticmethod
    def resolve_state(obj: Household) -> str:
        return selectors.state_of(obj)


class HouseholdDetailOut(HouseholdOut):
    special: list[str]


class HouseholdFiltersIn(Schema):
    project: int | None = None
    state: str = Field("", max_length=20)
    block: str = Field("", max_length=20)
    assigned_to: int | None = None
    not_visited_days: int | None = Field(None, ge=1, le=3650)
    open_concerns: bool = False
    q: str = Field("", max_length=100)

    def to_filters(self) -> selectors.HouseholdFilters:
        return selectors.HouseholdFilters(
            project=self.project,
            state=self.state,
            block=_text(self.block),
            assigned_to=self.assigned_to,
            not_visited_days=self.not_visited_days,
            open_concerns=self.open_concerns,
            q=_text(self.q),
        )


class AnswerIn(Schema):
    expected_version: int
    answer: str = Field(..., max_length=10)
    answered_on: date | None = None


class AgreementIn(Schema):
    expected_version: int
    option: str = Field(..., max_length=30)
    number: str = Field(..., max_length=40)
    signed_on: date
    signed_by: str = Field(..., max_length=50)
    compensation: Decimal = Field(Decimal("0"), max_digits=14, decimal_places=2)
    relocation_allowance: Decimal = Field(Decimal("0"), max_digits=12, decimal_places=2)


class AgreementOut(Schema):
    id: int
    household_id: int
    number: str
    option: str
    signed_on: date
    compensation: Decimal
    relocation_allowance: Decimal
    revoked_at: Any | None
    revoke_reason: str


class RevokeIn(Schema):
    reason: str = Field(..., max_length=300)


class MoveIn(Schema):
    expected_version: int
    moved_on: date | None = None
    keys_on: date | None = None
    inspected_on: date | None = None


class VisitOut(Schema):
    id: int
    household_id: int
    date: date
    staff_id: int
    discussed: str
    concerns: str
    promises: str
    follow_up: str
    concern_open: bool
    method_id: int | None


class VisitIn(Schema):
    household_id: int
    date: date
    discussed: str = Field(..., max_length=5000)
    concerns: str = Field("", max_length=5000)
    promises: str = Field("", max_length=5000)
    follow_up: str = Field("", max_length=5000)
    concern_open: bool = False
    method_id: int | None = None


class LedgerOut(Schema):
    id: int
    project_id: int
    kind: EntryKind
    category: EntryCategory
    amount: Decimal
    date: date
    household_id: int | None
    agreement_id: int | None
    note: str


class LedgerIn(Schema):
    kind: EntryKind
    category: EntryCategory
    amount: Decimal = Field(..., max_digits=14, decimal_places=2)
    date: date
    household_id: int | None = None
    note: str = Field("", max_length=200)


# --- projects -----------------------------------------------------------------------------------
@router.get("/projects", response=list[ProjectOut])
@paginate(Pagination)
def projects(request: HttpRequest) -> Any:
    return selectors.project_list(user=request.user)


@router.get("/projects/{project_id}", response=ProjectDetailOut)
def project(request: HttpRequest, project_id: int) -> RenewalProject:
    return selectors.project_get(user=request.user, pk=project_id)


@router.post(
    "/projects/{project_id}/phase",
    response={200: ProjectDetailOut, 422: ErrorOut},
    description="Move the project to `to_phase`; an illegal move answers 422 with code "
    "`illegal_transition`, a round that did not reach its threshold with `threshold_not_met`.",
)
def project_phase(request: HttpRequest, project_id: int, payload: PhaseIn) -> Status[Any]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    try:
        services.project_move_phase(actor=user, project=target, to_phase=payload.to_phase)
    except services.IllegalTransition as exc:
        return Status(422, {"code": "illegal_transition", "message": " ".join(exc.messages)})
    except services.ValidationError as exc:
        return Status(422, {"code": "threshold_not_met", "message": " ".join(exc.messages)})
    return Status(200, selectors.project_get(user=user, pk=project_id))


# --- households ---------------------------------------------------------------------------------
@router.get("/households", response=list[HouseholdOut])
@paginate(Pagination)
def households(request: HttpRequest, filters: Query[HouseholdFiltersIn]) -> Any:
    return selectors.household_list(user=request.user, filters=filters.to_filters())


@router.get("/households/{household_id}", response=HouseholdDetailOut)
def household(request: HttpRequest, household_id: int) -> Household:
    return selectors.household_get(user=request.user, pk=household_id)


@router.post(
    "/households/{household_id}/answer",
    response={200: HouseholdDetailOut, 409: ErrorOut},
    description="Record the round-one answer; a stale `expected_version` answers 409 `stale`.",
)
def household_answer(request: HttpRequest, household_id: int, payload: AnswerIn) -> Status[Any]:
    user = request.user
    target = selectors.household_get(user=user, pk=household_id)
    try:
        services.household_record_answer(
            actor=user,
            household=target,
            expected_version=payload.expected_version,
            answer=payload.answer,
            on=payload.answered_on,
        )
    except services.StaleEdit as exc:
        return _stale(exc)
    return Status(200, selectors.household_get(user=user, pk=household_id))


@router.post(
    "/households/{household_id}/agreements",
    response={201: AgreementOut, 409: ErrorOut},
    description="Sign the household's agreement; a stale `expected_version` answers 409 `stale`.",
)
def household_sign(request: HttpRequest, household_id: int, payload: AgreementIn) -> Status[Any]:
    user = request.user
    target = selectors.household_get(user=user, pk=household_id)
    try:
        agreement = services.agreement_sign(
            actor=user,
            household=target,
            expected_version=payload.expected_version,
            option=_text(payload.option),
            number=_text(payload.number),
            signed_on=payload.signed_on,
            signed_by=_text(payload.signed_by),
            compensation=payload.compensation,
            relocation_allowance=payload.relocation_allowance,
        )
    except services.StaleEdit as exc:
        return _stale(exc)
    return Status(201, agreement)


@router.post(
    "/households/{household_id}/moves",
    response={200: HouseholdDetailOut, 409: ErrorOut},
    description="Record move-out dates; a stale `expected_version` answers 409 `stale`.",
)
def household_move(request: HttpRequest, household_id: int, payload: MoveIn) -> Status[Any]:
    user = request.user
    target = selectors.household_get(user=user, pk=household_id)
    try:
        services.household_record_move(
            actor=user,
            household=target,
            expected_version=payload.expected_version,
            moved_on=payload.moved_on,
            keys_on=payload.keys_on,
            inspected_on=payload.inspected_on,
        )
    except services.StaleEdit as exc:
        return _stale(exc)
    return Status(200, selectors.household_get(user=user, pk=household_id))


@router.post(
    "/agreements/{agreement_id}/revoke",
    response=AgreementOut,
    description="A supervisor revokes an agreement with a reason; its commitments are reversed.",
)
def agreement_revoke(request: HttpRequest, agreement_id: int, payload: RevokeIn) -> Agreement:
    user = request.user
    households = selectors.household_list(user=user)
    agreement = (
        Agreement.objects.filter(pk=agreement_id, household__in=households.values("pk"))
        .select_related("household")
        .first()
    )
    if agreement is None:
        raise Http404
    services.agreement_revoke(actor=user, agreement=agreement, reason=_text(payload.reason))
    return agreement


# --- visits -------------------------------------------------------------------------------------
@router.get("/visits", response=list[VisitOut])
@paginate(Pagination)
def visits(request: HttpRequest, project: int | None = None, household: int | None = None) -> Any:
    target = selectors.project_get(user=request.user, pk=project) if project else None
    qs = selectors.visit_list(user=request.user, project=target)
    return qs.filter(household_id=household) if household is not None else qs


@router.post("/visits", response={201: VisitOut})
def visit_create(request: HttpRequest, payload: VisitIn) -> Status[Visit]:
    user = request.user
    target = selectors.household_get(user=user, pk=payload.household_id, action=Action.CHANGE)
    method = (
        _one(WorkMethod.objects.all(), payload.method_id) if payload.method_id is not None else None
    )
    visit = services.visit_record(
        actor=user,
        household=target,
        day=payload.date,
        discussed=_text(payload.discussed),
        concerns=_text(payload.concerns),
        promises=_text(payload.promises),
        follow_up=_text(payload.follow_up),
        concern_open=payload.concern_open,
        method=method,
    )
    return Status(201, visit)


# --- ledger -------------------------------------------------------------------------------------
@router.get("/projects/{project_id}/ledger", response=list[LedgerOut])
@paginate(Pagination)
def ledger(request: HttpRequest, project_id: int) -> Any:
    target = selectors.project_get(user=request.user, pk=project_id)
    return selectors.ledger_list(user=request.user, project=target)


@router.post("/projects/{project_id}/ledger", response={201: LedgerOut})
def ledger_create(request: HttpRequest, project_id: int, payload: LedgerIn) -> Status[LedgerEntry]:
    user = request.user
    target = selectors.project_get(user=user, pk=project_id)
    hh = (
        selectors.household_get(user=user, pk=payload.household_id)
        if payload.household_id is not None
        else None
    )
    entry = services.ledger_add(
        actor=user,
        project=target,
        kind=payload.kind,
        category=payload.category,
        amount=payload.amount,
        day=payload.date,
        household=hh,
        note=_text(payload.note),
    )
    return Status(201, entry)
