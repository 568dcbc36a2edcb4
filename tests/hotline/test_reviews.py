"""Dispatch objections (派单异议): send-back refused unless the category allows it ("原则上不准
退单"), reassignment and extensions with a reviewer's approval or refusal; and the return visit
that turns an unsatisfied order into a warning order."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from jiedao.core.models import Notification
from jiedao.core.permissions import NotPermitted
from jiedao.hotline import services
from jiedao.hotline.figures import order_rates
from jiedao.hotline.models import (
    OrderStatus,
    Review,
    ReviewKind,
    ReviewStatus,
    Satisfaction,
    WorkOrder,
)
from jiedao.hotline.services import IllegalTransition
from tests.hotline.factories import dispatch, receive, step, to_replied, visit

S = OrderStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched(tree, cats, centre):
    order = receive(centre, tree.sub_a, cats.property)
    return dispatch(order, centre, tree.committee_a)


def ask(order, actor, kind, **kw):
    kw.setdefault("reason", "经核实不属本单位职责")
    return services.review_request(actor=actor, order=order, kind=kind, **kw)


# --- send back ----------------------------------------------------------------------------------
def test_send_back_is_refused_by_default_and_nothing_is_saved(dispatched, worker):
    with pytest.raises(ValidationError) as exc:
        ask(dispatched, worker, ReviewKind.SEND_BACK)

    assert "原则上不准退单" in str(exc.value)
    assert not Review.objects.exists()
    dispatched.refresh_from_db()
    assert dispatched.status == S.DISPATCHED


def test_an_approved_send_back_takes_the_order_out_of_the_rates(tree, cats, centre, worker, users):
    order = dispatch(receive(centre, tree.sub_a, cats.outside), centre, tree.committee_a)

    review = ask(order, worker, ReviewKind.SEND_BACK)
    assert review.status == ReviewStatus.PENDING
    services.review_decide(actor=users["tmx_admin"], review=review, approve=True)

    order.refresh_from_db()
    review.refresh_from_db()
    assert order.status == S.SENT_BACK
    assert review.status == ReviewStatus.APPROVED and review.decided_by == users["tmx_admin"]
    assert order.transitions.last().to_status == S.SENT_BACK
    rates = order_rates(WorkOrder.objects.all())
    assert (rates.orders, rates.sent_back) == (0, 1)
    # the requester heard the answer
    assert Notification.objects.filter(user=worker, key=f"hotline-review-decided:{review.pk}")


def test_a_refused_send_back_keeps_the_order_and_needs_a_reason(tree, cats, centre, worker, users):
    order = dispatch(receive(centre, tree.sub_a, cats.outside), centre, tree.committee_a)
    review = ask(order, worker, ReviewKind.SEND_BACK)

    with pytest.raises(ValidationError, match="驳回时请填写审核意见"):
        services.review_decide(actor=users["tmx_admin"], review=review, approve=False)
    services.review_decide(
        actor=users["tmx_admin"], review=review, approve=False, note="属本街道职责"
    )

    order.refresh_from_db()
    review.refresh_from_db()
    assert order.status == S.DISPATCHED
    assert review.status == ReviewStatus.REFUSED and review.decision_note == "属本街道职责"
    with pytest.raises(ValidationError, match="该申请已审核"):
        services.review_decide(actor=users["tmx_admin"], review=review, approve=True)


# --- reassignment -------------------------------------------------------------------------------
def test_an_approved_reassignment_gives_the_order_to_the_new_unit(dispatched, worker, users):
    step(dispatched, worker, S.SIGNED)
    review = ask(
        dispatched,
        worker,
        ReviewKind.REASSIGN,
        lead_unit=users["fgn_worker"].memberships.get().org_unit,
    )

    services.review_decide(actor=users["tmx_admin"], review=review, approve=True)

    dispatched.refresh_from_db()
    assert dispatched.status == S.DISPATCHED
    assert dispatched.org_unit.code == "TMX-FGN"
    assert dispatched.signed_at is None and dispatched.contact_due is None
    assert "改派" in dispatched.transitions.last().note
    # the old unit no longer reaches it; the new one signs it
    with pytest.raises(NotPermitted):
        step(dispatched, worker, S.SIGNED)
    step(dispatched, users["fgn_worker"], S.SIGNED)
    assert Notification.objects.filter(user=users["fgn_worker"], key__startswith="hotline-dispatch")


def test_a_refused_reassignment_leaves_the_unit(dispatched, worker, users, tree):
    review = ask(dispatched, worker, ReviewKind.REASSIGN, lead_unit=tree.committee_b)
    services.review_decide(
        actor=users["tmx_admin"], review=review, approve=False, note="请继续办理"
    )
    dispatched.refresh_from_db()
    assert dispatched.org_unit == tree.committee_a and dispatched.status == S.DISPATCHED


def test_reassignment_needs_another_committee_of_the_subdistrict(dispatched, worker, tree):
    for unit, message in (
        (None, "请选择承办单位"),
        (tree.committee_c, "本街道的居委会"),
        (tree.committee_a, "请选择另一个承办单位"),
    ):
        with pytest.raises(ValidationError, match=message):
            ask(dispatched, worker, ReviewKind.REASSIGN, lead_unit=unit)
    with pytest.raises(ValidationError, match="请说明理由"):
        ask(dispatched, worker, ReviewKind.REASSIGN, lead_unit=tree.committee_b, reason=" ")
    assert not Review.objects.exists()


def test_once_the_caller_was_contacted_the_order_stays(dispatched, worker, tree):
    step(dispatched, worker, S.SIGNED)
    step(dispatched, worker, S.CONTACTED)
    with pytest.raises(IllegalTransition):
        ask(dispatched, worker, ReviewKind.REASSIGN, lead_unit=tree.committee_b)


def test_one_request_at_a_time_and_decided_by_another_person(dispatched, worker, users, tree):
    review = ask(dispatched, worker, ReviewKind.REASSIGN, lead_unit=tree.committee_b)
    with pytest.raises(ValidationError, match="已有待审核的申请"):
        ask(dispatched, users["tmx_admin"], ReviewKind.REASSIGN, lead_unit=tree.committee_b)
    # the centre and the leader may not decide; another subdistrict's administrator cannot see it
    for name in ("tmx_hotline", "tmx_leader", "hx_worker"):
        with pytest.raises(NotPermitted):
            services.review_decide(actor=users[name], review=review, approve=True)
    with pytest.raises(NotPermitted):
        services.review_decide(actor=users["bz_admin"], review=review, approve=True)
    # an administrator's own request is decided by someone else
    services.review_decide(actor=users["tmx_admin"], review=review, approve=False, note="不同意")
    own = ask(dispatched, users["tmx_admin"], ReviewKind.REASSIGN, lead_unit=tree.committee_b)
    with pytest.raises(ValidationError, match="不能审核自己提出的申请"):
        services.review_decide(actor=users["tmx_admin"], review=own, approve=True)


def test_a_pending_request_notifies_the_reviewers(dispatched, worker, users, tree):
    review = ask(dispatched, worker, ReviewKind.REASSIGN, lead_unit=tree.committee_b)
    assert set(
        Notification.objects.filter(key=f"hotline-review:{review.pk}").values_list(
            "user__username", flat=True
        )
    ) == {"tmx_admin"}


# --- extensions ---------------------------------------------------------------------------------
def test_an_extension_that_needs_approval_waits_for_it(dispatched, worker, users):
    step(dispatched, worker, S.SIGNED)
    due = dispatched.reply_due
    review = ask(dispatched, worker, ReviewKind.EXTENSION, extra_days=5)
    dispatched.refresh_from_db()
    assert review.status == ReviewStatus.PENDING and dispatched.reply_due == due

    services.review_decide(actor=users["tmx_admin"], review=review, approve=True)

    dispatched.refresh_from_db()
    assert dispatched.reply_due > due and dispatched.extended_days == 5
    assert dispatched.status == S.SIGNED


def test_an_extension_of_a_category_without_approval_is_granted_at_once(tree, cats, centre, worker):
    order = dispatch(receive(centre, tree.sub_a, cats.consult), centre, tree.committee_a)
    step(order, worker, S.SIGNED)
    due = order.reply_due

    review = ask(order, worker, ReviewKind.EXTENSION, extra_days=2)

    order.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED and review.decided_by is None
    assert order.reply_due > due and order.extended_days == 2


@pytest.mark.parametrize("days", [None, 0, 16, "3"])
def test_an_extension_names_one_to_fifteen_working_days(dispatched, worker, days):
    step(dispatched, worker, S.SIGNED)
    with pytest.raises(ValidationError, match="延期应为1到15个工作日"):
        ask(dispatched, worker, ReviewKind.EXTENSION, extra_days=days)


# --- return visits and warning orders -----------------------------------------------------------
def test_a_visit_needs_a_replied_order_and_a_known_answer(tree, cats, centre, worker, dispatched):
    with pytest.raises(IllegalTransition, match="回复后才能回访"):
        visit(dispatched, centre)
    order = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    with pytest.raises(ValidationError, match="请选择满意度"):
        visit(order, centre, satisfaction="很好")
    order.refresh_from_db()
    assert order.status == S.REPLIED and not order.visits.exists()


def test_an_unsatisfied_visit_turns_the_order_into_a_warning_order(tree, cats, centre, worker):
    order = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)

    visit(order, centre, Satisfaction.UNSATISFIED, resolved=False)

    order.refresh_from_db()
    assert order.warning and order.status == S.HANDLING
    assert order.warning_due is not None
    assert [t.to_status for t in order.transitions.all()][-2:] == [S.VISITED, S.HANDLING]
    assert Notification.objects.filter(user=worker, key=f"hotline-warning:{order.pk}").exists()
    # the unit handles it again and replies; the second visit decides the rates
    step(order, worker, S.REPLIED)
    order.refresh_from_db()
    assert order.warning_replied_at is not None
    visit(order, centre, Satisfaction.BASIC, resolved=True)
    order.refresh_from_db()
    assert order.status == S.VISITED
    assert [v.round for v in order.visits.all()] == [1, 2]
    rates = order_rates(WorkOrder.objects.all())
    assert (rates.visited, rates.satisfied, rates.resolved, rates.warnings) == (1, 1, 1, 1)


def test_a_warning_order_unsatisfied_again_goes_on_to_assessment(tree, cats, centre, worker):
    order = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    visit(order, centre, Satisfaction.UNSATISFIED, resolved=False)
    step(order, worker, S.REPLIED)

    visit(order, centre, Satisfaction.UNSATISFIED, resolved=False)

    order.refresh_from_db()
    assert order.status == S.VISITED
    rates = order_rates(WorkOrder.objects.all())
    assert (rates.visited, rates.satisfied, rates.resolved, rates.unsatisfied) == (1, 0, 0, 1)
    step(order, centre, S.ASSESSED)


def test_a_warning_order_cannot_be_extended(tree, cats, centre, worker):
    order = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    visit(order, centre, Satisfaction.UNSATISFIED, resolved=False)
    with pytest.raises(ValidationError, match="预警工单不能延期"):
        ask(order, worker, ReviewKind.EXTENSION, extra_days=3)
