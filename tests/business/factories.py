"""Helpers shared by the business-environment tests.

Profiles, councils and requests go through `jiedao.business.services`, so due steps, numbers,
the first transition and the checks are made the way the app makes them. Request types and
buildings are plain rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from jiedao.business import services
from jiedao.business.models import (
    BuildingProfile,
    Council,
    EnterpriseProfile,
    EnterpriseRequest,
    RequestType,
)
from jiedao.core.models import Enterprise, OfficeBuilding, OrgUnit
from tests.factories import BuildingFactory, make_enterprise


def make_building(org: OrgUnit, name: str | None = None, **kwargs: Any) -> OfficeBuilding:
    if name is not None:
        kwargs["name"] = name
    return BuildingFactory(org_unit=org, **kwargs)


def make_building_profile(actor: Any, building: OfficeBuilding, **data: Any) -> BuildingProfile:
    return services.building_profile_save(actor=actor, building=building, data=data)


def make_firm(
    building: OfficeBuilding,
    name: str,
    *,
    actor: Any | None = None,
    white_collar: int | None = None,
    moved_in: date | None = None,
    moved_out: date | None = None,
    org: OrgUnit | None = None,
    **kwargs: Any,
) -> Enterprise:
    """An enterprise in `building`; with `actor`, also its profile (white-collar staff, dates)."""
    firm = make_enterprise(org or building.org_unit, name, building=building, **kwargs)
    if actor is not None:
        data: dict[str, Any] = {"moved_in": moved_in, "moved_out": moved_out}
        if white_collar is not None:
            data["white_collar_count"] = white_collar
        make_enterprise_profile(actor, firm, **data)
    return firm


def make_enterprise_profile(actor: Any, enterprise: Enterprise, **data: Any) -> EnterpriseProfile:
    profile, _changed = services.enterprise_profile_save(
        actor=actor, enterprise=enterprise, data=data
    )
    return profile


def make_council(
    actor: Any,
    org: OrgUnit,
    buildings: Iterable[OfficeBuilding],
    name: str = "和矩阵楼务会",
    **kwargs: Any,
) -> Council:
    return services.council_create(
        actor=actor,
        org_unit=org,
        name=name,
        convener=kwargs.pop("convener", "王召集"),
        secretary_general=kwargs.pop("secretary_general", "李秘书"),
        buildings=list(buildings),
        **kwargs,
    )


def make_type(
    code: str = "policy",
    name: str = "政策咨询",
    *,
    ack_hours: int = 4,
    response_days: int = 1,
    resolve_days: int = 5,
    free: bool = True,
) -> RequestType:
    return RequestType.objects.create(
        code=code,
        name=name,
        is_free_service=free,
        ack_hours=ack_hours,
        response_days=response_days,
        resolve_days=resolve_days,
    )


def make_request(
    actor: Any,
    enterprise: Enterprise,
    type: RequestType,
    received_at: datetime | None = None,
    *,
    title: str = "请协助办理",
    description: str = "企业反映的具体情况。",
    **kwargs: Any,
) -> EnterpriseRequest:
    return services.request_file(
        actor=actor,
        enterprise=enterprise,
        rtype=type,
        title=title,
        description=description,
        received_at=received_at,
        **kwargs,
    )


def advance(
    request: EnterpriseRequest, actor: Any, *statuses: str, at: datetime | None = None
) -> EnterpriseRequest:
    """Move a request through `statuses` in order (with a note, and a department to refer to)."""
    for status in statuses:
        request = services.request_transition(
            actor=actor,
            request=request,
            to_status=status,
            note="测试说明",
            referred_to="区市场监管局",
            at=at,
        )
    return request
