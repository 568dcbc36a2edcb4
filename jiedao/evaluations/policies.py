"""Who may do what with 好差评 (registered with the central policy).

The centre's staff and the business office read the evaluations of their subtree and handle
its bad reviews; leaders of the subdistrict read them and may appeal; only a platform
administrator (the 好差评 system's administrators above the subdistrict) decides an appeal.
District and city leaders read the figures on the report card, never the evaluations.
"""

from __future__ import annotations

from jiedao.accounts.models import Role
from jiedao.core.permissions import Action, Rule, policy
from jiedao.evaluations import models as m

R = Role
HANDLERS = frozenset({R.SUBDISTRICT_ADMIN, R.SERVICE_CLERK, R.BUSINESS_OFFICER, R.HOTLINE_OFFICER})
# Who may enter what an applicant said on a call or at the door.
ENTERERS = frozenset(HANDLERS | {R.COMMITTEE_WORKER})
READERS = frozenset(HANDLERS | {R.SUBDISTRICT_LEADER})


def register() -> None:
    policy.register(
        m.Evaluation,
        Rule(grants={Action.VIEW: READERS, Action.EXPORT: READERS, Action.ADD: ENTERERS}),
    )
    policy.register(
        m.Rectification,
        Rule(grants={Action.VIEW: READERS, Action.EXPORT: READERS, Action.CHANGE: HANDLERS}),
    )
    policy.register(
        m.Appeal,
        Rule(
            grants={
                Action.VIEW: READERS,
                Action.ADD: frozenset({R.SUBDISTRICT_ADMIN, R.SUBDISTRICT_LEADER}),
                Action.CHANGE: frozenset(),  # a platform administrator decides
            }
        ),
    )
