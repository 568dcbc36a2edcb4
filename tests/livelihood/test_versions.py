"""Iterations: a completed project may be followed by its next version ("望花园" → "望花园2.0"),
carrying the place, committee and parties over and linked both ways."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jiedao.core.permissions import NotPermitted
from jiedao.livelihood import selectors as sel
from jiedao.livelihood import services as s
from jiedao.livelihood.models import PartyKind, PlaceKind, Project, ProposerKind, Stage
from jiedao.livelihood.services import IllegalTransition
from tests.factories import CompoundFactory
from tests.livelihood.factories import make_fund, make_programme, walk_to

pytestmark = pytest.mark.django_db

PARTIES = [
    (PartyKind.OWNERS_COMMITTEE, "展望小区业委会", "协调居民"),
    (PartyKind.VOLUNTEER, "绿色志愿者队", "日常养护"),
    (PartyKind.PROPERTY_COMPANY, "某物业公司", ""),
]


@pytest.fixture
def garden(tree, users) -> Project:
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a)
    compound = CompoundFactory(org_unit=tree.committee_a, name="展望小区")
    return s.project_create(
        actor=office,
        programme=programme,
        org_unit=tree.committee_a,
        data={
            "title": "望花园",
            "theme": "共建花园",
            "description": "小区空地改造为花园",
            "place_kind": PlaceKind.COMPOUND,
            "place_name": "展望小区中心绿地",
            "address": "测试路100弄",
            "compound": compound,
            "longitude": "121.456789",
            "latitude": "31.234567",
            "proposer_kind": ProposerKind.OWNERS_COMMITTEE,
            "proposer_name": "展望小区业委会",
            "budget_requested": "80000",
        },
        parties=PARTIES,
    )


def _complete(project: Project, users, fund, amount: str = "50000") -> Project:
    return walk_to(
        project,
        Stage.COMPLETED,
        office=users["tmx_livelihood"],
        experts=[users["expert1"]],
        fund=fund,
        amount=amount,
    )


@pytest.mark.parametrize("stage", [Stage.PROPOSED, Stage.EXPERT_REVIEW, Stage.IN_WORKS])
def test_a_next_version_only_follows_a_completed_project(tree, users, garden, stage) -> None:
    fund = make_fund(garden.programme, tree.committee_a)
    project = walk_to(
        garden, stage, office=users["tmx_livelihood"], experts=[users["expert1"]], fund=fund
    )
    with pytest.raises(IllegalTransition):
        s.project_next_version(actor=users["tmx_livelihood"], project=project, title="望花园2.0")
    assert Project.objects.count() == 1


def test_the_next_version_carries_the_place_and_parties_over(tree, users, garden) -> None:
    fund = make_fund(garden.programme, tree.committee_a)
    old = _complete(garden, users, fund)
    new = s.project_next_version(actor=users["hx_worker"], project=old, title="望花园2.0")
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.pk != old.pk
    assert new.title == "望花园2.0"
    for attr in (
        "programme",
        "org_unit",
        "compound",
        "place_kind",
        "place_name",
        "address",
        "theme",
        "description",
        "proposer_kind",
        "proposer_name",
    ):
        assert getattr(new, attr) == getattr(old, attr), attr
    assert (new.longitude, new.latitude) == (Decimal("121.456789"), Decimal("31.234567"))
    assert new.compound is not None and new.compound.name == "展望小区"
    assert sorted(new.parties.values_list("kind", "name", "role")) == sorted(PARTIES)
    assert old.parties.count() == 3  # copied, not moved
    # A fresh start: proposed, nothing allocated, its own history.
    assert new.stage == Stage.PROPOSED
    assert new.fund is None and new.budget_allocated is None
    assert list(new.transitions.values_list("to_stage", flat=True)) == [Stage.PROPOSED]
    # Linked both ways.
    assert (new.previous, new.version, old.version) == (old, 2, 1)
    assert list(old.next_versions.all()) == [new]
    assert old.stage == Stage.COMPLETED


def test_the_next_version_takes_its_own_description_and_year(tree, users, garden) -> None:
    fund = make_fund(garden.programme, tree.committee_a)
    old = _complete(garden, users, fund)
    new = s.project_next_version(
        actor=users["tmx_livelihood"],
        project=old,
        title="望花园2.0",
        description="增加雨水花园",
        year=old.year + 1,
    )
    assert (new.description, new.year) == ("增加雨水花园", old.year + 1)


def test_versions_chain_from_any_member(tree, users, garden) -> None:
    fund = make_fund(garden.programme, tree.committee_a, amount="200000")
    v1 = _complete(garden, users, fund)
    v2 = s.project_next_version(actor=users["tmx_livelihood"], project=v1, title="望花园2.0")
    v2 = _complete(v2, users, fund, amount="40000")
    s.project_transition(
        actor=users["tmx_livelihood"], project=v2, to_stage=Stage.EVALUATED, note="居民满意"
    )
    v2.refresh_from_db()
    v3 = s.project_next_version(actor=users["tmx_livelihood"], project=v2, title="望花园3.0")
    assert [v.version for v in (v1, v2, v3)] == [1, 2, 3]
    assert v3.previous == v2
    assert sorted(v3.parties.values_list("kind", "name", "role")) == sorted(PARTIES)
    for member in (v1, v2, v3):
        assert [p.pk for p in sel.versions_of(member)] == [v1.pk, v2.pk, v3.pk]
    other = s.project_create(
        actor=users["tmx_livelihood"],
        programme=v1.programme,
        org_unit=tree.committee_a,
        data={"title": "无关项目", "place_name": "别处"},
    )
    assert [p.pk for p in sel.versions_of(other)] == [other.pk]


def test_the_next_version_needs_a_new_title(tree, users, garden) -> None:
    fund = make_fund(garden.programme, tree.committee_a)
    old = _complete(garden, users, fund)
    with pytest.raises(ValidationError) as exc:
        s.project_next_version(actor=users["tmx_livelihood"], project=old, title="望花园")
    assert "title" in exc.value.message_dict
    assert Project.objects.count() == 1


def test_only_those_who_run_the_project_start_its_next_version(tree, users, garden) -> None:
    fund = make_fund(garden.programme, tree.committee_a)
    old = _complete(garden, users, fund)
    for outsider in ("fgn_worker", "tmx_leader", "ja_leader", "bz_admin", "expert1"):
        with pytest.raises(NotPermitted):
            s.project_next_version(actor=users[outsider], project=old, title="望花园2.0")
    assert Project.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("longitude", "NaN"), ("latitude", "abc"), ("longitude", "10"), ("latitude", "60")],
)
def test_coordinates_are_checked(tree, users, field, value) -> None:
    with pytest.raises(ValidationError) as exc:
        s.project_create(
            actor=users["tmx_livelihood"],
            programme=make_programme(tree.sub_a),
            org_unit=tree.committee_a,
            data={"title": "坐标", "place_name": "某处", field: value},
        )
    assert list(exc.value.message_dict) == [field]


def test_partial_update_keeps_the_coordinates(tree, users):
    from jiedao.livelihood import services as s
    from tests.livelihood.factories import make_programme, make_project

    office = users["tmx_livelihood"]
    project = make_project(
        make_programme(tree.sub_a),
        tree.committee_a,
        actor=office,
        longitude="121.458000",
        latitude="31.249000",
    )
    s.project_update(actor=office, project=project, data={"theme": "绿色树林"})
    project.refresh_from_db()
    assert str(project.longitude) == "121.458000"
    assert str(project.latitude) == "31.249000"
    assert project.theme == "绿色树林"
