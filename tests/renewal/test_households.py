"""Household writes: answers, agreements (sign and revoke), moving out, visits, assignment;
and who sees which household or project."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from jiedao.accounts.models import Role
from jiedao.core.permissions import NotPermitted
from jiedao.renewal import selectors, services
from jiedao.renewal.models import Agreement, Answer, Household, Phase
from tests.factories import UserFactory
from tests.renewal.factories import make_agreement, make_household, make_project

D = date(2025, 3, 1)


@pytest.fixture
def officer(tree):
    return UserFactory.with_role(Role.RENEWAL_OFFICER, tree.sub_a, username="tmx_renewal")


def _sign(actor, household: Household, **kwargs) -> Agreement:
    household.refresh_from_db()
    args = {
        "option": "move_back",
        "number": "XY-001",
        "signed_on": D,
        "signed_by": "张三",
        "compensation": Decimal("500000.00"),
        "relocation_allowance": Decimal("20000.00"),
    }
    args.update(kwargs)
    return services.agreement_sign(
        actor=actor, household=household, expected_version=household.version, **args
    )


# --- answers ----------------------------------------------------------------------------------
def test_answer_is_recorded_with_date_and_version(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.CONSULTATION))
    services.household_record_answer(
        actor=users["hx_worker"], household=h, expected_version=1, answer=Answer.AGREE, on=D
    )
    h.refresh_from_db()
    assert (h.answer, h.answered_on, h.version) == (Answer.AGREE, D, 2)


@pytest.mark.parametrize("phase", [p for p in Phase.values if p != Phase.CONSULTATION])
def test_answers_only_during_consultation(tree, users, phase) -> None:
    h = make_household(make_project(tree.committee_a, phase=phase))
    with pytest.raises(ValidationError):
        services.household_record_answer(
            actor=users["hx_worker"], household=h, expected_version=1, answer=Answer.AGREE
        )
    h.refresh_from_db()
    assert (h.answer, h.version) == (Answer.NONE, 1)


def test_answer_in_the_future_or_unknown_is_refused(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.CONSULTATION))
    tomorrow = timezone.localdate() + timedelta(days=1)
    for answer, on in ((Answer.AGREE, tomorrow), ("maybe", D)):
        with pytest.raises(ValidationError):
            services.household_record_answer(
                actor=users["hx_worker"], household=h, expected_version=1, answer=answer, on=on
            )


def test_withdrawing_an_answer_clears_its_date(tree, users) -> None:
    h = make_household(
        make_project(tree.committee_a, phase=Phase.CONSULTATION),
        answer=Answer.AGREE,
        answered_on=D,
    )
    services.household_record_answer(
        actor=users["hx_worker"], household=h, expected_version=1, answer=Answer.NONE
    )
    h.refresh_from_db()
    assert (h.answer, h.answered_on) == (Answer.NONE, None)


# --- agreements -------------------------------------------------------------------------------
def test_signing_creates_agreement_and_commitments(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.SIGNING))
    agreement = _sign(users["hx_worker"], h)
    h.refresh_from_db()
    assert agreement.number == "XY-001"
    assert h.version == 2
    assert selectors.funding(h.project).committed == Decimal("520000.00")


@pytest.mark.parametrize("phase", [Phase.CONSULTATION, Phase.MOVING_OUT, Phase.PLANNED])
def test_signing_only_in_the_signing_phase(tree, users, phase) -> None:
    h = make_household(make_project(tree.committee_a, phase=phase))
    with pytest.raises(ValidationError):
        _sign(users["hx_worker"], h)
    assert not Agreement.objects.exists()


def test_signing_option_must_be_one_of_the_projects(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.SIGNING))
    with pytest.raises(ValidationError) as exc:
        _sign(users["hx_worker"], h, option="villa")
    assert "option" in exc.value.message_dict
    _sign(users["hx_worker"], h, option="cash")


def test_agreement_numbers_are_unique(tree, users) -> None:
    project = make_project(tree.committee_a, phase=Phase.SIGNING)
    a, b = make_household(project), make_household(project)
    _sign(users["hx_worker"], a, number="XY-9")
    with pytest.raises(ValidationError) as exc:
        _sign(users["hx_worker"], b, number=" XY-9 ")
    assert "number" in exc.value.message_dict


def test_one_live_agreement_per_household(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.SIGNING))
    first = _sign(users["hx_worker"], h, number="XY-1")
    with pytest.raises(ValidationError):
        _sign(users["hx_worker"], h, number="XY-2")
    # after a supervisor revokes the first, a new one may be signed
    services.agreement_revoke(actor=users["tmx_leader"], agreement=first, reason="签错安置方式")
    _sign(users["hx_worker"], h, number="XY-2")
    assert h.agreements.filter(revoked_at__isnull=True).count() == 1


@pytest.mark.parametrize("who", ["tmx_leader", "tmx_admin"])
def test_supervisor_revokes_and_commitments_are_reversed(tree, users, who) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.SIGNING))
    agreement = _sign(users["hx_worker"], h)
    services.agreement_revoke(actor=users[who], agreement=agreement, reason="居民反悔，经复核撤销")
    agreement.refresh_from_db()
    assert agreement.revoked_at is not None
    assert agreement.revoked_by == users[who]
    assert agreement.revoke_reason == "居民反悔，经复核撤销"
    assert selectors.funding(h.project).committed == Decimal("0.00")
    with pytest.raises(ValidationError):  # not twice
        services.agreement_revoke(actor=users[who], agreement=agreement, reason="再次撤销")


@pytest.mark.parametrize("who", ["officer", "hx_worker", "bz_admin"])
def test_others_may_not_revoke(tree, users, officer, who) -> None:
    actor = officer if who == "officer" else users[who]
    h = make_household(make_project(tree.committee_a, phase=Phase.SIGNING))
    agreement = _sign(users["hx_worker"], h)
    with pytest.raises(NotPermitted):
        services.agreement_revoke(actor=actor, agreement=agreement, reason="想撤销")
    agreement.refresh_from_db()
    assert agreement.revoked_at is None
    assert selectors.funding(h.project).committed == Decimal("520000.00")


@pytest.mark.parametrize("reason", ["", "  ", "a"])
def test_revoking_needs_a_reason(tree, users, reason) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.SIGNING))
    agreement = _sign(users["hx_worker"], h)
    with pytest.raises(ValidationError):
        services.agreement_revoke(actor=users["tmx_leader"], agreement=agreement, reason=reason)
    agreement.refresh_from_db()
    assert agreement.revoked_at is None


# --- moving out -------------------------------------------------------------------------------
def test_cleared_only_with_all_three_dates(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.MOVING_OUT))
    make_agreement(h)
    worker = users["hx_worker"]
    services.household_record_move(actor=worker, household=h, expected_version=1, moved_on=D)
    assert not h.cleared
    services.household_record_move(actor=worker, household=h, expected_version=2, keys_on=D)
    assert not h.cleared
    assert selectors.state_of(h) == selectors.HouseholdState.MOVING
    services.household_record_move(actor=worker, household=h, expected_version=3, inspected_on=D)
    h.refresh_from_db()
    assert h.cleared
    assert selectors.state_of(h) == selectors.HouseholdState.CLEARED


def test_moving_needs_a_live_agreement_and_a_date(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.MOVING_OUT))
    with pytest.raises(ValidationError):
        services.household_record_move(
            actor=users["hx_worker"], household=h, expected_version=1, moved_on=D
        )
    make_agreement(h)
    with pytest.raises(ValidationError):
        services.household_record_move(actor=users["hx_worker"], household=h, expected_version=1)


# --- visits and assignment --------------------------------------------------------------------
def test_visit_rules(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.CONSULTATION))
    worker = users["hx_worker"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.visit_record(actor=worker, household=h, day=tomorrow, discussed="政策解读")
    assert "date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.visit_record(
            actor=worker, household=h, day=D, discussed="政策解读", concern_open=True
        )
    assert "concerns" in exc.value.message_dict
    visit = services.visit_record(
        actor=worker,
        household=h,
        day=D,
        discussed="政策解读",
        concerns="担心回搬面积",
        concern_open=True,
    )
    assert (visit.staff, visit.concern_open) == (worker, True)


def test_assign_only_to_staff_who_may_work_the_household(tree, users, officer) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.CONSULTATION))
    for who in ("bz_admin", "fgn_worker", "resident1"):
        with pytest.raises(ValidationError):
            services.household_assign(
                actor=officer, household=h, expected_version=1, staff=users[who]
            )
    services.household_assign(
        actor=officer, household=h, expected_version=1, staff=users["hx_worker"]
    )
    h.refresh_from_db()
    assert (h.assigned_to, h.version) == (users["hx_worker"], 2)


# --- scoping ----------------------------------------------------------------------------------
def test_other_subdistrict_gets_404(tree, users) -> None:
    project = make_project(tree.committee_a)
    h = make_household(project)
    with pytest.raises(Http404):
        selectors.household_get(user=users["bz_admin"], pk=h.pk)
    with pytest.raises(Http404):
        selectors.project_get(user=users["bz_admin"], pk=project.pk)
    assert selectors.household_get(user=users["tmx_admin"], pk=h.pk) == h


def test_committee_worker_sees_only_their_committee(tree, users) -> None:
    mine = make_project(tree.committee_a, households=2)
    other = make_project(tree.committee_b, households=3)
    worker = users["hx_worker"]
    assert list(selectors.project_list(user=worker)) == [mine]
    assert set(selectors.household_list(user=worker)) == set(mine.households.all())
    with pytest.raises(Http404):
        selectors.project_get(user=worker, pk=other.pk)
    assert selectors.project_list(user=users["tmx_admin"]).count() == 2


def test_committee_worker_may_not_write_to_another_committee(tree, users) -> None:
    h = make_household(make_project(tree.committee_b, phase=Phase.CONSULTATION))
    with pytest.raises(NotPermitted):
        services.household_record_answer(
            actor=users["hx_worker"], household=h, expected_version=1, answer=Answer.AGREE
        )
