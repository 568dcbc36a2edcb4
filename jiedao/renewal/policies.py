"""Who may do what in urban renewal (registered with the central policy).

Field staff (committee workers) see the households of projects in their committee; the
renewal office sees its subdistrict's; supervisors (subdistrict admin and leader) may revoke.
"""

from __future__ import annotations

from jiedao.accounts.models import Role
from jiedao.core.permissions import Action, Rule, policy
from jiedao.renewal import models as m

R = Role
OFFICE = frozenset({R.SUBDISTRICT_ADMIN, R.RENEWAL_OFFICER})
FIELD = frozenset(OFFICE | {R.COMMITTEE_WORKER})
READERS = frozenset(FIELD | {R.SUBDISTRICT_LEADER})
SUPERVISORS = frozenset({R.SUBDISTRICT_ADMIN, R.SUBDISTRICT_LEADER})


def _rule(
    org_path: str, *, change: frozenset[str] = FIELD, readers: frozenset[str] = READERS
) -> Rule:
    return Rule(
        grants={
            Action.VIEW: readers,
            Action.EXPORT: READERS,
            Action.ADD: change,
            Action.CHANGE: change,
            Action.IMPORT: OFFICE,
            Action.DELETE: frozenset({R.SUBDISTRICT_ADMIN}),
        },
        org_path=org_path,
    )


def register() -> None:
    policy.register(
        m.RenewalProject,
        _rule(
            "org_unit__path",
            change=OFFICE,
            readers=frozenset(READERS | {R.DISTRICT_LEADER, R.CITY_LEADER}),
        ),
    )
    policy.register(m.Household, _rule("project__org_unit__path"))
    policy.register(
        m.Agreement,
        Rule(
            grants={
                Action.VIEW: READERS,
                Action.EXPORT: READERS,
                Action.ADD: FIELD,
                # Revoking an agreement is a supervisor's decision.
                Action.DELETE: SUPERVISORS,
            },
            org_path="household__project__org_unit__path",
        ),
    )
    policy.register(m.Visit, _rule("household__project__org_unit__path"))
    policy.register(m.FundingSource, _rule("project__org_unit__path", change=OFFICE))
    policy.register(m.LedgerEntry, _rule("project__org_unit__path", change=OFFICE))
