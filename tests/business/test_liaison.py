"""Leader liaison (包联): assigning a building to a leader, recording visits, when the next
visit is due, and an issue raised on a visit followed up as an enterprise request."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jiedao.accounts.models import Role
from jiedao.business import selectors, services
from jiedao.business.models import LiaisonAssignment, LiaisonVisit
from jiedao.core.permissions import NotPermitted
from tests.business.factories import make_building, make_firm, make_request, make_type
from tests.factories import UserFactory

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def tower(tree):
    return make_building(tree.committee_a, "久光中心")


def assign(users, building, leader=None, *, interval_days: int = 90, actor=None):
    return services.liaison_assign(
        actor=actor or users["tmx_business"],
        building=building,
        leader=leader or users["tmx_leader"],
        department="营商办",
        interval_days=interval_days,
    )


def assigned_on(assignment: LiaisonAssignment, moment: datetime) -> None:
    LiaisonAssignment.objects.filter(pk=assignment.pk).update(created_at=moment)


def visit(users, building, day: date, actor=None, **kwargs) -> LiaisonVisit:
    return services.liaison_visit_record(
        actor=actor or users["tmx_leader"], building=building, day=day, visitors=[], **kwargs
    )


# --- assigning ----------------------------------------------------------------------------------
def test_a_building_is_assigned_to_a_leader_and_reassigned_in_place(tree, tower, users) -> None:
    second = UserFactory.with_role(Role.SUBDISTRICT_LEADER, tree.sub_a, username="tmx_leader2")
    first = assign(users, tower, interval_days=30)

    again = assign(users, tower, second, interval_days=60)

    assert again.pk == first.pk
    stored = LiaisonAssignment.objects.get(building=tower)
    assert (stored.leader, stored.department, stored.interval_days) == (second, "营商办", 60)


@pytest.mark.parametrize("leader", ["bz_admin", "hx_worker", "enterprise1", "tmx_clerk"])
def test_the_leader_must_be_allowed_in_the_buildings_org(tower, users, leader) -> None:
    with pytest.raises(ValidationError) as exc:
        assign(users, tower, users[leader])
    assert "leader" in exc.value.message_dict
    assert not LiaisonAssignment.objects.exists()


@pytest.mark.parametrize(("days", "ok"), [(0, False), (1, True), (366, True), (367, False)])
def test_the_visit_interval_is_bounded(tower, users, days, ok) -> None:
    if ok:
        assert assign(users, tower, interval_days=days).interval_days == days
    else:
        with pytest.raises(ValidationError) as exc:
            assign(users, tower, interval_days=days)
        assert "interval_days" in exc.value.message_dict
        assert not LiaisonAssignment.objects.exists()


def test_another_subdistrict_cannot_assign_here(tower, users) -> None:
    with pytest.raises(NotPermitted):
        assign(users, tower, actor=users["bz_admin"])


# --- visits -------------------------------------------------------------------------------------
def test_a_visit_records_visitors_enterprises_and_issues(tower, users) -> None:
    firm = make_firm(tower, "久光科技")
    today = timezone.localdate()

    recorded = services.liaison_visit_record(
        actor=users["tmx_leader"],
        building=tower,
        day=today,
        visitors=[users["tmx_leader"], users["tmx_business"]],
        enterprises=[firm],
        issues=["  停车位不足 ", "", "  "],
        note="走访记录",
    )

    assert recorded.date == today
    assert set(recorded.visitors.all()) == {users["tmx_leader"], users["tmx_business"]}
    assert list(recorded.enterprises.all()) == [firm]
    assert recorded.issues == ["停车位不足"]


def test_the_recorder_is_the_visitor_when_none_is_named(tower, users) -> None:
    recorded = visit(users, tower, date(2025, 3, 1))
    assert list(recorded.visitors.all()) == [users["tmx_leader"]]


def test_a_visit_in_the_future_is_refused(tower, users) -> None:
    with pytest.raises(ValidationError) as exc:
        visit(users, tower, timezone.localdate() + timedelta(days=1))
    assert "date" in exc.value.message_dict
    assert not LiaisonVisit.objects.exists()


def test_visited_enterprises_must_be_in_the_building(tree, tower, users) -> None:
    elsewhere = make_firm(make_building(tree.committee_a, "另一栋"), "别处公司")
    with pytest.raises(ValidationError) as exc:
        visit(users, tower, date(2025, 3, 1), enterprises=[make_firm(tower, "本楼"), elsewhere])
    assert "enterprises" in exc.value.message_dict
    assert not LiaisonVisit.objects.exists()


@pytest.mark.parametrize("actor", ["bz_admin", "hx_worker", "enterprise1"])
def test_only_this_subdistricts_office_and_leaders_record_visits(tower, users, actor) -> None:
    with pytest.raises(NotPermitted):
        visit(users, tower, date(2025, 3, 1), actor=users[actor])


def test_an_issue_becomes_a_request_that_keeps_its_visit(tower, users) -> None:
    firm = make_firm(tower, "久光科技")
    recorded = visit(users, tower, date(2025, 3, 1), enterprises=[firm], issues=["招聘难"])

    request = make_request(
        users["tmx_business"],
        firm,
        make_type("difficulty", "困难诉求/其他"),
        title=recorded.issues[0],
        liaison_visit=recorded,
    )

    fetched = selectors.request_get(user=users["tmx_business"], pk=request.pk)
    assert fetched.liaison_visit == recorded
    assert list(recorded.requests.all()) == [request]


# --- when the next visit is due -----------------------------------------------------------------
@pytest.fixture
def rows_fixture(tree, users):
    """Three TMX buildings and one BZ building under liaison.

    never  — tmx_leader, assigned 2025-03-01 01:00 Shanghai time, never visited
    recent — tmx_leader, every 30 days, visited 2025-01-10 and 2025-03-01
    other  — a second TMX leader, every 90 days, visited 2024-12-01
    bz     — a BZ leader
    """
    officer = users["tmx_business"]
    second = UserFactory.with_role(Role.SUBDISTRICT_LEADER, tree.sub_a, username="tmx_leader2")
    bz_leader = UserFactory.with_role(Role.SUBDISTRICT_LEADER, tree.sub_b, username="bz_leader")
    never, recent, other = (make_building(tree.committee_a, n) for n in ("甲楼", "乙楼", "丙楼"))
    bz = make_building(tree.committee_c, "北站楼")
    # 01:00 in Shanghai is the evening before in UTC: the assignment date is the local one.
    assigned_on(assign(users, never), datetime(2025, 3, 1, 1, 0, tzinfo=SH))
    assign(users, recent, interval_days=30)
    assign(users, other, second)
    services.liaison_assign(
        actor=users["bz_admin"], building=bz, leader=bz_leader, department="营商办"
    )
    visit(users, recent, date(2025, 1, 10), actor=officer)
    visit(users, recent, date(2025, 3, 1))
    visit(users, other, date(2024, 12, 1), actor=second)
    return {"second": second, "bz_leader": bz_leader}


def by_name(rows) -> dict[str, tuple]:
    return {r.assignment.building.name: (r.last_visit, r.due_on, r.is_due) for r in rows}


def test_due_dates_follow_the_last_visit_or_the_assignment(rows_fixture, users) -> None:
    rows = selectors.liaison_rows(user=users["tmx_business"], today=date(2025, 3, 30))

    assert by_name(rows) == {
        "甲楼": (None, date(2025, 3, 1), True),
        "乙楼": (date(2025, 3, 1), date(2025, 3, 31), False),
        "丙楼": (date(2024, 12, 1), date(2025, 3, 1), True),
    }


def test_a_building_falls_due_on_the_day_its_interval_ends(rows_fixture, users) -> None:
    rows = selectors.liaison_rows(user=users["tmx_business"], today=date(2025, 3, 31))
    assert by_name(rows)["乙楼"] == (date(2025, 3, 1), date(2025, 3, 31), True)


def test_a_leader_sees_their_own_list(rows_fixture, users) -> None:
    mine = selectors.liaison_rows(user=users["tmx_leader"], mine=True, today=date(2025, 3, 30))
    theirs = selectors.liaison_rows(user=rows_fixture["second"], mine=True, today=date(2025, 3, 30))

    assert {r.assignment.building.name for r in mine} == {"甲楼", "乙楼"}
    assert {r.assignment.leader for r in mine} == {users["tmx_leader"]}
    assert [r.assignment.building.name for r in theirs] == ["丙楼"]


def test_liaison_rows_stay_within_the_subdistrict(rows_fixture, users) -> None:
    bz_rows = selectors.liaison_rows(user=users["bz_admin"], today=date(2025, 3, 30))
    assert [r.assignment.building.name for r in bz_rows] == ["北站楼"]
    assert selectors.liaison_rows(user=users["enterprise1"], today=date(2025, 3, 30)) == []
