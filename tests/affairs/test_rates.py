"""Rates computed from the records, on a hand-made set of tickets with known answers.

Ten tickets of one item (limit 5 working days) are submitted on Mon 2025-03-03 and completed
after 0, 1, 1, 2, 2, 3, 3, 4, 5 and 7 working days (due 03-10: the last one is late). One of
them took two trips, two were returned for materials. Two more are still open past their due
date, two are open and not yet due, one was rejected and one withdrawn.

    one-trip  9 / 10 = 90 %        one-go   8 / 10 = 80 %
    on-time   9 / (10 + 2) = 75 %  average 28 / 10 = 2.8 days   p90 = 5 days
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from jiedao.affairs import selectors, services
from jiedao.affairs.models import Channel, PointKind, Resolution, Ticket, TicketStatus
from jiedao.affairs.selectors import TicketFilters, rates_of
from jiedao.core.workdays import add_workdays
from tests.affairs.factories import advance, make_item, make_point, make_ticket

SH = ZoneInfo("Asia/Shanghai")
S = TicketStatus
MONDAY = date(2025, 3, 3)
TODAY = date(2025, 3, 20)  # the open tickets due 03-10 are overdue on this day


def sh(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=SH)


@dataclass
class Fixture:
    completed: list[Ticket]
    overdue: list[Ticket]
    due_soon: Ticket
    not_due: Ticket
    rejected: Ticket
    withdrawn: Ticket
    centre: object
    help_point: object

    @property
    def all(self) -> list[Ticket]:
        return [
            *self.completed,
            *self.overdue,
            self.due_soon,
            self.not_due,
            self.rejected,
            self.withdrawn,
        ]


# handling days, channel, at the committee's help point, extra trips, returned for materials
SPEC = [
    (0, Channel.WINDOW, False, 0, False),
    (1, Channel.WINDOW, False, 1, False),  # came twice
    (1, Channel.ONLINE, False, 0, False),
    (2, Channel.WINDOW, False, 0, True),  # returned once
    (2, Channel.WINDOW, False, 0, False),
    (3, Channel.PHONE, False, 0, False),
    (3, Channel.WINDOW, False, 0, True),  # returned once
    (4, Channel.HELP_POINT, True, 0, False),
    (5, Channel.HELP_POINT, True, 0, False),  # on the due date: on time
    (7, Channel.HELP_POINT, True, 0, False),  # two days late
]


@pytest.fixture
def fx(tree, users) -> Fixture:
    clerk = users["tmx_clerk"]
    item = make_item(tree.sub_a, "R-5", time_limit_days=5)
    quick = make_item(tree.sub_a, "R-1", time_limit_days=1)
    centre = make_point(tree.sub_a)
    help_point = make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT)
    submitted = sh(MONDAY)

    completed = []
    for days, channel, at_help_point, extra_trips, returned in SPEC:
        point = help_point if at_help_point else centre
        ticket = make_ticket(
            actor=clerk, item=item, point=point, channel=channel, submitted_at=submitted
        )
        if returned:
            advance(ticket, clerk, S.RETURNED, S.RESUBMITTED, at=submitted)
        advance(ticket, clerk, S.ACCEPTED, at=submitted)
        for n in range(extra_trips):
            services.trip_record(
                actor=clerk, ticket=ticket, day=add_workdays(MONDAY, n + 1), point=point
            )
        advance(ticket, clerk, S.COMPLETED, at=sh(add_workdays(MONDAY, days), 16))
        completed.append(ticket)

    overdue = [
        make_ticket(actor=clerk, item=item, point=centre, submitted_at=submitted),
        advance(
            make_ticket(actor=clerk, item=item, point=centre, submitted_at=submitted),
            clerk,
            S.ACCEPTED,
            S.IN_PROGRESS,
        ),
    ]
    now = timezone.now()
    due_soon = make_ticket(actor=clerk, item=quick, point=centre, submitted_at=now)
    not_due = make_ticket(
        actor=clerk, item=item, point=centre, channel=Channel.ONLINE, submitted_at=now
    )
    rejected = advance(
        make_ticket(actor=clerk, item=item, point=centre, submitted_at=submitted),
        clerk,
        S.REJECTED,
    )
    withdrawn = advance(
        make_ticket(
            actor=clerk, item=item, point=centre, channel=Channel.PHONE, submitted_at=submitted
        ),
        clerk,
        S.WITHDRAWN,
    )
    return Fixture(completed, overdue, due_soon, not_due, rejected, withdrawn, centre, help_point)


def test_the_fixture_is_what_the_docstring_says(fx: Fixture) -> None:
    assert [t.trips.count() for t in fx.completed] == [1, 2, 0, 1, 1, 0, 1, 1, 1, 1]
    assert [t.due_date for t in fx.completed] == [date(2025, 3, 10)] * 10
    assert [t.status for t in fx.overdue] == [S.SUBMITTED, S.IN_PROGRESS]
    assert fx.due_soon.due_date > timezone.localdate()


# --- the rates ----------------------------------------------------------------------------------
def test_rates_of_the_fixture(fx: Fixture) -> None:
    rates = rates_of(Ticket.objects.all(), today=TODAY)
    assert rates.completed == 10
    assert rates.one_trip_rate == 90.0
    assert rates.one_go_rate == 80.0
    assert rates.overdue_open == 2
    assert rates.on_time == 9
    assert rates.on_time_rate == 75.0
    assert days_list(rates) == [0, 1, 1, 2, 2, 3, 3, 4, 5, 7]  # the roll-up's histogram
    assert rates.avg_days == 2.8
    assert rates.p90_days == 5


def test_a_trip_recorded_later_lowers_the_one_trip_rate(fx: Fixture, users) -> None:
    services.trip_record(
        actor=users["tmx_clerk"], ticket=fx.completed[0], day=MONDAY, point=fx.centre
    )
    assert rates_of(Ticket.objects.all(), today=TODAY).one_trip_rate == 80.0


def test_before_the_due_date_nothing_open_is_overdue(fx: Fixture) -> None:
    rates = rates_of(Ticket.objects.all(), today=date(2025, 3, 10))
    assert rates.overdue_open == 0
    assert rates.on_time_rate == 90.0


def test_no_tickets_no_rates(db: None) -> None:
    rates = rates_of(Ticket.objects.none())
    assert (rates.one_trip_rate, rates.one_go_rate, rates.on_time_rate) == (None, None, None)
    assert (rates.avg_days, rates.p90_days) == (None, None)


def days_list(rates: selectors.Rates) -> list[int]:
    return sorted(int(d) for d, (n, _t) in rates.days.items() for _i in range(n))


def histogram(days: list[int]) -> dict[str, tuple[int, int]]:
    return {str(d): (days.count(d), 0) for d in set(days)}


def test_p90_is_the_nearest_rank() -> None:
    rates = selectors.Rates(days=histogram([1] * 18 + [9, 20]))
    assert rates.p90_days == 1
    rates = selectors.Rates(days=histogram([1] * 17 + [8, 9, 20]))
    assert rates.p90_days == 8
    assert selectors.Rates(days=histogram([4])).p90_days == 4
    assert selectors.Rates(days=histogram([1] * 17 + [8, 9, 20])).avg_days == 2.7


# --- the filters that list what a figure counts ------------------------------------------------
def _listed(user, **filters) -> set[int]:
    return set(
        selectors.ticket_list(user=user, filters=TicketFilters(**filters)).values_list(
            "pk", flat=True
        )
    )


def pks(tickets: list[Ticket]) -> set[int]:
    return {t.pk for t in tickets}


def test_filters_list_the_tickets_each_rate_counts(fx: Fixture, users) -> None:
    admin = users["tmx_admin"]
    c = fx.completed
    assert _listed(admin, one_trip="no") == {c[1].pk}
    assert _listed(admin, one_trip="yes") == pks(c) - {c[1].pk}
    assert _listed(admin, returned="yes") == {c[3].pk, c[6].pk}
    assert _listed(admin, returned="no") == pks(c) - {c[3].pk, c[6].pk}
    assert _listed(admin, on_time="yes") == pks(c) - {c[9].pk}
    assert _listed(admin, on_time="no") == {c[9].pk, *pks(fx.overdue)}
    assert _listed(admin, due="overdue") == pks(fx.overdue)
    assert _listed(admin, due="soon") == {fx.due_soon.pk}
    assert _listed(admin, status=S.COMPLETED) == pks(c)
    assert _listed(admin) == pks(fx.all)


def test_filters_and_rates_agree(fx: Fixture, users) -> None:
    rates = selectors.rates_for(user=users["tmx_admin"])
    admin = users["tmx_admin"]
    assert len(_listed(admin, one_trip="yes")) == rates.one_trip
    assert len(_listed(admin, returned="no")) == rates.one_go
    assert len(_listed(admin, on_time="yes")) == rates.on_time
    assert len(_listed(admin, due="overdue")) == rates.overdue_open


# --- by month, channel, point and area ----------------------------------------------------------
def test_monthly_rates(fx: Fixture, users) -> None:
    clerk = users["tmx_clerk"]
    feb = make_ticket(
        actor=clerk, item=fx.completed[0].item, point=fx.centre, submitted_at=sh(date(2025, 2, 10))
    )
    advance(feb, clerk, S.ACCEPTED, S.COMPLETED, at=sh(date(2025, 2, 12)))

    rows = selectors.monthly_rates(user=users["tmx_admin"], months=3, today=date(2025, 4, 15))

    assert [r["month"] for r in rows] == ["2025-02", "2025-03", "2025-04"]
    february, march, april = rows
    assert february["completed"] == 1
    assert (february["one_trip_rate"], february["one_go_rate"]) == (100.0, 100.0)
    assert (february["on_time_rate"], february["avg_days"]) == (100.0, 2.0)
    assert march["completed"] == 10
    assert (march["one_trip_rate"], march["one_go_rate"]) == (90.0, 80.0)
    assert march["avg_days"] == 2.8
    # The two tickets due on 03-10 and still open count against March, as in the definition.
    assert march["overdue_open"] == 2
    assert march["on_time_rate"] == 75.0
    assert april["completed"] == 0
    assert april["one_trip_rate"] is None


def test_volume_by_channel_point_and_area(fx: Fixture, users) -> None:
    admin = users["tmx_admin"]
    by_channel = {
        r["key"]: r["count"] for r in selectors.volume_by(user=admin, dimension="channel")
    }
    assert by_channel == {
        Channel.WINDOW: 9,
        Channel.ONLINE: 2,
        Channel.PHONE: 2,
        Channel.HELP_POINT: 3,
    }
    by_point = {r["label"]: r["count"] for r in selectors.volume_by(user=admin, dimension="point")}
    assert by_point == {"受理中心": 13, "华新帮办点": 3}
    by_area = {r["label"]: r["count"] for r in selectors.volume_by(user=admin, dimension="area")}
    assert by_area == {"站南片区": 3, "街道本级": 13}


def test_area_rates(fx: Fixture, users) -> None:
    rows = selectors.area_rates(user=users["tmx_admin"])
    assert [r["area"].name for r in rows] == ["站南片区"]
    rates = rows[0]["rates"]
    assert rates.completed == 3
    assert rates.one_trip_rate == 100.0
    assert rates.on_time == 2
    assert rates.overdue_open == 0


def test_satisfaction_by_item_point_channel_and_month(fx: Fixture, users) -> None:
    clerk = users["tmx_clerk"]
    for ticket, score, day in [
        (fx.completed[0], 5, date(2025, 3, 20)),
        (fx.completed[1], 4, date(2025, 3, 21)),
        (fx.completed[7], 3, date(2025, 4, 2)),
    ]:
        services.return_visit_record(
            actor=clerk,
            ticket=ticket,
            satisfaction=score,
            resolution=Resolution.RESOLVED,
            called_at=sh(day),
        )
    admin = users["tmx_admin"]

    def by(dimension: str) -> dict[str, tuple[float, int]]:
        rows = selectors.satisfaction_by(user=admin, dimension=dimension)
        return {r["label"]: (r["avg"], r["count"]) for r in rows}

    assert by("item") == {"测试事项": (4.0, 3)}
    assert by("point") == {"受理中心": (4.5, 2), "华新帮办点": (3.0, 1)}
    assert by("channel") == {Channel.WINDOW: (4.5, 2), Channel.HELP_POINT: (3.0, 1)}
    assert by("month") == {"2025-03": (4.5, 2), "2025-04": (3.0, 1)}
    assert selectors.satisfaction_by(user=users["bz_admin"], dimension="item") == []


# --- scoping ------------------------------------------------------------------------------------
def test_rates_are_scoped_to_the_user(fx: Fixture, tree, users) -> None:
    bz = users["bz_admin"]
    item = make_item(tree.sub_b, "BZ-1", time_limit_days=5)
    bz_centre = make_point(tree.sub_b, "北站受理中心")
    bz_ticket = make_ticket(actor=bz, item=item, point=bz_centre, submitted_at=sh(MONDAY))
    make_ticket(actor=bz, item=item, point=bz_centre, submitted_at=sh(MONDAY))  # overdue
    services.trip_record(actor=bz, ticket=bz_ticket, day=MONDAY, point=bz_centre)
    advance(bz_ticket, bz, S.ACCEPTED, S.COMPLETED, at=sh(date(2025, 3, 4)))

    mine = selectors.rates_for(user=bz)
    assert (mine.completed, mine.one_trip_rate, mine.overdue_open) == (1, 0.0, 1)
    theirs = selectors.rates_for(user=users["tmx_admin"])
    assert (theirs.completed, theirs.one_trip_rate, theirs.overdue_open) == (10, 90.0, 2)
    # A committee worker sees the tickets of their committee only.
    assert selectors.rates_for(user=users["hx_worker"]).completed == 3
    assert selectors.rates_for(user=users["fgn_worker"]).completed == 0
    # No grant on tickets: nothing at all.
    assert selectors.rates_for(user=users["tmx_business"]).completed == 0
    assert selectors.volume_by(user=bz, dimension="channel") == [
        {"key": Channel.WINDOW, "label": "窗口", "count": 2}
    ]
    assert selectors.area_rates(user=bz) == []
    assert [r["completed"] for r in selectors.monthly_rates(user=bz, months=1, today=MONDAY)] == [1]
