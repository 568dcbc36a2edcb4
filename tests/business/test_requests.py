"""Enterprise requests: due steps on the working-day calendar, numbers, the transition map
with the times it stamps, assigning, the enterprise's rating, on-time figures and the
due-soon / overdue lists, and who may file a request."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jiedao.business import selectors, services
from jiedao.business.models import (
    REQUEST_TRANSITIONS,
    EnterpriseRequest,
    RequestStatus,
    RequestTransition,
)
from jiedao.business.selectors import RequestFilters
from jiedao.business.services import IllegalTransition
from jiedao.core.permissions import NotPermitted
from tests.business.factories import advance, make_building, make_firm, make_request, make_type
from tests.factories import make_person

SH = ZoneInfo("Asia/Shanghai")
S = RequestStatus

# The shortest way from a new request to each status.
PATH_TO: dict[str, list[str]] = {
    S.RECEIVED: [],
    S.ACKNOWLEDGED: [S.ACKNOWLEDGED],
    S.IN_PROGRESS: [S.ACKNOWLEDGED, S.IN_PROGRESS],
    S.RESOLVED: [S.ACKNOWLEDGED, S.RESOLVED],
    S.REFERRED: [S.ACKNOWLEDGED, S.REFERRED],
    S.CLOSED: [S.CLOSED],
}
LEGAL = [(a, b) for a, targets in REQUEST_TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a in S.values for b in S.values if b not in REQUEST_TRANSITIONS[a]]


def sh(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=SH)


@pytest.fixture
def tower(tree):
    return make_building(tree.committee_a, "久光中心")


@pytest.fixture
def firm(tree, tower, users):
    """A TMX enterprise whose contact is the public account enterprise1."""
    contact = make_person(tree.committee_a, "赵联系", user=users["enterprise1"])
    return make_firm(tower, "久光科技", contact=contact)


@pytest.fixture
def rtype():
    return make_type("policy", "政策咨询", ack_hours=4, response_days=1, resolve_days=5)


def new_request(users, firm, rtype, **kwargs) -> EnterpriseRequest:
    return make_request(users["tmx_business"], firm, rtype, **kwargs)


# --- due steps ----------------------------------------------------------------------------------
def test_due_steps_skip_the_national_day_holiday(users, firm) -> None:
    # 2025: 1–8 October off, Saturday 11 October a make-up working day.
    rtype = make_type("registration", "登记注册", ack_hours=4, response_days=1, resolve_days=5)

    request = new_request(users, firm, rtype, received_at=sh(2025, 9, 30, 10))

    assert request.response_due == date(2025, 10, 9)
    assert request.resolve_due == date(2025, 10, 14)  # 9, 10, 11 (Sat), 13, 14
    assert request.ack_due == sh(2025, 9, 30, 14)


def test_the_acknowledge_step_counts_clock_hours_even_over_a_holiday(users, firm) -> None:
    rtype = make_type("financing", "企业融资", ack_hours=24, response_days=3, resolve_days=20)

    request = new_request(users, firm, rtype, received_at=sh(2025, 9, 30, 10))

    assert request.ack_due == sh(2025, 10, 1, 10)
    assert request.response_due == date(2025, 10, 11)  # 9, 10 and the make-up Saturday 11th


def test_due_steps_count_from_the_local_day_of_receipt(users, firm, rtype) -> None:
    # 07:00 in Shanghai is still the previous day in UTC.
    request = new_request(users, firm, rtype, received_at=sh(2025, 10, 9, 7))

    assert request.response_due == date(2025, 10, 10)
    assert request.resolve_due == date(2025, 10, 15)  # 10, 11 (Sat), 13, 14, 15


def test_request_due_dates_is_the_same_calculation(db, rtype) -> None:
    assert services.request_due_dates(rtype, sh(2025, 9, 30, 10)) == {
        "ack_due": sh(2025, 9, 30, 14),
        "response_due": date(2025, 10, 9),
        "resolve_due": date(2025, 10, 14),
    }


# --- numbers ------------------------------------------------------------------------------------
def test_numbers_run_per_subdistrict_and_year(tree, users, firm, rtype) -> None:
    bz_firm = make_firm(make_building(tree.committee_c, "北站大厦"), "北站公司")
    officer, bz = users["tmx_business"], users["bz_admin"]

    first = make_request(officer, firm, rtype, received_at=sh(2025, 3, 1))
    second = make_request(officer, firm, rtype, received_at=sh(2025, 12, 31, 23, 30))
    bz_first = make_request(bz, bz_firm, rtype, received_at=sh(2025, 4, 1))
    # 00:30 on New Year's Day in Shanghai is still 2025 in UTC: the local year counts.
    next_year = make_request(officer, firm, rtype, received_at=sh(2026, 1, 1, 0, 30))
    third = make_request(officer, firm, rtype, received_at=sh(2025, 6, 1))

    assert [first.number, second.number, third.number] == [
        "TMX-QY2025-00001",
        "TMX-QY2025-00002",
        "TMX-QY2025-00003",
    ]
    assert bz_first.number == "BZ-QY2025-00001"
    assert next_year.number == "TMX-QY2026-00001"
    # the enterprise's committee-level org is filed under its subdistrict
    assert first.org_unit == tree.committee_a


def test_a_new_request_is_received_with_its_first_transition(users, firm, rtype) -> None:
    request = new_request(users, firm, rtype, received_at=sh(2025, 6, 9, 9))

    assert request.status == S.RECEIVED
    assert list(request.transitions.values_list("from_status", "to_status", "actor", "at")) == [
        ("", S.RECEIVED, users["tmx_business"].pk, sh(2025, 6, 9, 9))
    ]


def test_a_request_needs_a_title_and_a_description(users, firm, rtype) -> None:
    with pytest.raises(ValidationError) as exc:
        new_request(users, firm, rtype, title=" ", description="")
    assert set(exc.value.message_dict) == {"title", "description"}
    assert not EnterpriseRequest.objects.exists()


# --- the transition map -------------------------------------------------------------------------
def test_the_map_covers_every_status_and_closed_is_final() -> None:
    assert set(REQUEST_TRANSITIONS) == set(S.values)
    assert REQUEST_TRANSITIONS[S.CLOSED] == frozenset()


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL)
def test_every_legal_transition_succeeds_and_is_recorded(
    users, firm, rtype, from_status, to_status
) -> None:
    officer = users["tmx_business"]
    request = advance(new_request(users, firm, rtype), officer, *PATH_TO[from_status])
    assert request.status == from_status
    before = request.transitions.count()
    moment = sh(2025, 6, 10, 15)

    services.request_transition(
        actor=users["tmx_admin"],
        request=request,
        to_status=to_status,
        note="答复内容",
        referred_to="区人社局",
        at=moment,
    )

    request.refresh_from_db()
    assert request.status == to_status
    assert request.transitions.count() == before + 1
    last = request.transitions.order_by("pk").last()
    assert (last.from_status, last.to_status, last.actor, last.at, last.note) == (
        from_status,
        to_status,
        users["tmx_admin"],
        moment,
        "答复内容",
    )


@pytest.mark.parametrize(("from_status", "to_status"), [*ILLEGAL, (S.RECEIVED, "lost")])
def test_every_illegal_transition_is_refused(users, firm, rtype, from_status, to_status) -> None:
    officer = users["tmx_business"]
    request = advance(new_request(users, firm, rtype), officer, *PATH_TO[from_status])
    before = request.transitions.count()

    with pytest.raises(IllegalTransition):
        services.request_transition(
            actor=officer, request=request, to_status=to_status, note="说明", referred_to="某局"
        )

    request.refresh_from_db()
    assert request.status == from_status
    assert request.transitions.count() == before


def test_referring_needs_a_department(users, firm, rtype) -> None:
    officer = users["tmx_business"]
    request = advance(new_request(users, firm, rtype), officer, S.ACKNOWLEDGED)

    with pytest.raises(ValidationError) as exc:
        services.request_transition(
            actor=officer, request=request, to_status=S.REFERRED, note="转办", referred_to=" "
        )
    assert "referred_to" in exc.value.message_dict

    services.request_transition(
        actor=officer,
        request=request,
        to_status=S.REFERRED,
        referred_to=" 区人社局 ",
        at=sh(2025, 6, 11, 9),
    )
    request.refresh_from_db()
    assert (request.status, request.referred_to, request.resolved_at) == (
        S.REFERRED,
        "区人社局",
        sh(2025, 6, 11, 9),
    )


@pytest.mark.parametrize(("path", "to_status"), [([S.ACKNOWLEDGED], S.RESOLVED), ([], S.CLOSED)])
def test_resolving_and_closing_need_a_note(users, firm, rtype, path, to_status) -> None:
    officer = users["tmx_business"]
    request = advance(new_request(users, firm, rtype), officer, *path)
    with pytest.raises(ValidationError) as exc:
        services.request_transition(actor=officer, request=request, to_status=to_status, note=" ")
    assert "note" in exc.value.message_dict
    request.refresh_from_db()
    assert request.status == (path[-1] if path else S.RECEIVED)


def test_times_are_stamped_by_the_moves_that_mean_them(users, firm, rtype) -> None:
    officer = users["tmx_business"]
    request = new_request(users, firm, rtype, received_at=sh(2025, 6, 9, 9))

    advance(request, officer, S.ACKNOWLEDGED, at=sh(2025, 6, 9, 10))
    request.refresh_from_db()
    assert (request.acknowledged_at, request.first_response_at, request.resolved_at) == (
        sh(2025, 6, 9, 10),
        None,
        None,
    )
    assert request.assigned_to == officer

    advance(request, users["tmx_admin"], S.IN_PROGRESS, at=sh(2025, 6, 10, 9))
    request.refresh_from_db()
    assert request.first_response_at == sh(2025, 6, 10, 9)
    assert request.resolved_at is None
    assert request.assigned_to == officer  # the first handler keeps it

    advance(request, officer, S.RESOLVED, at=sh(2025, 6, 12, 16))
    request.refresh_from_db()
    assert (request.acknowledged_at, request.first_response_at, request.resolved_at) == (
        sh(2025, 6, 9, 10),
        sh(2025, 6, 10, 9),
        sh(2025, 6, 12, 16),
    )

    advance(request, officer, S.CLOSED, at=sh(2025, 6, 20, 9))
    request.refresh_from_db()
    assert request.resolved_at == sh(2025, 6, 12, 16)


def test_resolving_straight_after_acknowledging_is_also_the_first_response(
    users, firm, rtype
) -> None:
    officer = users["tmx_business"]
    request = advance(new_request(users, firm, rtype), officer, S.ACKNOWLEDGED)

    advance(request, officer, S.RESOLVED, at=sh(2025, 6, 11, 9))

    request.refresh_from_db()
    assert request.first_response_at == request.resolved_at == sh(2025, 6, 11, 9)


def test_a_second_move_from_a_stale_copy_is_refused(users, firm, rtype) -> None:
    officer = users["tmx_business"]
    request = advance(new_request(users, firm, rtype), officer, S.ACKNOWLEDGED)
    mine = EnterpriseRequest.objects.get(pk=request.pk)
    theirs = EnterpriseRequest.objects.get(pk=request.pk)

    services.request_transition(actor=officer, request=mine, to_status=S.IN_PROGRESS)
    with pytest.raises(IllegalTransition):
        services.request_transition(
            actor=users["tmx_admin"], request=theirs, to_status=S.CLOSED, note="重复"
        )

    request.refresh_from_db()
    assert request.status == S.IN_PROGRESS
    assert list(request.transitions.values_list("to_status", flat=True)) == [
        S.RECEIVED,
        S.ACKNOWLEDGED,
        S.IN_PROGRESS,
    ]


@pytest.mark.parametrize("actor", ["bz_admin", "tmx_leader", "enterprise1"])
def test_only_the_office_moves_a_request(users, firm, rtype, actor) -> None:
    request = new_request(users, firm, rtype)
    with pytest.raises(NotPermitted):
        services.request_transition(actor=users[actor], request=request, to_status=S.ACKNOWLEDGED)
    assert RequestTransition.objects.filter(request=request).count() == 1


# --- assigning ----------------------------------------------------------------------------------
def test_a_request_is_assigned_to_someone_allowed_to_handle_it(users, firm, rtype) -> None:
    request = new_request(users, firm, rtype)

    services.request_assign(
        actor=users["tmx_business"], request=request, assignee=users["tmx_admin"]
    )

    request.refresh_from_db()
    assert request.assigned_to == users["tmx_admin"]


@pytest.mark.parametrize("assignee", ["bz_admin", "tmx_leader", "tmx_clerk", "enterprise1"])
def test_the_assignee_must_be_allowed_to_handle_it(users, firm, rtype, assignee) -> None:
    request = new_request(users, firm, rtype)
    with pytest.raises(ValidationError) as exc:
        services.request_assign(
            actor=users["tmx_business"], request=request, assignee=users[assignee]
        )
    assert "assigned_to" in exc.value.message_dict
    request.refresh_from_db()
    assert request.assigned_to is None


def test_another_subdistrict_cannot_assign(users, firm, rtype) -> None:
    request = new_request(users, firm, rtype)
    with pytest.raises(NotPermitted):
        services.request_assign(
            actor=users["bz_admin"], request=request, assignee=users["bz_admin"]
        )


# --- rating -------------------------------------------------------------------------------------
def test_the_enterprise_rates_a_resolved_request_once(users, firm, rtype) -> None:
    request = advance(new_request(users, firm, rtype), users["tmx_business"], S.ACKNOWLEDGED)
    with pytest.raises(ValidationError):
        services.request_rate(actor=users["enterprise1"], request=request, rating=5)
    advance(request, users["tmx_business"], S.RESOLVED)

    services.request_rate(actor=users["enterprise1"], request=request, rating=4, comment="及时")
    with pytest.raises(ValidationError):
        services.request_rate(actor=users["enterprise1"], request=request, rating=5)

    request.refresh_from_db()
    assert (request.rating, request.rating_comment) == (4, "及时")


def test_a_referred_then_closed_request_can_be_rated(users, firm, rtype) -> None:
    request = advance(
        new_request(users, firm, rtype), users["tmx_business"], S.ACKNOWLEDGED, S.REFERRED, S.CLOSED
    )
    services.request_rate(actor=users["enterprise1"], request=request, rating=3)
    request.refresh_from_db()
    assert request.rating == 3


def test_a_request_closed_without_resolution_cannot_be_rated(users, firm, rtype) -> None:
    request = advance(new_request(users, firm, rtype), users["tmx_business"], S.CLOSED)
    with pytest.raises(ValidationError):
        services.request_rate(actor=users["enterprise1"], request=request, rating=1)


@pytest.mark.parametrize("actor", ["tmx_business", "tmx_admin", "resident1"])
def test_only_the_enterprises_contact_rates(users, firm, rtype, actor) -> None:
    request = advance(
        new_request(users, firm, rtype), users["tmx_business"], S.ACKNOWLEDGED, S.RESOLVED
    )
    with pytest.raises(NotPermitted):
        services.request_rate(actor=users[actor], request=request, rating=5)
    request.refresh_from_db()
    assert request.rating is None


def test_another_enterprises_contact_cannot_rate(tree, tower, users, rtype) -> None:
    # enterprise1 is the contact of a different firm, not of this one
    make_firm(tower, "自家公司", contact=make_person(tree.sub_a, "赵", user=users["enterprise1"]))
    other = make_firm(tower, "别家公司", contact=make_person(tree.sub_a, "钱"))
    request = advance(
        make_request(users["tmx_business"], other, rtype),
        users["tmx_business"],
        S.ACKNOWLEDGED,
        S.RESOLVED,
    )
    with pytest.raises(NotPermitted):
        services.request_rate(actor=users["enterprise1"], request=request, rating=5)


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, "5"])
def test_a_rating_is_a_whole_number_from_1_to_5(users, firm, rtype, rating) -> None:
    request = advance(
        new_request(users, firm, rtype), users["tmx_business"], S.ACKNOWLEDGED, S.RESOLVED
    )
    with pytest.raises(ValidationError):
        services.request_rate(actor=users["enterprise1"], request=request, rating=rating)
    request.refresh_from_db()
    assert request.rating is None


# --- on-time figures ----------------------------------------------------------------------------
def test_request_times_on_a_known_fixture(tree, users, firm, rtype) -> None:
    """Type: acknowledge in 4 hours, first response in 1 working day, resolve in 5.

    All received Monday 2025-06-09 09:00 (ack due 13:00, response due 06-10, resolve 06-16):
      R1 ack 10:00 (1 h), response 06-10 (1 wd), resolved 06-12 (3 wd) — all on time, rated 5
      R2 ack 15:00 (6 h), response 06-11 (2 wd), resolved 06-17 (6 wd) — all late, rated 3
      R3 ack 11:00 (2 h), then nothing — response and resolve late though not done
      R4 nothing at all — all three steps late though not done
      R5 received just now — no step due yet, none counted
      BZ one in the other subdistrict — not in TMX's figures
    """
    officer = users["tmx_business"]
    received = sh(2025, 6, 9, 9)
    r1, r2, r3, _r4 = (new_request(users, firm, rtype, received_at=received) for _n in range(4))
    advance(r1, officer, S.ACKNOWLEDGED, at=sh(2025, 6, 9, 10))
    advance(r1, officer, S.IN_PROGRESS, at=sh(2025, 6, 10, 17))
    advance(r1, officer, S.RESOLVED, at=sh(2025, 6, 12, 11))
    advance(r2, officer, S.ACKNOWLEDGED, at=sh(2025, 6, 9, 15))
    advance(r2, officer, S.IN_PROGRESS, at=sh(2025, 6, 11, 9))
    advance(r2, officer, S.RESOLVED, at=sh(2025, 6, 17, 9))
    advance(r3, officer, S.ACKNOWLEDGED, at=sh(2025, 6, 9, 11))
    services.request_rate(actor=users["enterprise1"], request=r1, rating=5)
    services.request_rate(actor=users["enterprise1"], request=r2, rating=3)
    new_request(users, firm, rtype)  # R5, now
    bz_firm = make_firm(make_building(tree.committee_c, "北站大厦"), "北站公司")
    make_request(users["bz_admin"], bz_firm, rtype, received_at=received)

    t = selectors.request_times(selectors.request_list(user=officer))

    assert t.total == 5
    assert (t.ack_on_time, t.ack_counted) == (2, 4)
    assert (t.response_on_time, t.response_counted) == (1, 4)
    assert (t.resolve_on_time, t.resolve_counted) == (1, 4)
    assert t.ack_minutes == {60: 1, 120: 1, 360: 1}
    assert t.response_days == {1: 1, 2: 1}
    assert t.resolve_days == {3: 1, 6: 1}
    assert (t.ack_median_hours, t.response_median_days, t.resolve_median_days) == (2.0, 1.5, 4.5)
    assert t.share(t.ack_on_time, t.ack_counted) == 50.0
    assert t.share(t.resolve_on_time, t.resolve_counted) == 25.0
    assert t.satisfaction == 4.0
    assert t.share(0, 0) is None
    assert selectors.RequestTimes().ack_median_hours is None
    # the dashboard reads the same times from the roll-ups, kept by the services
    assert selectors.request_times_for(user=officer) == t


def test_request_times_count_working_days_across_a_holiday(users, firm, rtype) -> None:
    officer = users["tmx_business"]
    request = new_request(users, firm, rtype, received_at=sh(2025, 9, 30, 10))
    advance(request, officer, S.ACKNOWLEDGED, at=sh(2025, 9, 30, 11))
    advance(request, officer, S.RESOLVED, at=sh(2025, 10, 9, 16))

    t = selectors.request_times(selectors.request_list(user=officer))

    # answered and resolved on the first working day after the holiday: on time, 1 day
    assert (t.response_on_time, t.response_counted, t.response_days) == (1, 1, {1: 1})
    assert (t.resolve_on_time, t.resolve_counted, t.resolve_days) == (1, 1, {1: 1})


# --- due soon and overdue -----------------------------------------------------------------------
def test_due_soon_and_overdue_lists(users, firm) -> None:
    officer = users["tmx_business"]
    now = timezone.now()
    quick = make_type("registration", "登记注册", ack_hours=4, response_days=1, resolve_days=1)
    slow = make_type("recruitment", "人才招聘", ack_hours=4, response_days=5, resolve_days=15)
    # resolve due on the next working day: soon
    soon = make_request(officer, firm, quick, received_at=now)
    # the same, but already resolved: neither
    done = advance(make_request(officer, firm, quick, received_at=now), officer, S.ACKNOWLEDGED)
    advance(done, officer, S.RESOLVED)
    # received a month ago and never touched: every step overdue
    old = make_request(officer, firm, quick, received_at=now - timedelta(days=30))
    # received five hours ago and not acknowledged: overdue on the acknowledge step alone
    unacked = make_request(officer, firm, slow, received_at=now - timedelta(hours=5))
    # the same, acknowledged in time: not overdue
    acked = make_request(officer, firm, slow, received_at=now - timedelta(hours=5))
    advance(acked, officer, S.ACKNOWLEDGED, at=now - timedelta(hours=4))
    # a month old but closed: not overdue
    closed = make_request(officer, firm, quick, received_at=now - timedelta(days=30))
    advance(closed, officer, S.CLOSED)

    due_soon = selectors.request_list(user=officer, filters=RequestFilters(due="soon"))
    overdue = selectors.request_list(user=officer, filters=RequestFilters(due="overdue"))

    assert set(due_soon) == {soon}
    assert set(overdue) == {old, unacked}
    assert selectors.request_list(user=officer).count() == 6


# --- who may file -------------------------------------------------------------------------------
def test_an_enterprises_own_contact_files_its_request(users, firm, rtype) -> None:
    request = make_request(users["enterprise1"], firm, rtype, title="咨询人才政策")

    assert (request.enterprise, request.org_unit, request.status) == (
        firm,
        firm.org_unit,
        S.RECEIVED,
    )
    assert request.transitions.get().actor == users["enterprise1"]
    assert list(selectors.request_list(user=users["enterprise1"])) == [request]


def test_an_enterprise_account_cannot_file_for_another_enterprise(
    tree, tower, users, firm, rtype
) -> None:
    neighbour = make_firm(tower, "邻居公司", contact=make_person(tree.sub_a, "钱"))
    bz_firm = make_firm(make_building(tree.committee_c, "北站大厦"), "北站公司")
    for other in (neighbour, bz_firm):
        with pytest.raises(NotPermitted):
            make_request(users["enterprise1"], other, rtype)
    assert not EnterpriseRequest.objects.exists()


@pytest.mark.parametrize("actor", ["bz_admin", "tmx_leader", "tmx_clerk"])
def test_staff_outside_the_office_cannot_file(users, firm, rtype, actor) -> None:
    with pytest.raises(NotPermitted):
        make_request(users[actor], firm, rtype)
    assert not EnterpriseRequest.objects.exists()
