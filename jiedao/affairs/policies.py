"""Who may do what in government services (registered with the central policy)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from jiedao.accounts.models import Role
from jiedao.affairs import models as m
from jiedao.core.permissions import Action, Rule, policy

R = Role
CATALOGUE_READERS = frozenset(
    {
        R.SUBDISTRICT_ADMIN,
        R.SUBDISTRICT_LEADER,
        R.SERVICE_CLERK,
        R.COMMITTEE_WORKER,
        R.DISTRICT_LEADER,
        R.CITY_LEADER,
    }
)
TICKET_WORKERS = frozenset({R.SUBDISTRICT_ADMIN, R.SERVICE_CLERK, R.COMMITTEE_WORKER})
TICKET_READERS = frozenset(TICKET_WORKERS | {R.SUBDISTRICT_LEADER})


def _own_ticket(user: Any) -> Q:
    return Q(applicant_person__user=user) | Q(applicant_enterprise__contact__user=user)


def register() -> None:
    # The catalogue belongs to the org that publishes it (usually the city) and is read by
    # everyone below it: the rule looks at the item's org from the reader's side.
    policy.register(
        m.ServiceItem,
        Rule(
            grants={
                Action.VIEW: CATALOGUE_READERS,
                Action.ADD: frozenset({R.SUBDISTRICT_ADMIN}),
                Action.CHANGE: frozenset({R.SUBDISTRICT_ADMIN}),
                Action.IMPORT: frozenset({R.SUBDISTRICT_ADMIN}),
                Action.EXPORT: CATALOGUE_READERS,
            },
            ancestors_visible=True,
        ),
    )
    policy.register(
        m.ServicePoint,
        Rule(
            grants={
                Action.VIEW: CATALOGUE_READERS,
                Action.CHANGE: frozenset({R.SUBDISTRICT_ADMIN}),
                Action.EXPORT: CATALOGUE_READERS,
            }
        ),
    )
    policy.register(
        m.Ticket,
        Rule(
            grants={
                Action.VIEW: TICKET_READERS,
                Action.ADD: TICKET_WORKERS,
                Action.CHANGE: TICKET_WORKERS,
                Action.EXPORT: TICKET_READERS,
            },
            own=_own_ticket,
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset({R.RESIDENT, R.ENTERPRISE_CONTACT}),
        ),
    )
    policy.register(
        m.DoorToDoorRequest,
        Rule(
            grants={
                Action.VIEW: TICKET_READERS,
                Action.ADD: TICKET_WORKERS,
                Action.CHANGE: TICKET_WORKERS,
                Action.EXPORT: TICKET_READERS,
            }
        ),
    )
    policy.register(
        m.ReturnVisit,
        Rule(
            grants={Action.VIEW: TICKET_READERS, Action.EXPORT: TICKET_READERS},
            org_path="ticket__org_unit__path",
        ),
    )
