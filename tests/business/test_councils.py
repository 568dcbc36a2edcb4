"""Building affairs councils: creation within the org, member units, meetings whose decisions
become action items, the action-item map, overdue items, and the coverage figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jiedao.business import selectors, services
from jiedao.business.models import (
    ACTION_TRANSITIONS,
    ActionItem,
    ActionState,
    Council,
    CouncilMember,
    MeetingKind,
    MemberKind,
)
from jiedao.business.services import IllegalTransition
from jiedao.core.models import OfficeBuilding
from jiedao.core.permissions import NotPermitted
from tests.business.factories import make_building, make_council, make_firm

A = ActionState
LEGAL = [(a, b) for a, targets in ACTION_TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a in A.values for b in A.values if b not in ACTION_TRANSITIONS[a]]
PATH_TO: dict[str, list[str]] = {
    A.OPEN: [],
    A.IN_PROGRESS: [A.IN_PROGRESS],
    A.DONE: [A.DONE],
    A.CANCELLED: [A.CANCELLED],
}


@pytest.fixture
def towers(tree) -> list[OfficeBuilding]:
    return [make_building(tree.committee_a, f"天目大厦{n}") for n in (1, 2, 3)]


@pytest.fixture
def council(towers, tree, users) -> Council:
    return make_council(users["tmx_business"], tree.sub_a, towers[:2], name="和矩阵一号")


def record(council: Council, actor, decisions, **kwargs):
    return services.meeting_record(
        actor=actor,
        council=council,
        kind=kwargs.pop("kind", MeetingKind.REGULAR),
        day=kwargs.pop("day", date(2025, 6, 10)),
        title=kwargs.pop("title", "季度例会"),
        decisions=decisions,
        **kwargs,
    )


def item_for(council: Council, actor, deadline: date, title: str = "修复门禁") -> ActionItem:
    meeting = record(council, actor, [{"title": title, "owner": "物业公司", "deadline": deadline}])
    return meeting.action_items.get()


# --- creating a council -------------------------------------------------------------------------
def test_council_is_created_over_buildings_inside_its_org(council, towers, tree) -> None:
    assert council.org_unit == tree.sub_a
    assert set(council.buildings.all()) == set(towers[:2])
    assert (council.convener, council.secretary_general, council.brand) == (
        "王召集",
        "李秘书",
        "和矩阵",
    )


def test_a_building_outside_the_councils_org_is_refused(tree, towers, users) -> None:
    bz = make_building(tree.committee_c, "北站大厦")
    with pytest.raises(ValidationError) as exc:
        make_council(users["admin"], tree.sub_a, [towers[0], bz])
    assert "buildings" in exc.value.message_dict

    # a council of one committee cannot cover a building of a sibling committee either
    with pytest.raises(ValidationError):
        make_council(users["tmx_business"], tree.committee_b, [towers[0]])
    assert not Council.objects.exists()


def test_a_council_needs_buildings_and_its_1_plus_1(tree, towers, users) -> None:
    with pytest.raises(ValidationError) as exc:
        services.council_create(
            actor=users["tmx_business"],
            org_unit=tree.sub_a,
            name=" ",
            convener="",
            secretary_general=" ",
            buildings=[],
        )
    assert set(exc.value.message_dict) == {"name", "convener", "secretary_general", "buildings"}
    assert not Council.objects.exists()


def test_a_second_council_of_the_same_name_in_the_org_is_refused(council, towers, tree, users):
    with pytest.raises(ValidationError) as exc:
        make_council(users["tmx_business"], tree.sub_a, [towers[2]], name="和矩阵一号")
    assert "name" in exc.value.message_dict
    assert Council.objects.count() == 1


def test_another_subdistrict_cannot_create_a_council_here(tree, towers, users) -> None:
    with pytest.raises(NotPermitted):
        make_council(users["bz_admin"], tree.sub_a, towers)
    assert not Council.objects.exists()


# --- members ------------------------------------------------------------------------------------
def test_member_units_are_enterprises_or_named_units(council, towers, users) -> None:
    officer = users["tmx_business"]
    firm = make_firm(towers[0], "久光科技")

    services.council_member_add(
        actor=officer, council=council, kind=MemberKind.ENTERPRISE, enterprise=firm, role="副召集人"
    )
    services.council_member_add(
        actor=officer, council=council, kind=MemberKind.DEPARTMENT, name="营商办", role="成员"
    )

    rows = list(council.members.values_list("kind", "enterprise__name", "name", "role"))
    assert rows == [
        (MemberKind.DEPARTMENT, None, "营商办", "成员"),
        (MemberKind.ENTERPRISE, "久光科技", "", "副召集人"),
    ]


def test_a_member_needs_an_enterprise_or_a_name(council, users) -> None:
    with pytest.raises(ValidationError) as exc:
        services.council_member_add(
            actor=users["tmx_business"], council=council, kind=MemberKind.OTHER, name="  "
        )
    assert "name" in exc.value.message_dict
    assert not CouncilMember.objects.exists()


def test_a_member_of_an_unknown_kind_is_refused(council, users) -> None:
    with pytest.raises(ValidationError) as exc:
        services.council_member_add(
            actor=users["tmx_business"], council=council, kind="alien", name="某单位"
        )
    assert "kind" in exc.value.message_dict
    assert not CouncilMember.objects.exists()


def test_another_subdistrict_cannot_add_members(council, users) -> None:
    with pytest.raises(NotPermitted):
        services.council_member_add(
            actor=users["bz_admin"], council=council, kind=MemberKind.OTHER, name="某单位"
        )


# --- meetings and decisions ---------------------------------------------------------------------
def test_each_decision_of_a_meeting_becomes_an_action_item(council, users) -> None:
    meeting = record(
        council,
        users["tmx_business"],
        [
            {"title": "修复门禁", "owner": "物业公司", "deadline": date(2025, 7, 1)},
            {"title": "开设午间课堂", "owner": "党群服务站", "deadline": date(2025, 8, 1)},
        ],
        kind=MeetingKind.SEMINAR,
        experts=["张教授"],
        departments=["区商务委"],
        attendees=["王召集", "李秘书"],
        minutes="会议议定两项事项。",
    )

    items = list(meeting.action_items.order_by("deadline"))
    assert [(i.title, i.owner, i.deadline, i.state, i.council) for i in items] == [
        ("修复门禁", "物业公司", date(2025, 7, 1), A.OPEN, council),
        ("开设午间课堂", "党群服务站", date(2025, 8, 1), A.OPEN, council),
    ]
    assert (meeting.kind, meeting.experts, meeting.departments) == (
        MeetingKind.SEMINAR,
        ["张教授"],
        ["区商务委"],
    )


@pytest.mark.parametrize(
    "decision",
    [
        {"title": "", "owner": "物业公司", "deadline": date(2025, 7, 1)},
        {"title": "修复门禁", "owner": " ", "deadline": date(2025, 7, 1)},
        {"title": "修复门禁", "owner": "物业公司"},
        {"title": "修复门禁", "owner": "物业公司", "deadline": "2025-07-01"},
    ],
)
def test_an_incomplete_decision_refuses_the_whole_meeting(council, users, decision) -> None:
    ok = {"title": "开设午间课堂", "owner": "党群服务站", "deadline": date(2025, 8, 1)}
    with pytest.raises(ValidationError) as exc:
        record(council, users["tmx_business"], [ok, decision])
    assert "decisions" in exc.value.message_dict
    assert not council.meetings.exists()
    assert not ActionItem.objects.exists()


def test_a_meeting_needs_a_known_kind_and_a_title(council, users) -> None:
    with pytest.raises(ValidationError) as exc:
        record(council, users["tmx_business"], [], kind="party", title=" ")
    assert set(exc.value.message_dict) == {"kind", "title"}


# --- the action-item map ------------------------------------------------------------------------
def test_the_map_covers_every_state_and_closed_ones_are_final() -> None:
    assert set(ACTION_TRANSITIONS) == set(A.values)
    assert ACTION_TRANSITIONS[A.DONE] == frozenset()
    assert ACTION_TRANSITIONS[A.CANCELLED] == frozenset()


@pytest.mark.parametrize(("from_state", "to_state"), LEGAL)
def test_every_legal_move_succeeds(council, users, from_state, to_state) -> None:
    officer = users["tmx_business"]
    item = item_for(council, officer, date(2025, 7, 1))
    for state in PATH_TO[from_state]:
        item = services.action_item_move(actor=officer, item=item, to_state=state, result="已完成")

    before = timezone.now()
    services.action_item_move(actor=officer, item=item, to_state=to_state, result="已完成")

    item.refresh_from_db()
    assert item.state == to_state
    if to_state in (A.DONE, A.CANCELLED):
        assert item.closed_at is not None and item.closed_at >= before
    else:
        assert item.closed_at is None


@pytest.mark.parametrize(("from_state", "to_state"), ILLEGAL)
def test_every_illegal_move_is_refused(council, users, from_state, to_state) -> None:
    officer = users["tmx_business"]
    item = item_for(council, officer, date(2025, 7, 1))
    for state in PATH_TO[from_state]:
        item = services.action_item_move(actor=officer, item=item, to_state=state, result="已完成")

    with pytest.raises(IllegalTransition):
        services.action_item_move(actor=officer, item=item, to_state=to_state, result="已完成")

    item.refresh_from_db()
    assert item.state == from_state


def test_an_unknown_state_is_refused(council, users) -> None:
    item = item_for(council, users["tmx_business"], date(2025, 7, 1))
    with pytest.raises(IllegalTransition):
        services.action_item_move(actor=users["tmx_business"], item=item, to_state="lost")


def test_done_needs_a_result_which_is_kept(council, users) -> None:
    officer = users["tmx_business"]
    item = item_for(council, officer, date(2025, 7, 1))

    with pytest.raises(ValidationError) as exc:
        services.action_item_move(actor=officer, item=item, to_state=A.DONE, result="  ")
    assert "result" in exc.value.message_dict
    item.refresh_from_db()
    assert (item.state, item.closed_at) == (A.OPEN, None)

    services.action_item_move(actor=officer, item=item, to_state=A.DONE, result=" 门禁已修复 ")
    item.refresh_from_db()
    assert (item.state, item.result) == (A.DONE, "门禁已修复")
    assert item.closed_at is not None


def test_cancelling_needs_no_result(council, users) -> None:
    officer = users["tmx_business"]
    item = item_for(council, officer, date(2025, 7, 1))
    services.action_item_move(actor=officer, item=item, to_state=A.CANCELLED)
    item.refresh_from_db()
    assert (item.state, item.result) == (A.CANCELLED, "")
    assert item.closed_at is not None


def test_another_subdistrict_cannot_move_an_item(council, users) -> None:
    item = item_for(council, users["tmx_business"], date(2025, 7, 1))
    with pytest.raises(NotPermitted):
        services.action_item_move(
            actor=users["bz_admin"], item=item, to_state=A.DONE, result="已完成"
        )
    item.refresh_from_db()
    assert item.state == A.OPEN


# --- overdue action items -----------------------------------------------------------------------
def test_overdue_items_are_open_or_in_progress_past_their_deadline(tree, towers, users) -> None:
    officer = users["tmx_business"]
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    first = make_council(officer, tree.sub_a, towers[:1], name="一号")
    second = make_council(officer, tree.sub_a, towers[1:], name="二号")
    quiet = make_council(officer, tree.sub_a, towers[2:], name="三号")
    late_open = item_for(first, officer, yesterday, "逾期待办")
    late_moving = item_for(first, officer, today - timedelta(days=30), "逾期推进")
    services.action_item_move(actor=officer, item=late_moving, to_state=A.IN_PROGRESS)
    late_done = item_for(first, officer, yesterday, "逾期已办结")
    services.action_item_move(actor=officer, item=late_done, to_state=A.DONE, result="已完成")
    late_cancelled = item_for(second, officer, yesterday, "逾期已取消")
    services.action_item_move(actor=officer, item=late_cancelled, to_state=A.CANCELLED)
    item_for(second, officer, today, "今天到期")
    item_for(second, officer, today + timedelta(days=3), "未到期")
    other = item_for(second, officer, yesterday, "二号逾期")
    bz_tower = make_building(tree.committee_c, "北站大厦")
    bz_council = make_council(users["bz_admin"], tree.sub_b, [bz_tower], name="北站")
    bz_late = item_for(bz_council, users["bz_admin"], yesterday, "北站逾期")

    overdue = selectors.action_item_list(user=officer, overdue=True)

    assert set(overdue) == {late_open, late_moving, other}
    assert selectors.action_item_list(user=officer).count() == 7
    assert list(selectors.action_item_list(user=users["bz_admin"], overdue=True)) == [bz_late]
    counts = {c.name: c.overdue_actions for c in selectors.council_list(user=officer)}
    assert counts == {"一号": 2, "二号": 1, "三号": 0}
    assert quiet.action_items.count() == 0


# --- coverage -----------------------------------------------------------------------------------
@dataclass
class CoverageFixture:
    buildings: list[OfficeBuilding]
    bz_building: OfficeBuilding


@pytest.fixture
def covered(tree, users) -> CoverageFixture:
    """TMX: council 一号 over B1+B2 and council 二号 over B2+B3 (B2 shared), B4 uncovered.
    BZ: council 北站 over B5.

    B1: 甲 100, 乙 50, 丙 30 (moved out)   → 2 firms, 150
    B2: 丁 200, 戊 (no profile)            → 2 firms, 200
    B3: 己 70, 庚 25 (moving out next month) → 2 firms, 95
    B4: 辛 999 (not covered)
    B5: 壬 40, 癸 60                       → 2 firms, 100
    """
    officer, bz = users["tmx_business"], users["bz_admin"]
    b1, b2, b3, b4 = (make_building(tree.committee_a, f"B{n}") for n in (1, 2, 3, 4))
    b5 = make_building(tree.committee_c, "B5")
    make_firm(b1, "甲", actor=officer, white_collar=100)
    make_firm(b1, "乙", actor=officer, white_collar=50)
    make_firm(
        b1,
        "丙",
        actor=officer,
        white_collar=30,
        moved_in=date(2019, 1, 1),
        moved_out=date(2024, 6, 30),
    )
    make_firm(b2, "丁", actor=officer, white_collar=200)
    make_firm(b2, "戊")
    make_firm(b3, "己", actor=officer, white_collar=70)
    make_firm(
        b3,
        "庚",
        actor=officer,
        white_collar=25,
        moved_out=timezone.localdate() + timedelta(days=30),
    )
    make_firm(b4, "辛", actor=officer, white_collar=999)
    make_firm(b5, "壬", actor=bz, white_collar=40)
    make_firm(b5, "癸", actor=bz, white_collar=60)
    make_council(officer, tree.sub_a, [b1, b2], name="一号")
    make_council(officer, tree.sub_a, [b2, b3], name="二号")
    make_council(bz, tree.sub_b, [b5], name="北站")
    return CoverageFixture([b1, b2, b3, b4], b5)


def test_coverage_counts_shared_buildings_once_and_skips_moved_out_firms(covered, users):
    figures = selectors.coverage(user=users["tmx_business"])

    assert (figures.councils, figures.buildings, figures.enterprises, figures.white_collar) == (
        2,
        3,
        6,
        445,
    )
    assert figures.building_ids == tuple(sorted(b.pk for b in covered.buildings[:3]))


def test_another_subdistricts_council_is_not_counted(covered, users) -> None:
    figures = selectors.coverage(user=users["bz_admin"])
    assert (figures.councils, figures.buildings, figures.enterprises, figures.white_collar) == (
        1,
        1,
        2,
        100,
    )
    assert covered.bz_building.pk not in selectors.coverage(user=users["tmx_leader"]).building_ids


def test_a_district_leader_sees_both_subdistricts_councils(covered, users) -> None:
    figures = selectors.coverage(user=users["ja_leader"])
    assert (figures.councils, figures.buildings, figures.enterprises, figures.white_collar) == (
        3,
        4,
        8,
        545,
    )


def test_an_enterprise_account_covers_nothing(covered, users) -> None:
    figures = selectors.coverage(user=users["enterprise1"])
    assert (figures.councils, figures.buildings, figures.enterprises, figures.white_collar) == (
        0,
        0,
        0,
        0,
    )


def test_council_list_counts_each_councils_buildings(covered, users) -> None:
    rows = {c.name: c.building_count for c in selectors.council_list(user=users["ja_leader"])}
    assert rows == {"一号": 2, "二号": 2, "北站": 1}
