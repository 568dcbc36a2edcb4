"""Money and the overview: balance = sources − commitments, by category; projects done,
planned and in progress with the floor area delivered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jiedao.core.permissions import NotPermitted
from jiedao.renewal import selectors, services
from jiedao.renewal.models import EntryCategory, EntryKind, Phase, SourceKind
from tests.renewal.factories import make_household, make_project

D = date(2025, 3, 1)


def test_balance_is_sources_minus_commitments(tree, users) -> None:
    # given two sources and commitments of three categories, plus a payment
    admin = users["tmx_admin"]
    project = make_project(tree.committee_a, phase=Phase.SIGNING)
    h = make_household(project)
    services.funding_source_add(
        actor=admin, project=project, kind=SourceKind.DISTRICT, amount=Decimal("600000")
    )
    services.funding_source_add(
        actor=admin, project=project, kind=SourceKind.CITY, amount=Decimal("400000")
    )
    services.agreement_sign(
        actor=users["hx_worker"],
        household=h,
        expected_version=1,
        option="cash",
        number="XY-1",
        signed_on=D,
        signed_by="张三",
        compensation=Decimal("500000"),
        relocation_allowance=Decimal("30000"),
    )
    services.ledger_add(
        actor=admin,
        project=project,
        kind=EntryKind.COMMITMENT,
        category=EntryCategory.CONSTRUCTION,
        amount=Decimal("300000"),
        day=D,
    )
    services.ledger_add(
        actor=admin,
        project=project,
        kind=EntryKind.PAYMENT,
        category=EntryCategory.COMPENSATION,
        amount=Decimal("200000"),
        day=D,
        household=h,
    )
    # when
    f = selectors.funding(project)
    # then
    assert f.budget == Decimal("1000000")
    assert f.by_source == {
        SourceKind.CITY: Decimal("400000"),
        SourceKind.DISTRICT: Decimal("600000"),
    }
    assert f.committed == Decimal("830000")
    assert f.committed_by_category == {
        EntryCategory.COMPENSATION: Decimal("500000"),
        EntryCategory.RELOCATION: Decimal("30000"),
        EntryCategory.CONSTRUCTION: Decimal("300000"),
        EntryCategory.OTHER: Decimal("0"),
    }
    assert f.paid == Decimal("200000")  # payments do not change the balance
    assert f.balance == Decimal("170000")
    assert f.balanced is True
    # when a further commitment exceeds the sources
    services.ledger_add(
        actor=admin,
        project=project,
        kind=EntryKind.COMMITMENT,
        category=EntryCategory.OTHER,
        amount=Decimal("170000.01"),
        day=D,
    )
    f = selectors.funding(project)
    assert f.balance == Decimal("-0.01")
    assert f.balanced is False


def test_exactly_covered_is_balanced(tree, users) -> None:
    project = make_project(tree.committee_a)
    services.funding_source_add(
        actor=users["tmx_admin"], project=project, kind=SourceKind.OWNERS, amount=Decimal("10")
    )
    services.ledger_add(
        actor=users["tmx_admin"],
        project=project,
        kind=EntryKind.COMMITMENT,
        category=EntryCategory.OTHER,
        amount=Decimal("10"),
        day=D,
    )
    assert selectors.funding(project).balanced is True


def test_empty_project_has_zero_balance(tree) -> None:
    f = selectors.funding(make_project(tree.committee_a))
    assert (f.budget, f.committed, f.balance, f.balanced) == (0, 0, 0, True)


def test_money_rules(tree, users) -> None:
    project = make_project(tree.committee_a)
    other = make_household(make_project(tree.committee_a))
    admin = users["tmx_admin"]
    with pytest.raises(ValidationError):
        services.funding_source_add(
            actor=admin, project=project, kind=SourceKind.CITY, amount=Decimal("0")
        )
    with pytest.raises(ValidationError):
        services.ledger_add(
            actor=admin,
            project=project,
            kind=EntryKind.PAYMENT,
            category=EntryCategory.OTHER,
            amount=Decimal("5"),
            day=D,
            household=other,
        )
    with pytest.raises(NotPermitted):  # field staff do not keep the books
        services.funding_source_add(
            actor=users["hx_worker"], project=project, kind=SourceKind.CITY, amount=Decimal("5")
        )


def test_overview_counts_projects_and_delivered_floor_area(tree, users) -> None:
    # given projects in every kind of phase in TMX, and one delivered in BZ
    for phase, area in (
        (Phase.PLANNED, "100.0"),
        (Phase.PLANNED, "200.0"),
        (Phase.CONSULTATION, "300.0"),
        (Phase.SIGNING, "400.0"),
        (Phase.MOVING_OUT, "500.0"),
        (Phase.DEMOLITION, "1000.0"),
        (Phase.CONSTRUCTION, "2000.5"),
        (Phase.MOVE_BACK, "30.0"),
        (Phase.DONE, "4000.0"),
        (Phase.STOPPED, "9000.0"),
    ):
        make_project(tree.committee_a, phase=phase, floor_area=Decimal(area))
    make_project(tree.committee_c, phase=Phase.DONE, floor_area=Decimal("77.0"))
    # when / then
    o = selectors.overview(user=users["tmx_admin"])
    assert (o.done, o.planned, o.in_progress) == (4, 2, 3)
    assert o.done_floor_area == Decimal("7030.5")
    district = selectors.overview(user=users["ja_leader"])
    assert (district.done, district.done_floor_area) == (5, Decimal("7107.5"))
    assert selectors.overview(user=users["bz_admin"]).done_floor_area == Decimal("77.0")
