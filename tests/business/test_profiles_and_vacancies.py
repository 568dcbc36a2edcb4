"""Building and enterprise profiles, the credit-code check kept by core, vacancies and
viewings (booking, outcome once, a move-in lets the space) and the viewing-conversion figure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jiedao.business import selectors, services
from jiedao.business.models import (
    BuildingProfile,
    EnterpriseProfile,
    Vacancy,
    VacancyStatus,
    Viewing,
    ViewingOutcome,
)
from jiedao.core.models import Enterprise
from jiedao.core.permissions import NotPermitted
from jiedao.core.services import EnterpriseData, enterprise_create
from tests.business.factories import make_building, make_building_profile, make_firm
from tests.factories import credit_code


@pytest.fixture
def tower(tree):
    return make_building(tree.committee_a, "久光中心")


@pytest.fixture
def bz_tower(tree):
    return make_building(tree.committee_c, "北站大厦")


# --- building profile ---------------------------------------------------------------------------
def test_building_profile_is_created_then_updated_in_place(tower, users) -> None:
    officer = users["tmx_business"]

    profile = make_building_profile(
        officer, tower, grade="A", owner="久光置业", occupancy=Decimal("86.5"), is_key=True
    )
    again = services.building_profile_save(
        actor=officer, building=tower, data={"occupancy": Decimal("90.0"), "owner": "久光置业"}
    )

    assert again.pk == profile.pk
    assert BuildingProfile.objects.filter(building=tower).count() == 1
    stored = BuildingProfile.objects.get(building=tower)
    assert (stored.grade, stored.owner, stored.occupancy, stored.is_key) == (
        "A",
        "久光置业",
        Decimal("90.0"),
        True,
    )


def test_building_profile_refuses_an_invalid_grade(tower, users) -> None:
    with pytest.raises(ValidationError) as exc:
        make_building_profile(users["tmx_business"], tower, grade="Z")
    assert "grade" in exc.value.message_dict
    assert not BuildingProfile.objects.exists()


def test_another_subdistricts_admin_cannot_change_the_profile(tower, users) -> None:
    make_building_profile(users["tmx_business"], tower, owner="久光置业")

    with pytest.raises(NotPermitted):
        services.building_profile_save(
            actor=users["bz_admin"], building=tower, data={"owner": "他人"}
        )

    assert BuildingProfile.objects.get(building=tower).owner == "久光置业"


def test_a_leader_who_can_see_the_building_still_cannot_change_its_profile(tower, users) -> None:
    with pytest.raises(NotPermitted):
        make_building_profile(users["tmx_leader"], tower, owner="久光置业")
    assert not BuildingProfile.objects.exists()


# --- enterprise profile -------------------------------------------------------------------------
def test_enterprise_profile_is_created_then_updated_and_reports_changes(tower, users) -> None:
    officer = users["tmx_business"]
    firm = make_firm(tower, "久光科技")

    profile, changed = services.enterprise_profile_save(
        actor=officer,
        enterprise=firm,
        data={"industry": "信息技术", "white_collar_count": 120, "moved_in": date(2023, 3, 1)},
    )
    assert changed is True
    same, changed_again = services.enterprise_profile_save(
        actor=officer, enterprise=firm, data={"industry": "信息技术", "white_collar_count": 120}
    )
    assert (same.pk, changed_again) == (profile.pk, False)
    _p, changed_third = services.enterprise_profile_save(
        actor=officer, enterprise=firm, data={"white_collar_count": 150}
    )

    assert changed_third is True
    stored = EnterpriseProfile.objects.get(enterprise=firm)
    assert (stored.industry, stored.white_collar_count, stored.moved_in) == (
        "信息技术",
        150,
        date(2023, 3, 1),
    )


def test_moved_out_before_moved_in_is_refused(tower, users) -> None:
    firm = make_firm(tower, "久光科技")

    with pytest.raises(ValidationError) as exc:
        services.enterprise_profile_save(
            actor=users["tmx_business"],
            enterprise=firm,
            data={"moved_in": date(2024, 5, 1), "moved_out": date(2024, 4, 30)},
        )

    assert "moved_out" in exc.value.message_dict
    assert not EnterpriseProfile.objects.exists()


def test_moved_out_before_the_stored_moved_in_is_refused(tower, users) -> None:
    officer = users["tmx_business"]
    firm = make_firm(tower, "久光科技", actor=officer, moved_in=date(2024, 5, 1))

    with pytest.raises(ValidationError) as exc:
        services.enterprise_profile_save(
            actor=officer, enterprise=firm, data={"moved_out": date(2024, 1, 1)}
        )

    assert "moved_out" in exc.value.message_dict
    assert EnterpriseProfile.objects.get(enterprise=firm).moved_out is None


def test_moving_out_on_or_after_moving_in_is_accepted(tower, users) -> None:
    officer = users["tmx_business"]
    firm = make_firm(tower, "久光科技", actor=officer, moved_in=date(2024, 5, 1))

    services.enterprise_profile_save(
        actor=officer, enterprise=firm, data={"moved_out": date(2024, 5, 1)}
    )

    assert EnterpriseProfile.objects.get(enterprise=firm).moved_out == date(2024, 5, 1)


def test_another_subdistrict_cannot_write_an_enterprise_profile(tower, users) -> None:
    firm = make_firm(tower, "久光科技")
    with pytest.raises(NotPermitted):
        services.enterprise_profile_save(
            actor=users["bz_admin"], enterprise=firm, data={"industry": "金融"}
        )
    assert not EnterpriseProfile.objects.exists()


def test_an_invalid_credit_code_is_refused_by_core_when_creating(tree, users, tower) -> None:
    # The business module keeps no credit-code check of its own: core's EnterpriseData does it.
    good = credit_code()
    # the same code with a wrong check character
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        enterprise_create(
            actor=users["tmx_business"],
            org_unit=tree.sub_a,
            data=EnterpriseData.clean(name="坏码公司", credit_code=bad, building=tower),
        )
    assert "credit_code" in exc.value.message_dict
    assert not Enterprise.objects.filter(name="坏码公司").exists()

    firm = enterprise_create(
        actor=users["tmx_business"],
        org_unit=tree.sub_a,
        data=EnterpriseData.clean(name="好码公司", credit_code=good.lower(), building=tower),
    )
    assert firm.credit_code == good


# --- vacancies ----------------------------------------------------------------------------------
def vacancy(building, actor, **kwargs) -> Vacancy:
    data = {
        "floor": 12,
        "area": Decimal("350.0"),
        "rent_min": Decimal("6.50"),
        "rent_max": Decimal("8.00"),
        "available_from": date(2025, 7, 1),
    }
    data.update(kwargs)
    return services.vacancy_create(actor=actor, building=building, **data)


def test_vacancy_rent_range_is_checked(tower, users) -> None:
    officer = users["tmx_business"]
    with pytest.raises(ValidationError) as exc:
        vacancy(tower, officer, rent_min=Decimal("9.00"), rent_max=Decimal("8.00"))
    assert "rent_max" in exc.value.message_dict

    same = vacancy(tower, officer, rent_min=Decimal("8.00"), rent_max=Decimal("8.00"))

    assert list(Vacancy.objects.all()) == [same]
    assert same.status == VacancyStatus.OPEN


def test_vacancy_in_another_subdistrict_is_refused(bz_tower, users) -> None:
    with pytest.raises(NotPermitted):
        vacancy(bz_tower, users["tmx_business"])
    assert not Vacancy.objects.exists()


def test_viewing_needs_an_enterprise_or_a_prospect_name(tower, users) -> None:
    officer = users["tmx_business"]
    space = vacancy(tower, officer)
    with pytest.raises(ValidationError):
        services.viewing_book(actor=officer, vacancy=space, day=date(2025, 7, 3), prospect_name=" ")

    viewing = services.viewing_book(
        actor=officer, vacancy=space, day=date(2025, 7, 3), prospect_name="意向公司"
    )

    assert (viewing.outcome, viewing.guide, viewing.prospect_name) == (
        ViewingOutcome.BOOKED,
        officer,
        "意向公司",
    )


@pytest.mark.parametrize("status", [VacancyStatus.LET, VacancyStatus.WITHDRAWN])
def test_viewing_is_booked_only_on_an_open_vacancy(tower, users, status) -> None:
    officer = users["tmx_business"]
    space = vacancy(tower, officer)
    Vacancy.objects.filter(pk=space.pk).update(status=status)
    space.refresh_from_db()

    with pytest.raises(ValidationError):
        services.viewing_book(
            actor=officer, vacancy=space, day=date(2025, 7, 3), prospect_name="甲"
        )

    assert not Viewing.objects.exists()


def test_a_move_in_lets_the_vacancy_and_blocks_further_viewings(tower, users) -> None:
    officer = users["tmx_business"]
    space = vacancy(tower, officer)
    firm = make_firm(tower, "入驻公司")
    viewing = services.viewing_book(
        actor=officer, vacancy=space, day=date(2025, 7, 3), enterprise=firm
    )

    services.viewing_record_outcome(
        actor=officer, viewing=viewing, outcome=ViewingOutcome.MOVED_IN, note="签约"
    )

    space.refresh_from_db()
    viewing.refresh_from_db()
    assert space.status == VacancyStatus.LET
    assert (viewing.outcome, viewing.note) == (ViewingOutcome.MOVED_IN, "签约")
    with pytest.raises(ValidationError):
        services.viewing_book(
            actor=officer, vacancy=space, day=date(2025, 7, 9), prospect_name="乙"
        )


@pytest.mark.parametrize("outcome", [ViewingOutcome.DECLINED, ViewingOutcome.CANCELLED])
def test_other_outcomes_leave_the_vacancy_open(tower, users, outcome) -> None:
    officer = users["tmx_business"]
    space = vacancy(tower, officer)
    viewing = services.viewing_book(
        actor=officer, vacancy=space, day=date(2025, 7, 3), prospect_name="甲"
    )

    services.viewing_record_outcome(actor=officer, viewing=viewing, outcome=outcome)

    space.refresh_from_db()
    assert space.status == VacancyStatus.OPEN


def test_an_outcome_is_recorded_once_and_must_be_a_real_outcome(tower, users) -> None:
    officer = users["tmx_business"]
    space = vacancy(tower, officer)
    viewing = services.viewing_book(
        actor=officer, vacancy=space, day=date(2025, 7, 3), prospect_name="甲"
    )
    with pytest.raises(ValidationError):
        services.viewing_record_outcome(
            actor=officer, viewing=viewing, outcome=ViewingOutcome.BOOKED
        )

    services.viewing_record_outcome(actor=officer, viewing=viewing, outcome=ViewingOutcome.DECLINED)
    with pytest.raises(ValidationError):
        services.viewing_record_outcome(
            actor=officer, viewing=viewing, outcome=ViewingOutcome.MOVED_IN
        )

    viewing.refresh_from_db()
    space.refresh_from_db()
    assert viewing.outcome == ViewingOutcome.DECLINED
    assert space.status == VacancyStatus.OPEN


def test_another_subdistrict_cannot_record_an_outcome(tower, users) -> None:
    officer = users["tmx_business"]
    viewing = services.viewing_book(
        actor=officer, vacancy=vacancy(tower, officer), day=date(2025, 7, 3), prospect_name="甲"
    )
    with pytest.raises(NotPermitted):
        services.viewing_record_outcome(
            actor=users["bz_admin"], viewing=viewing, outcome=ViewingOutcome.MOVED_IN
        )


def test_viewing_conversion_counts_decided_viewings_and_move_ins(tree, tower, bz_tower, users):
    officer = users["tmx_business"]
    # given: TMX has three vacancies; five viewings: 2 moved in, 1 declined, 1 cancelled, 1 booked
    spaces = [vacancy(tower, officer, floor=f) for f in (10, 11, 12)]
    outcomes = [
        (spaces[0], ViewingOutcome.DECLINED),
        (spaces[0], ViewingOutcome.MOVED_IN),
        (spaces[1], ViewingOutcome.MOVED_IN),
        (spaces[2], ViewingOutcome.CANCELLED),
        (spaces[2], None),
    ]
    for space, outcome in outcomes:
        viewing = services.viewing_book(
            actor=officer, vacancy=space, day=date(2025, 7, 3), prospect_name="甲"
        )
        if outcome is not None:
            services.viewing_record_outcome(actor=officer, viewing=viewing, outcome=outcome)
    # and BZ has one vacancy with a move-in that TMX must not count
    bz_space = vacancy(bz_tower, users["bz_admin"])
    bz_viewing = services.viewing_book(
        actor=users["bz_admin"], vacancy=bz_space, day=date(2025, 7, 3), prospect_name="乙"
    )
    services.viewing_record_outcome(
        actor=users["bz_admin"], viewing=bz_viewing, outcome=ViewingOutcome.MOVED_IN
    )

    figures = selectors.viewing_conversion(user=officer)

    # spaces 0 and 1 are let; space 2 is still open
    assert figures == {"viewings": 5, "decided": 3, "moved_in": 2, "open_vacancies": 1}
    assert selectors.viewing_conversion(user=users["bz_admin"]) == {
        "viewings": 1,
        "decided": 1,
        "moved_in": 1,
        "open_vacancies": 0,
    }
    assert selectors.viewing_conversion(user=users["enterprise1"])["viewings"] == 0
