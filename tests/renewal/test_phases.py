"""Projects move along the phase map; closing round one and the signing period decide from
the households' records whether the project may go on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jiedao.core.permissions import NotPermitted
from jiedao.renewal import services
from jiedao.renewal.models import PHASE_TRANSITIONS, Phase, RenewalProject
from jiedao.renewal.services import IllegalTransition
from tests.renewal.factories import make_agreement, make_project, set_answers

LEGAL = [(a, b) for a, targets in PHASE_TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a in Phase.values for b in Phase.values if b not in PHASE_TRANSITIONS[a]]
ON = date(2025, 7, 1)


def _ready(tree, phase: str) -> RenewalProject:
    """A project in `phase` whose households pass both rounds."""
    project = make_project(
        tree.sub_a, households=10, phase=phase, signing_deadline=date(2025, 6, 30)
    )
    set_answers(project, agree=10)
    for h in project.households.all():
        make_agreement(h, signed_on=date(2025, 6, 1))
    return project


@pytest.mark.parametrize(("src", "dst"), LEGAL)
def test_every_legal_move_is_made(tree, users, src, dst) -> None:
    project = _ready(tree, src)
    services.project_move_phase(actor=users["tmx_admin"], project=project, to_phase=dst, on=ON)
    project.refresh_from_db()
    assert project.phase == dst


@pytest.mark.parametrize(("src", "dst"), ILLEGAL)
def test_every_illegal_move_is_refused(tree, users, src, dst) -> None:
    project = _ready(tree, src)
    with pytest.raises(IllegalTransition):
        services.project_move_phase(actor=users["tmx_admin"], project=project, to_phase=dst)
    project.refresh_from_db()
    assert project.phase == src


def test_illegal_move_says_why_in_chinese(tree, users) -> None:
    project = make_project(tree.sub_a, households=1)
    with pytest.raises(IllegalTransition) as exc:
        services.project_move_phase(
            actor=users["tmx_admin"], project=project, to_phase=Phase.SIGNING
        )
    assert exc.value.messages == ["项目当前阶段为“计划中”，不能进入“签约”。"]


def test_starting_consultation_sets_the_start_date(tree, users) -> None:
    project = make_project(tree.sub_a, households=1)
    services.project_move_phase(
        actor=users["tmx_admin"], project=project, to_phase=Phase.CONSULTATION, on=ON
    )
    project.refresh_from_db()
    assert (project.phase, project.started_on) == (Phase.CONSULTATION, ON)


def test_consultation_below_threshold_is_refused_and_recorded(tree, users) -> None:
    # given 20 households, 17 agree (85% < 90%)
    project = make_project(tree.sub_a, households=20, phase=Phase.CONSULTATION)
    set_answers(project, agree=17, disagree=3)
    # when
    with pytest.raises(ValidationError) as exc:
        services.project_move_phase(
            actor=users["tmx_admin"], project=project, to_phase=Phase.SIGNING, on=ON
        )
    # then the project stays, and the failed decision is on record
    assert "85.0% (17/20)" in exc.value.messages[0]
    assert "90.0%" in exc.value.messages[0]
    project.refresh_from_db()
    assert project.phase == Phase.CONSULTATION
    assert project.consultation_passed is False
    assert project.consultation_closed_on == ON


def test_consultation_exactly_at_threshold_passes(tree, users) -> None:
    project = make_project(tree.sub_a, households=20, phase=Phase.CONSULTATION)
    set_answers(project, agree=18)
    services.project_move_phase(
        actor=users["tmx_admin"], project=project, to_phase=Phase.SIGNING, on=ON
    )
    project.refresh_from_db()
    assert (project.phase, project.consultation_passed) == (Phase.SIGNING, True)


def test_signing_to_moving_out_makes_agreements_effective(tree, users) -> None:
    project = make_project(
        tree.sub_a,
        households=20,
        phase=Phase.SIGNING,
        sign_threshold=Decimal("0.850"),
        signing_deadline=date(2025, 6, 30),
    )
    for h in list(project.households.order_by("pk"))[:17]:
        make_agreement(h, signed_on=date(2025, 6, 1))
    services.project_move_phase(
        actor=users["tmx_admin"], project=project, to_phase=Phase.MOVING_OUT, on=ON
    )
    project.refresh_from_db()
    assert (project.phase, project.agreements_effective) == (Phase.MOVING_OUT, True)


def test_signing_below_threshold_is_refused_and_recorded(tree, users) -> None:
    project = make_project(
        tree.sub_a, households=20, phase=Phase.SIGNING, signing_deadline=date(2025, 6, 30)
    )
    for h in list(project.households.order_by("pk"))[:16]:
        make_agreement(h, signed_on=date(2025, 6, 1))
    with pytest.raises(ValidationError):
        services.project_move_phase(
            actor=users["tmx_admin"], project=project, to_phase=Phase.MOVING_OUT, on=ON
        )
    project.refresh_from_db()
    assert (project.phase, project.agreements_effective) == (Phase.SIGNING, False)


def test_done_sets_the_completion_date(tree, users) -> None:
    project = make_project(tree.sub_a, phase=Phase.MOVE_BACK)
    services.project_move_phase(
        actor=users["tmx_admin"], project=project, to_phase=Phase.DONE, on=ON
    )
    project.refresh_from_db()
    assert project.completed_on == ON


@pytest.mark.parametrize("who", ["hx_worker", "tmx_leader", "bz_admin"])
def test_only_the_office_moves_projects(tree, users, who) -> None:
    project = make_project(tree.committee_a, households=1)
    with pytest.raises(NotPermitted):
        services.project_move_phase(actor=users[who], project=project, to_phase=Phase.CONSULTATION)
