"""Who may do what to the foundation's records (registered with the central policy)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from jiedao.accounts.models import (
    DEPARTMENT_STAFF,
    LEADERS,
    PUBLIC_ROLES,
    SUBDISTRICT_STAFF,
    Role,
)
from jiedao.core import models as m
from jiedao.core.permissions import Action, Rule, policy

R = Role
ALL_STAFF = frozenset(SUBDISTRICT_STAFF | LEADERS | {R.EXPERT})
SUBDISTRICT_READERS = frozenset(SUBDISTRICT_STAFF | {R.SUBDISTRICT_LEADER})
PLACE_READERS = frozenset(SUBDISTRICT_READERS | LEADERS)
PLACE_EDITORS = frozenset({R.SUBDISTRICT_ADMIN})
PERSON_EDITORS = frozenset(
    {
        R.SUBDISTRICT_ADMIN,
        R.SERVICE_CLERK,
        R.COMMITTEE_WORKER,
        R.RENEWAL_OFFICER,
        R.LIVELIHOOD_OFFICER,
    }
)
PII_REVEALERS = frozenset(
    {R.SUBDISTRICT_ADMIN, R.SERVICE_CLERK, R.COMMITTEE_WORKER, R.RENEWAL_OFFICER}
)
EXPORTERS = frozenset(SUBDISTRICT_STAFF | {R.SUBDISTRICT_LEADER})
ENTERPRISE_EDITORS = frozenset({R.SUBDISTRICT_ADMIN, R.BUSINESS_OFFICER})


def _place_rule(org_path: str = "org_unit__path") -> Rule:
    return Rule(
        grants={
            Action.VIEW: PLACE_READERS,
            Action.EXPORT: EXPORTERS,
            Action.ADD: PLACE_EDITORS,
            Action.CHANGE: PLACE_EDITORS,
            Action.DELETE: PLACE_EDITORS,
        },
        org_path=org_path,
    )


def _own_person(user: Any) -> Q:
    return Q(user=user)


def _own_enterprise(user: Any) -> Q:
    return Q(contact__user=user)


def _own_import(user: Any) -> Q:
    return Q(created_by=user)


# The report card and its roll-ups hold no personal data: every staff role of a subdistrict
# and every leader reads them for their subtree; experts and public accounts never do.
FIGURE_READERS = frozenset(SUBDISTRICT_STAFF | LEADERS)


def register() -> None:
    policy.register(
        m.RollupRow,
        Rule(grants={Action.VIEW: FIGURE_READERS, Action.EXPORT: FIGURE_READERS}),
    )
    policy.register(m.OrgUnit, Rule(grants={Action.VIEW: frozenset(ALL_STAFF)}, org_path="path"))
    policy.register(m.Compound, _place_rule())
    policy.register(m.OfficeBuilding, _place_rule())
    policy.register(m.ResidentialBlock, _place_rule("compound__org_unit__path"))
    policy.register(
        m.Household,
        Rule(
            grants={
                Action.VIEW: SUBDISTRICT_READERS,
                Action.EXPORT: EXPORTERS,
                Action.ADD: PERSON_EDITORS,
                Action.CHANGE: PERSON_EDITORS,
            }
        ),
    )
    policy.register(
        m.Person,
        Rule(
            grants={
                Action.VIEW: SUBDISTRICT_READERS,
                Action.EXPORT: EXPORTERS,
                Action.ADD: PERSON_EDITORS,
                Action.CHANGE: PERSON_EDITORS,
                Action.DELETE: frozenset({R.SUBDISTRICT_ADMIN}),
                Action.IMPORT: frozenset({R.SUBDISTRICT_ADMIN, R.COMMITTEE_WORKER}),
                Action.REVEAL: PII_REVEALERS,
            },
            own=_own_person,
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset({R.RESIDENT}),
        ),
    )
    policy.register(
        m.Enterprise,
        Rule(
            grants={
                Action.VIEW: frozenset(
                    DEPARTMENT_STAFF | {R.SUBDISTRICT_ADMIN, R.SUBDISTRICT_LEADER}
                ),
                Action.EXPORT: frozenset(
                    {R.SUBDISTRICT_ADMIN, R.BUSINESS_OFFICER, R.SUBDISTRICT_LEADER}
                ),
                Action.ADD: ENTERPRISE_EDITORS,
                Action.CHANGE: ENTERPRISE_EDITORS,
                Action.DELETE: frozenset({R.SUBDISTRICT_ADMIN}),
                Action.IMPORT: ENTERPRISE_EDITORS,
            },
            own=_own_enterprise,
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset({R.ENTERPRISE_CONTACT}),
        ),
    )
    policy.register(
        m.ImportJob,
        Rule(
            grants={Action.VIEW: frozenset({R.SUBDISTRICT_ADMIN})},
            own=_own_import,
            own_actions=frozenset({Action.VIEW, Action.CHANGE}),
            own_roles=frozenset(SUBDISTRICT_STAFF),
        ),
    )
    policy.register(
        m.PiiReveal,
        Rule(
            grants={Action.VIEW: frozenset({R.SUBDISTRICT_ADMIN})},
            org_path="person__org_unit__path",
        ),
    )


__all__ = ["PUBLIC_ROLES", "register"]
