"""Who may do what with 12345 work orders (registered with the central policy).

- The subdistrict's city-operations centre (城运中心, `hotline_officer`) and its administrators
  receive, dispatch, merge, visit back and assess every order of the subdistrict; they may
  reveal a caller's phone.
- A committee's workers see and handle the orders their committee leads (its `org_unit` once
  dispatched) and those it assists, and may reveal the phone to call the caller back.
- Subdistrict leaders read and export (masked). District and city leaders hold nothing here:
  they compare subdistricts on the roll-ups only (`RollupRow`'s rule), never an order.
- A send-back, reassignment or extension request is made by whoever may change the order and
  decided by a subdistrict administrator (`change` on `Review`); the order's page shows its
  requests to everyone who may see the order (read through the order, like its transitions).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from jiedao.accounts.models import Role
from jiedao.core.permissions import Action, Rule, policy
from jiedao.hotline import models as m

R = Role
CENTRE = frozenset({R.SUBDISTRICT_ADMIN, R.HOTLINE_OFFICER})
HANDLERS = frozenset(CENTRE | {R.COMMITTEE_WORKER})
READERS = frozenset(HANDLERS | {R.SUBDISTRICT_LEADER})
EXPORTERS = frozenset(CENTRE | {R.SUBDISTRICT_LEADER})
REVIEWERS = frozenset({R.SUBDISTRICT_ADMIN})


def _assisting(user: Any) -> Q:
    """Orders a committee worker's unit assists (协办) without leading them."""
    paths = [path for role, path in policy.memberships(user) if role == R.COMMITTEE_WORKER]
    if not paths:
        return Q(pk__in=[])
    under = Q()
    for path in paths:
        under |= Q(orgunit__path__startswith=path)
    through = m.WorkOrder.assisting_units.through.objects.filter(under)
    return Q(pk__in=through.values("workorder_id"))


def register() -> None:
    policy.register(
        m.WorkOrder,
        Rule(
            grants={
                Action.VIEW: READERS,
                Action.EXPORT: EXPORTERS,
                Action.ADD: CENTRE,
                Action.CHANGE: HANDLERS,
                Action.REVEAL: HANDLERS,
            },
            own=_assisting,
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset({R.COMMITTEE_WORKER}),
        ),
    )
    policy.register(
        m.Review,
        Rule(
            grants={
                Action.VIEW: frozenset(CENTRE | {R.SUBDISTRICT_LEADER}),
                Action.CHANGE: REVIEWERS,
            },
            org_path="order__subdistrict__path",
        ),
    )
    policy.register(
        m.PhoneReveal,
        Rule(grants={Action.VIEW: REVIEWERS}, org_path="order__subdistrict__path"),
    )
