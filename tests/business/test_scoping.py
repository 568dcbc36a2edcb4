"""Who sees what: another subdistrict's staff see nothing of TMX's records (404 by id), an
enterprise account sees only its own requests, a leader records visits but runs no council."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.http import Http404

from jiedao.business import selectors, services
from jiedao.business.models import (
    Council,
    EnterpriseRequest,
    LiaisonVisit,
    MeetingKind,
    Vacancy,
)
from jiedao.core.permissions import Action, NotPermitted
from tests.business.factories import make_building, make_council, make_firm, make_request, make_type
from tests.factories import make_person


@dataclass
class Side:
    council: Council
    request: EnterpriseRequest
    vacancy: Vacancy
    visit: LiaisonVisit


def side(org_building, sub, actor, leader, firm) -> Side:
    council = make_council(actor, sub, [org_building], name=f"{sub.code}楼务会")
    services.meeting_record(
        actor=actor,
        council=council,
        kind=MeetingKind.REGULAR,
        day=date(2025, 6, 10),
        title="例会",
        decisions=[{"title": "修复门禁", "owner": "物业", "deadline": date(2025, 7, 1)}],
    )
    vacancy = services.vacancy_create(
        actor=actor,
        building=org_building,
        floor=8,
        area=Decimal("200.0"),
        rent_min=Decimal("6.00"),
        rent_max=Decimal("7.00"),
        available_from=date(2025, 7, 1),
    )
    visit = services.liaison_visit_record(
        actor=actor, building=org_building, day=date(2025, 6, 1), visitors=[leader or actor]
    )
    request = make_request(actor, firm, make_type(f"t-{sub.code}", "政策咨询"))
    return Side(council, request, vacancy, visit)


@pytest.fixture
def world(tree, users):
    tmx_building = make_building(tree.committee_a, "久光中心")
    bz_building = make_building(tree.committee_c, "北站大厦")
    own_contact = make_person(tree.committee_a, "赵联系", user=users["enterprise1"])
    own = make_firm(tmx_building, "自家公司", contact=own_contact)
    neighbour = make_firm(tmx_building, "邻居公司", contact=make_person(tree.committee_a, "钱"))
    bz_firm = make_firm(bz_building, "北站公司")
    tmx = side(tmx_building, tree.sub_a, users["tmx_business"], users["tmx_leader"], own)
    bz = side(bz_building, tree.sub_b, users["bz_admin"], None, bz_firm)
    neighbours_request = make_request(users["tmx_business"], neighbour, tmx.request.type)
    return {"tmx": tmx, "bz": bz, "neighbour": neighbours_request, "tmx_building": tmx_building}


def test_the_business_office_sees_its_own_subdistrict_only(world, users) -> None:
    officer = users["tmx_business"]
    tmx = world["tmx"]

    assert set(selectors.request_list(user=officer)) == {tmx.request, world["neighbour"]}
    assert list(selectors.council_list(user=officer)) == [tmx.council]
    assert list(selectors.vacancy_list(user=officer)) == [tmx.vacancy]
    assert list(selectors.meeting_list(user=officer)) == list(tmx.council.meetings.all())
    assert set(selectors.action_item_list(user=officer)) == set(tmx.council.action_items.all())
    assert list(selectors.liaison_visit_list(user=officer)) == [tmx.visit]
    assert selectors.request_get(user=officer, pk=tmx.request.pk) == tmx.request
    assert selectors.council_get(user=officer, pk=tmx.council.pk) == tmx.council


def test_another_subdistricts_records_are_not_found_by_id(world, users) -> None:
    officer = users["tmx_business"]
    bz = world["bz"]

    with pytest.raises(Http404):
        selectors.request_get(user=officer, pk=bz.request.pk)
    with pytest.raises(Http404):
        selectors.council_get(user=officer, pk=bz.council.pk)
    with pytest.raises(Http404):
        selectors.council_get(user=officer, pk=bz.council.pk, action=Action.CHANGE)
    # and the other way round
    with pytest.raises(Http404):
        selectors.request_get(user=users["bz_admin"], pk=world["tmx"].request.pk)


def test_an_enterprise_account_sees_only_its_own_enterprises_requests(world, users) -> None:
    me = users["enterprise1"]
    tmx = world["tmx"]

    assert list(selectors.request_list(user=me)) == [tmx.request]
    assert selectors.request_get(user=me, pk=tmx.request.pk) == tmx.request
    with pytest.raises(Http404):
        selectors.request_get(user=me, pk=world["neighbour"].pk)
    with pytest.raises(Http404):
        selectors.request_get(user=me, pk=world["bz"].request.pk)
    with pytest.raises(NotPermitted):
        selectors.request_get(user=me, pk=tmx.request.pk, action=Action.CHANGE)
    assert not selectors.council_list(user=me).exists()
    assert not selectors.vacancy_list(user=me).exists()
    assert not selectors.action_item_list(user=me).exists()
    assert not selectors.liaison_visit_list(user=me).exists()


def test_a_resident_sees_no_requests(world, users) -> None:
    assert not selectors.request_list(user=users["resident1"]).exists()
    with pytest.raises(Http404):
        selectors.request_get(user=users["resident1"], pk=world["tmx"].request.pk)


def test_a_leader_records_visits_but_creates_no_council(world, tree, users) -> None:
    leader = users["tmx_leader"]
    building = world["tmx_building"]

    recorded = services.liaison_visit_record(
        actor=leader, building=building, day=date(2025, 6, 20), visitors=[]
    )
    assert list(recorded.visitors.all()) == [leader]
    assert recorded in selectors.liaison_visit_list(user=leader)

    with pytest.raises(NotPermitted):
        make_council(leader, tree.sub_a, [building], name="领导楼务会")
    assert not Council.objects.filter(name="领导楼务会").exists()
    # the leader reads the council but may not change it
    assert selectors.council_get(user=leader, pk=world["tmx"].council.pk) == world["tmx"].council
    with pytest.raises(NotPermitted):
        selectors.council_get(user=leader, pk=world["tmx"].council.pk, action=Action.CHANGE)


def test_a_district_leader_reads_both_subdistricts_councils(world, users) -> None:
    councils = set(selectors.council_list(user=users["ja_leader"]))
    assert councils == {world["tmx"].council, world["bz"].council}
