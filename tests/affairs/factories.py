"""Helpers shared by the government-services tests: a service item, a point, a ticket.

Items and points are plain rows; tickets go through `services.ticket_create` so that due
dates, numbers, the first transition and the first trip are made the way the app makes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from jiedao.affairs import services
from jiedao.affairs.models import Channel, PointKind, ServiceItem, ServicePoint, Ticket
from jiedao.core import figures
from jiedao.core.models import OrgUnit, Person
from tests.factories import make_person


def make_item(
    org: OrgUnit,
    code: str = "T-01",
    name: str = "测试事项",
    *,
    time_limit_days: int = 5,
    sample_rate: Decimal | str = "0.100",
    **kwargs: Any,
) -> ServiceItem:
    return ServiceItem.objects.create(
        org_unit=org,
        code=code,
        name=name,
        time_limit_days=time_limit_days,
        sample_rate=Decimal(sample_rate),
        **kwargs,
    )


def make_point(
    org: OrgUnit,
    name: str = "受理中心",
    *,
    kind: str = PointKind.CENTRE,
    items: Iterable[ServiceItem] = (),
    staff: Iterable[Any] = (),
) -> ServicePoint:
    point = ServicePoint.objects.create(org_unit=org, kind=kind, name=name)
    point.items.set(list(items))
    point.staff.set(list(staff))
    figures.added(ServicePoint, [point.pk])  # points are set up in the admin, which counts them
    return point


def make_ticket(
    *,
    actor: Any,
    item: ServiceItem,
    point: ServicePoint,
    person: Person | None = None,
    channel: str = Channel.WINDOW,
    submitted_at: datetime | None = None,
    **kwargs: Any,
) -> Ticket:
    """A ticket opened through the service; a new applicant in the point's org if none given."""
    return services.ticket_create(
        actor=actor,
        item=item,
        point=point,
        channel=channel,
        applicant_person=person or make_person(point.org_unit),
        submitted_at=submitted_at,
        **kwargs,
    )


def advance(ticket: Ticket, actor: Any, *statuses: str, at: datetime | None = None) -> Ticket:
    """Move a ticket through `statuses` in order (a note is given for those that need one)."""
    for status in statuses:
        ticket = services.ticket_transition(
            actor=actor, ticket=ticket, to_status=status, note="测试说明", at=at
        )
    return ticket
