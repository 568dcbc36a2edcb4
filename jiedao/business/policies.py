"""Who may do what in the business environment module (registered with the central policy)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from jiedao.accounts.models import Role
from jiedao.business import models as m
from jiedao.core.permissions import Action, Rule, policy

R = Role
OFFICE = frozenset({R.SUBDISTRICT_ADMIN, R.BUSINESS_OFFICER})
READERS = frozenset(OFFICE | {R.SUBDISTRICT_LEADER, R.SERVICE_CLERK})
LEADER_READERS = frozenset(READERS | {R.DISTRICT_LEADER, R.CITY_LEADER})


def _office_rule(org_path: str, *, readers: frozenset[str] = READERS) -> Rule:
    return Rule(
        grants={
            Action.VIEW: readers,
            Action.EXPORT: readers,
            Action.ADD: OFFICE,
            Action.CHANGE: OFFICE,
            Action.DELETE: frozenset({R.SUBDISTRICT_ADMIN}),
            Action.IMPORT: OFFICE,
        },
        org_path=org_path,
    )


def _own_request(user: Any) -> Q:
    return Q(enterprise__contact__user=user)


def register() -> None:
    policy.register(m.BuildingProfile, _office_rule("building__org_unit__path"))
    policy.register(m.EnterpriseProfile, _office_rule("enterprise__org_unit__path"))
    policy.register(m.Vacancy, _office_rule("building__org_unit__path"))
    policy.register(m.Viewing, _office_rule("vacancy__building__org_unit__path"))
    policy.register(m.Council, _office_rule("org_unit__path", readers=LEADER_READERS))
    policy.register(m.Meeting, _office_rule("council__org_unit__path"))
    policy.register(m.ActionItem, _office_rule("council__org_unit__path"))
    # Leaders read their liaison buildings and record visits to them.
    liaison = Rule(
        grants={
            Action.VIEW: READERS,
            Action.EXPORT: READERS,
            Action.ADD: frozenset(OFFICE | {R.SUBDISTRICT_LEADER}),
            Action.CHANGE: frozenset(OFFICE | {R.SUBDISTRICT_LEADER}),
        },
        org_path="building__org_unit__path",
    )
    policy.register(m.LiaisonAssignment, liaison)
    policy.register(m.LiaisonVisit, liaison)
    policy.register(
        m.EnterpriseRequest,
        Rule(
            grants={
                Action.VIEW: READERS,
                Action.EXPORT: READERS,
                Action.ADD: OFFICE,
                Action.CHANGE: OFFICE,
            },
            own=_own_request,
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset({R.ENTERPRISE_CONTACT}),
        ),
    )
    policy.register(
        m.Policy,
        Rule(
            grants={
                Action.VIEW: frozenset(READERS | {R.ENTERPRISE_CONTACT}),
                Action.ADD: OFFICE,
                Action.CHANGE: OFFICE,
            },
            ancestors_visible=True,
        ),
    )
