"""The SLA job: each missed step (contact, reply, a warning order's re-handling) is flagged once
and notified to who must act; a second run notifies nobody twice; the service, the Celery task
and the management command are the same job."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jiedao.core.models import Notification
from jiedao.hotline import services
from jiedao.hotline.models import OrderStatus, Satisfaction, WorkOrder
from jiedao.hotline.tasks import hotline_sla_task
from tests.hotline.factories import dispatch, receive, sh, step, to_replied, visit

S = OrderStatus
pytestmark = pytest.mark.django_db


def told(prefix: str) -> set[str]:
    return set(
        Notification.objects.filter(key__startswith=prefix).values_list("user__username", flat=True)
    )


def _signed_long_ago(tree, cats, centre, worker):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 6, 3, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 6, 3, 9, 30))
    step(order, worker, S.SIGNED, at=sh(2025, 6, 3, 10))
    return order


def test_a_missed_contact_and_reply_are_notified_once(tree, users, cats, centre, worker):
    order = _signed_long_ago(tree, cats, centre, worker)
    Notification.objects.all().delete()

    sent = services.order_sla_check()

    order.refresh_from_db()
    assert order.contact_overdue_at is not None and order.reply_overdue_at is not None
    assert told("hotline-contact-overdue:") == {"hx_worker", "tmx_hotline"}
    # a missed reply also goes to the subdistrict's leaders
    assert told("hotline-reply-overdue:") == {"hx_worker", "tmx_hotline", "tmx_leader"}
    assert sent == 5
    assert services.order_sla_check() == 0
    assert Notification.objects.count() == 5


def test_nothing_is_due_before_its_time(tree, cats, centre, worker):
    order = _signed_long_ago(tree, cats, centre, worker)
    Notification.objects.all().delete()

    assert services.order_sla_check(now=order.contact_due - timedelta(minutes=1)) == 0
    order.refresh_from_db()
    assert order.contact_overdue_at is None


def test_a_contacted_and_replied_order_is_not_overdue(tree, cats, centre, worker):
    order = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    Notification.objects.all().delete()
    assert services.order_sla_check(now=timezone.now() + timedelta(days=30)) == 0
    assert order.pk


def test_a_warning_order_past_its_three_days_is_notified(tree, users, cats, centre, worker):
    order = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    visit(order, centre, Satisfaction.UNSATISFIED, resolved=False)
    order.refresh_from_db()
    Notification.objects.all().delete()

    sent = services.order_sla_check(now=order.warning_due + timedelta(minutes=1))

    assert told("hotline-warning-overdue:") == {"hx_worker", "tmx_hotline", "tmx_leader"}
    assert sent == 3
    assert services.order_sla_check(now=order.warning_due + timedelta(days=1)) == 0


def test_a_deadline_extended_and_missed_again_is_a_new_miss(tree, users, cats, centre, worker):
    order = _signed_long_ago(tree, cats, centre, worker)
    step(order, worker, S.CONTACTED, at=sh(2025, 6, 3, 11))
    Notification.objects.all().delete()
    services.order_sla_check()
    assert told("hotline-reply-overdue:")
    review = services.review_request(
        actor=worker, order=order, kind="extension", reason="需协调", extra_days=2
    )
    services.review_decide(actor=users["tmx_admin"], review=review, approve=True)
    order.refresh_from_db()
    assert order.reply_overdue_at is None

    before = Notification.objects.filter(key__startswith="hotline-reply-overdue:").count()
    services.order_sla_check()
    after = Notification.objects.filter(key__startswith="hotline-reply-overdue:").count()
    assert after == before + 3


def test_inactive_users_are_not_told(tree, users, cats, centre, worker):
    worker.is_active = False
    worker.save()
    _signed_long_ago(tree, cats, centre, users["tmx_admin"])
    Notification.objects.all().delete()
    services.order_sla_check()
    assert "hx_worker" not in told("hotline-")


def test_the_task_and_the_command_run_the_same_job(tree, cats, centre, worker):
    order = _signed_long_ago(tree, cats, centre, worker)
    Notification.objects.all().delete()
    out = io.StringIO()
    call_command("hotline_sla_check", "--today", "2025-06-04", stdout=out)
    assert out.getvalue().strip() == "0 notification(s) sent"  # due by the end of 4 June
    call_command("hotline_sla_check", "--today", "2025-06-05", stdout=out)
    assert "2 notification(s) sent" in out.getvalue()
    assert hotline_sla_task() == 3  # the reply, later
    assert hotline_sla_task() == 0
    assert WorkOrder.objects.get(pk=order.pk).reply_overdue_at is not None
    with pytest.raises(CommandError):
        call_command("hotline_sla_check", "--today", "June")
