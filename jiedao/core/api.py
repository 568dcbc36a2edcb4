"""API endpoints of the foundation. Personal data leaves only masked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from jiedao.core import selectors, services
from jiedao.core.models import Enterprise, OfficeBuilding, OrgUnit, Person
from jiedao.core.permissions import Action, NotPermitted, policy

router = Router()


class Pagination(LimitOffsetPagination):
    """limit/offset with bounds: a huge offset must be a 422, not a database overflow."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=2**31 - 1)


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]


class OrgUnitOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    path: str


class PersonOut(Schema):
    id: int
    name: str
    org_unit_id: int
    gender: str
    id_number: str = Field(..., alias="id_number_masked", description="masked")
    phone: str = Field(..., alias="phone_masked", description="masked")
    address: str
    household_id: int | None


class PersonIn(Schema):
    org_unit_id: int
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""


class PersonPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None


class RevealIn(Schema):
    field: str
    reason: str


class RevealOut(Schema):
    field: str
    value: str


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    org_unit_id: int
    building_id: int | None
    floor: int | None
    contact_name: str | None = None
    contact_phone: str | None = Field(None, description="masked")

    @staticmethod
    def resolve_contact_name(obj: Enterprise) -> str | None:
        return obj.contact.name if obj.contact else None

    @staticmethod
    def resolve_contact_phone(obj: Enterprise) -> str | None:
        return obj.contact.phone_masked if obj.contact else None


class EnterpriseIn(Schema):
    org_unit_id: int
    name: str
    credit_code: str
    building_id: int | None = None
    floor: int | None = None


class PlaceOut(Schema):
    id: int
    name: str
    address: str
    org_unit_id: int
    longitude: Decimal | None
    latitude: Decimal | None
    coordinate_system: str
    floor_area: Decimal


class RollupOut(Schema):
    org_unit_id: int
    name: str
    committees: int
    compounds: int
    buildings: int
    people: int
    enterprises: int


@router.get("/me", response=MeOut, tags=["accounts"])
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(policy.roles(user)),
    }


@router.get("/org-units", response=list[OrgUnitOut], tags=["org"])
@paginate(Pagination)
def org_units(request: HttpRequest) -> Any:
    return selectors.org_unit_list(user=request.user)


@router.get("/rollups", response=list[RollupOut], tags=["org"])
def rollups(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "org_unit_id": r.org.pk,
            "name": r.org.name,
            "committees": r.committees,
            "compounds": r.compounds,
            "buildings": r.buildings,
            "people": r.people,
            "enterprises": r.enterprises,
        }
        for r in selectors.rollup_by_subdistrict(user=request.user)
    ]


# --- report card ---------------------------------------------------------------------------
FigureValue = float | int | str | None


def _plain(value: Any) -> FigureValue:
    return float(value) if isinstance(value, Decimal) else value


class FigureOut(Schema):
    key: str
    module: str
    label: str
    definition: str
    unit: str
    decimals: int
    flow: bool = Field(description="counted per year (a flow) or as of today (a stock)")
    value: FigureValue = Field(description="the five-year window's value, or today's for a stock")
    by_year: dict[str, FigureValue] = Field(description="a flow's value in each year")


class ComparisonRowOut(Schema):
    code: str
    name: str
    values: dict[str, FigureValue]
    ranks: dict[str, int | None]


class ReportCardOut(Schema):
    code: str
    name: str
    kind: str
    window: list[int]
    years: list[int]
    figures: list[FigureOut]
    comparison: list[ComparisonRowOut] | None = Field(
        None, description="for a district or city: every subdistrict below it, then the total"
    )


@router.get("/report-cards/{code}", response=ReportCardOut, tags=["figures"])
def report_card(request: HttpRequest, code: str, end: int | None = None) -> dict[str, Any]:
    """An org unit's headline figures from the roll-ups (no personal data), as on its page."""
    user: Any = request.user
    if end is not None and not 2000 <= end <= 2100:
        end = None
    org = selectors.report_card_org(user=user, code=code)
    card = selectors.report_card(user=user, org=org, end=end)
    figures = []
    for section in card.sections:
        for row in section.rows:
            fig = row.figure
            figures.append(
                {
                    "key": fig.key,
                    "module": fig.module,
                    "label": str(fig.label),
                    "definition": str(fig.definition),
                    "unit": str(fig.unit),
                    "decimals": fig.decimals,
                    "flow": fig.flow,
                    "value": _plain(row.window),
                    "by_year": {
                        str(y): _plain(v) for y, v in zip(card.years, row.by_year, strict=False)
                    },
                }
            )
    comparison = selectors.report_comparison(user=user, org=org, end=end)
    rows = None
    if comparison is not None:
        rows = [
            {
                "code": r.org.code,
                "name": r.org.name,
                "values": {k: _plain(v) for k, v in r.values.items()},
                "ranks": r.ranks,
            }
            for r in [*comparison.rows, comparison.total]
        ]
    return {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "window": list(card.window),
        "years": card.years,
        "figures": figures,
        "comparison": rows,
    }


def _org_for(user: Any, org_unit_id: int) -> OrgUnit:
    org = selectors.org_unit_list(user=user).filter(pk=org_unit_id).first()
    if org is None:
        org = get_object_or_404(OrgUnit.objects.none())
    return org


@router.get("/people", response=list[PersonOut], tags=["people"])
@paginate(Pagination)
def people(request: HttpRequest, q: str = "") -> Any:
    return selectors.person_list(user=request.user, q=q.replace("\x00", "")[:100])


@router.get("/people/{person_id}", response=PersonOut, tags=["people"])
def person(request: HttpRequest, person_id: int) -> Person:
    return selectors.person_get(user=request.user, pk=person_id)


@router.post("/people", response={201: PersonOut}, tags=["people"])
def person_create(request: HttpRequest, payload: PersonIn) -> Person:
    org = _org_for(request.user, payload.org_unit_id)
    data = services.PersonData.clean(
        name=payload.name, id_number=payload.id_number, phone=payload.phone, address=payload.address
    )
    return services.person_create(actor=request.user, org_unit=org, data=data)


@router.patch("/people/{person_id}", response=PersonOut, tags=["people"])
def person_update(request: HttpRequest, person_id: int, payload: PersonPatch) -> Person:
    person = selectors.person_get(user=request.user, pk=person_id, action=Action.CHANGE)
    data = services.person_edit_data(
        person=person,
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        address=payload.address,
    )
    return services.person_update(actor=request.user, person=person, data=data)


@router.post("/people/{person_id}/reveal", response=RevealOut, tags=["people"])
def person_reveal(request: HttpRequest, person_id: int, payload: RevealIn) -> dict[str, str]:
    person = selectors.person_get(user=request.user, pk=person_id, action=Action.REVEAL)
    value = services.person_reveal(
        actor=request.user,
        person=person,
        field=payload.field,
        reason=payload.reason,
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    return {"field": payload.field, "value": value}


@router.get("/enterprises", response=list[EnterpriseOut], tags=["enterprises"])
@paginate(Pagination)
def enterprises(request: HttpRequest, q: str = "") -> Any:
    return selectors.enterprise_list(user=request.user, q=q.replace("\x00", "")[:100])


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut, tags=["enterprises"])
def enterprise(request: HttpRequest, enterprise_id: int) -> Enterprise:
    return selectors.enterprise_get(user=request.user, pk=enterprise_id)


def _building_for(user: Any, building_id: int | None) -> OfficeBuilding | None:
    if building_id is None:
        return None
    return selectors.building_get(user=user, pk=building_id)


@router.post("/enterprises", response={201: EnterpriseOut}, tags=["enterprises"])
def enterprise_create(request: HttpRequest, payload: EnterpriseIn) -> Enterprise:
    org = _org_for(request.user, payload.org_unit_id)
    data = services.EnterpriseData.clean(
        name=payload.name,
        credit_code=payload.credit_code,
        building=_building_for(request.user, payload.building_id),
        floor=payload.floor,
    )
    return services.enterprise_create(actor=request.user, org_unit=org, data=data)


@router.put("/enterprises/{enterprise_id}", response=EnterpriseOut, tags=["enterprises"])
def enterprise_update(
    request: HttpRequest, enterprise_id: int, payload: EnterpriseIn
) -> Enterprise:
    enterprise = selectors.enterprise_get(user=request.user, pk=enterprise_id, action=Action.CHANGE)
    data = services.EnterpriseData.clean(
        name=payload.name,
        credit_code=payload.credit_code,
        building=_building_for(request.user, payload.building_id),
        floor=payload.floor,
    )
    return services.enterprise_update(actor=request.user, enterprise=enterprise, data=data)


@router.get("/compounds", response=list[PlaceOut], tags=["places"])
@paginate(Pagination)
def compounds(request: HttpRequest, q: str = "") -> Any:
    return selectors.compound_list(user=request.user, q=q.replace("\x00", "")[:100])


@router.get("/buildings", response=list[PlaceOut], tags=["places"])
@paginate(Pagination)
def buildings(request: HttpRequest, q: str = "") -> Any:
    return selectors.building_list(user=request.user, q=q.replace("\x00", "")[:100])


__all__ = ["NotPermitted", "router"]
