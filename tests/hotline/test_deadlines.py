"""Deadlines on the working-day calendar: the handling deadline counted from the dispatch by
category (working days, or clock hours for emergencies), the contact deadline one working day
after signing, a warning order's three working days; holidays and make-up days included."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from jiedao.core.models import WorkdayOverride
from jiedao.hotline import services
from jiedao.hotline.models import OrderStatus
from tests.hotline.factories import dispatch, receive, sh, step, visit

S = OrderStatus
pytestmark = pytest.mark.django_db

# 2025: 1–8 October are the National Day holiday; Saturday 11 October is a working day.


def end(day: date) -> datetime:
    return sh(day.year, day.month, day.day, 23, 59).replace(second=59)


def test_the_handling_deadline_skips_the_national_day_holiday(tree, cats, centre):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 9, 30, 9))

    dispatch(order, centre, tree.committee_a, at=sh(2025, 9, 30, 10))

    # 5 working days after 30 September: 9, 10, 11 (Saturday, worked), 13, 14 October
    assert order.reply_due == end(date(2025, 10, 14))


@pytest.mark.parametrize(
    ("category", "due"),
    [("consult", date(2025, 10, 9)), ("complex", date(2025, 10, 28))],
)
def test_each_category_has_its_own_deadline(tree, cats, centre, category, due):
    order = receive(centre, tree.sub_a, getattr(cats, category), received_at=sh(2025, 9, 30, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 9, 30, 10))
    assert order.reply_due == end(due)


def test_an_emergency_is_due_in_clock_hours_even_on_a_holiday(tree, cats, centre, worker):
    order = receive(centre, tree.sub_a, cats.emergency, received_at=sh(2025, 10, 2, 21))

    dispatch(order, centre, tree.committee_a, at=sh(2025, 10, 2, 21, 10))
    step(order, worker, S.SIGNED, at=sh(2025, 10, 2, 21, 20))

    assert order.reply_due == sh(2025, 10, 2, 23, 10)
    # contact within one working day, but never after the handling deadline
    assert order.contact_due == order.reply_due


def test_the_caller_is_contacted_within_one_working_day_of_signing(tree, cats, centre, worker):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 9, 30, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 9, 30, 10))

    step(order, worker, S.SIGNED, at=sh(2025, 9, 30, 16))

    assert order.contact_due == end(date(2025, 10, 9))  # the first working day after the holiday


def test_the_contact_deadline_counts_from_the_local_day_of_signing(tree, cats, centre, worker):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 10, 10, 6))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 10, 10, 6, 30))
    # 07:00 in Shanghai is still 9 October in UTC
    step(order, worker, S.SIGNED, at=sh(2025, 10, 10, 7))
    assert order.contact_due == end(date(2025, 10, 11))  # the make-up Saturday


def test_an_override_in_the_calendar_moves_new_deadlines(tree, cats, centre, worker):
    WorkdayOverride.objects.create(date=date(2025, 10, 9), is_workday=False, note="临时停工")
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 9, 30, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 9, 30, 10))
    step(order, worker, S.SIGNED, at=sh(2025, 9, 30, 11))

    assert order.contact_due == end(date(2025, 10, 10))
    assert order.reply_due == end(date(2025, 10, 15))


def test_the_deadline_is_set_at_the_first_dispatch_and_kept(tree, cats, centre, users):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 9, 29, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 9, 29, 10))
    due = order.reply_due
    review = services.review_request(
        actor=users["hx_worker"], order=order, kind="reassign", reason="不属本居委", lead_unit=tree.committee_b
    )  # fmt: skip
    services.review_decide(actor=users["tmx_admin"], review=review, approve=True)

    order.refresh_from_db()
    assert order.org_unit == tree.committee_b
    assert order.reply_due == due  # the caller's clock does not restart


def test_a_warning_order_is_due_in_three_working_days(tree, cats, centre, worker):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 9, 22, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 9, 22, 10))
    for to, at in (
        (S.SIGNED, sh(2025, 9, 22, 11)),
        (S.CONTACTED, sh(2025, 9, 22, 14)),
        (S.HANDLING, sh(2025, 9, 23, 9)),
        (S.REPLIED, sh(2025, 9, 25, 9)),
    ):
        step(order, worker, to, at=at)

    services.order_visit(
        actor=centre, order=order, satisfaction="unsatisfied", resolved=False,
        at=sh(2025, 9, 29, 10),
    )  # fmt: skip

    # 29 September: 30 September, then the holiday, then 9 and 10 October
    assert order.warning_due == end(date(2025, 10, 10))


def test_an_extension_adds_working_days_to_the_deadline(tree, cats, centre, worker, users):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 9, 24, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 9, 24, 10))
    assert order.reply_due == end(date(2025, 9, 30))
    for to in (S.SIGNED, S.CONTACTED, S.HANDLING):
        step(order, worker, to, at=sh(2025, 9, 25, 9))

    review = services.review_request(
        actor=worker, order=order, kind="extension", reason="需协调物业", extra_days=3
    )
    services.review_decide(actor=users["tmx_admin"], review=review, approve=True)

    order.refresh_from_db()
    assert order.reply_due == end(date(2025, 10, 11))  # 9, 10, 11 October
    assert order.extended_days == 3


def test_due_helpers_are_the_same_calculation(db, cats):
    assert services.reply_due_for(cats.property, sh(2025, 9, 30, 10)) == end(date(2025, 10, 14))
    assert services.reply_due_for(cats.emergency, sh(2025, 9, 30, 10)) == sh(2025, 9, 30, 12)
    assert services.contact_due_for(sh(2025, 9, 30, 10), None) == end(date(2025, 10, 9))
    assert services.warning_due_for(sh(2025, 9, 30, 10)) == end(date(2025, 10, 11))


def test_orders_signed_and_visited_use_the_same_calendar(tree, cats, centre, worker):
    # a complete order across the holiday keeps every stamp it was given
    order = receive(centre, tree.sub_a, cats.consult, received_at=sh(2025, 9, 30, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 9, 30, 9, 30))
    for to, at in (
        (S.SIGNED, sh(2025, 9, 30, 10)),
        (S.CONTACTED, sh(2025, 10, 9, 9)),
        (S.HANDLING, sh(2025, 10, 9, 10)),
        (S.REPLIED, sh(2025, 10, 9, 17)),
    ):
        step(order, worker, to, at=at)
    visit(order, centre)

    order.refresh_from_db()
    assert order.contacted_at <= order.contact_due
    assert order.replied_at <= order.reply_due
