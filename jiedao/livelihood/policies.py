"""Who may do what in the livelihood module (registered with the central policy).

The livelihood office (subdistrict administrators, livelihood officers) runs the programmes and
funds; committee workers run their committee's projects day to day; leaders read. Experts reach
only the reviews assigned to them (and those projects); residents only their own proposals,
answers and follows, plus the open and closed surveys of their own committee.

The public side (the pages under /livelihood/public/, following, the picture files) is decided
here too, by `PUBLISHED`, `is_public` and `may_reach` below.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from jiedao.accounts.models import Role
from jiedao.core.models import Person
from jiedao.core.permissions import Action, Rule, _ancestor_paths, policy
from jiedao.livelihood import models as m

R = Role
OFFICE = frozenset({R.SUBDISTRICT_ADMIN, R.LIVELIHOOD_OFFICER})
FIELD = frozenset(OFFICE | {R.COMMITTEE_WORKER})
READERS = frozenset(FIELD | {R.SUBDISTRICT_LEADER})
WIDE = frozenset(READERS | {R.DISTRICT_LEADER, R.CITY_LEADER})
ADMIN = frozenset({R.SUBDISTRICT_ADMIN})
NOBODY: frozenset[str] = frozenset()


def _own_project(user: Any) -> Q:
    assigned = m.ReviewAssignment.objects.filter(expert=user).values("project_id")
    return Q(proposed_by=user) | Q(pk__in=assigned)


def _resident_paths(user: Any) -> list[str]:
    """The resident's committee path and the paths above it (a subdistrict-wide project's
    survey is theirs to answer too)."""
    path = Person.objects.filter(user=user).values_list("org_unit__path", flat=True).first()
    return [*_ancestor_paths(path), path] if path else []


def _own_survey(user: Any) -> Q:
    return Q(
        status__in=[m.SurveyStatus.OPEN, m.SurveyStatus.CLOSED],
        project__org_unit__path__in=_resident_paths(user),
    )


def _rule(
    org_path: str,
    *,
    view: frozenset[str] = WIDE,
    change: frozenset[str] = FIELD,
    add: frozenset[str] | None = None,
    **own: Any,
) -> Rule:
    return Rule(
        grants={
            Action.VIEW: view,
            Action.EXPORT: view,
            Action.ADD: add if add is not None else change,
            Action.CHANGE: change,
            Action.DELETE: ADMIN,
        },
        org_path=org_path,
        **own,
    )


def register() -> None:
    policy.register(m.Programme, _rule("org_unit__path", change=OFFICE))
    policy.register(m.Fund, _rule("org_unit__path", change=OFFICE))
    policy.register(
        m.Project,
        _rule(
            "org_unit__path",
            own=_own_project,
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset({R.RESIDENT, R.EXPERT}),
        ),
    )
    for model in (m.ProjectParty, m.SiteSurvey, m.Milestone, m.Photo):
        policy.register(model, _rule("project__org_unit__path"))
    policy.register(m.ProjectTransition, _rule("project__org_unit__path", change=NOBODY))
    policy.register(m.Spending, _rule("project__org_unit__path", change=OFFICE))
    policy.register(
        m.Survey,
        _rule(
            "project__org_unit__path",
            view=READERS,
            own=_own_survey,
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset({R.RESIDENT}),
        ),
    )
    # Individual answers: staff of the committee (selectors show them only once the survey
    # is closed); a resident their own.
    policy.register(
        m.Response,
        _rule(
            "survey__project__org_unit__path",
            view=READERS,
            own=lambda user: Q(respondent=user),
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset({R.RESIDENT}),
        ),
    )
    # Reviews: the office assigns and reads the combined result; an expert their own.
    policy.register(
        m.ReviewAssignment,
        _rule(
            "project__org_unit__path",
            view=frozenset(OFFICE | {R.SUBDISTRICT_LEADER}),
            change=OFFICE,
            own=lambda user: Q(expert=user),
            own_actions=frozenset({Action.VIEW, Action.CHANGE}),
            own_roles=frozenset({R.EXPERT}),
        ),
    )
    policy.register(
        m.Follow,
        Rule(
            grants={},
            org_path="project__org_unit__path",
            own=lambda user: Q(user=user),
            own_actions=frozenset({Action.VIEW}),
            own_roles=frozenset(R.values),
        ),
    )


# --- the public side ---------------------------------------------------------------------------
# Anyone, signed in or not, may reach a published project: its public page, the display and
# thumbnail copies of its photos (a photo has no publication of its own: it is public exactly
# when its project is, and the copies carry no metadata), the aggregate results of its closed
# surveys, and, once signed in, following it. Nothing else reaches the public side: an
# unpublished project, its photos and following it answer 404 to everyone outside this policy's
# `view` scope of that project, through the pages and the API alike. Those inside it (staff of
# its committee and above, its assigned experts, the resident who proposed it) keep their own
# pages, the picture files and following; the public page itself shows published projects only,
# whoever asks.
PUBLISHED = Q(published=True)


def is_public(project: m.Project) -> bool:
    """Whether the project is on the public side (a published one, whatever its stage)."""
    return bool(project.published)


def may_reach(user: Any, project: m.Project) -> bool:
    """Whether the user may reach the project off the staff pages: follow it, see its photos
    (the display copies), be told of its moves. A published project, or one in their scope."""
    return is_public(project) or policy.can(user, Action.VIEW, project)
