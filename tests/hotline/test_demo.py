"""The 12345 demo: thirteen months of orders whose rates, counted from the records, land about
96–98%, with repeat calls merged, send-backs, reassignments and warning orders, every order
consistent with the rules the services apply; and a second run adds nothing.

Building the demo takes several seconds, so everything is checked in one test that runs it
twice.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta
from itertools import pairwise

from django.core.management import call_command
from django.utils import timezone

from jiedao.accounts.models import User
from jiedao.core import figures as registry
from jiedao.hotline import selectors
from jiedao.hotline.models import (
    ORDER_TRANSITIONS,
    OrderStatus,
    OrderTransition,
    ReturnVisit,
    Review,
    ReviewKind,
    ReviewStatus,
    WorkOrder,
)
from jiedao.hotline.services import contact_due_for, reply_due_for
from tests.conftest import keep_demo_steps

S = OrderStatus
# Moves an approved review makes, besides the map.
REVIEW_MOVES = {(S.DISPATCHED, S.SENT_BACK), (S.SIGNED, S.SENT_BACK), (S.DISPATCHED, S.DISPATCHED),
                (S.SIGNED, S.DISPATCHED), (S.VISITED, S.HANDLING)}  # fmt: skip


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count() for m in (WorkOrder, OrderTransition, ReturnVisit, Review)
    } | {"assisting": WorkOrder.assisting_units.through.objects.count()}


def test_the_demo_orders(db, monkeypatch):
    keep_demo_steps(monkeypatch, "hotline")
    out = io.StringIO()
    call_command("demo", stdout=out)
    first = _counts()
    call_command("demo", stdout=io.StringIO())
    assert _counts() == first
    assert registry.verify() == []
    assert "天目西路街道: 2700 orders" in out.getvalue()

    tmx = WorkOrder.objects.filter(subdistrict__code="TMX")
    bz = WorkOrder.objects.filter(subdistrict__code="BZ")
    assert tmx.count() == 2700 and bz.count() == 420
    received = tmx.order_by("received_at").values_list("received_at", flat=True)
    assert received.last() - received.first() > timedelta(days=365)

    # the rates, from the roll-ups the pages read, land about 96–98%
    leader = User.objects.get(username="tmx_leader")
    rates = selectors.rates_for(user=leader)
    for value in (rates.response_rate, rates.resolution_rate, rates.satisfaction_rate):
        assert value is not None and 95.5 <= value <= 98.5, rates
    assert 95.5 <= (rates.score() or 0) <= 98.5
    ranking = selectors.subdistrict_ranking(user=User.objects.get(username="ja_leader"))
    assert {r.org.code for r in ranking} == {"TMX", "BZ"}
    assert all(r.score is not None for r in ranking)

    # merges, send-backs, reassignments, extensions and warning orders, from records
    statuses = Counter(tmx.values_list("status", flat=True))
    assert statuses[S.MERGED] >= 50 and statuses[S.SENT_BACK] >= 10
    assert rates.warnings >= 50 and rates.merged == statuses[S.MERGED]
    kinds = Counter(
        Review.objects.filter(status=ReviewStatus.APPROVED).values_list("kind", flat=True)
    )
    assert all(kinds[k] >= 5 for k in ReviewKind.values), kinds
    assert Review.objects.filter(status=ReviewStatus.REFUSED).exists()
    assert set(statuses) >= {S.HANDLING, S.VISITED, S.ASSESSED}

    # every order is what the services would have written
    moves = ORDER_TRANSITIONS
    transitions: dict[int, list[OrderTransition]] = {}
    for t in OrderTransition.objects.order_by("order_id", "at", "pk"):
        transitions.setdefault(t.order_id, []).append(t)
    now = timezone.now()
    for order in WorkOrder.objects.select_related("category", "merged_into"):
        steps = transitions[order.pk]
        assert steps[0].to_status == S.RECEIVED and steps[-1].to_status == order.status
        for a, b in pairwise(steps):
            assert a.at <= b.at <= now
            assert b.from_status == a.to_status
            assert b.to_status in moves[a.to_status] or (a.to_status, b.to_status) in REVIEW_MOVES
        assert re.fullmatch(r"1\d{2}\*{4}\d{4}", order.phone_masked)
        if order.merged_into is not None:
            assert order.status == S.MERGED
            assert order.merged_into.category_id == order.category_id
            if "自动合并" in steps[-1].note:
                assert order.merged_into.phone_hash == order.phone_hash
        dispatched = next((t.at for t in steps if t.to_status == S.DISPATCHED), None)
        if dispatched is not None and not order.extended_days:
            assert order.reply_due == reply_due_for(order.category, dispatched)
        if order.signed_at is not None:
            assert order.contact_due == contact_due_for(order.signed_at, order.reply_due) or (
                order.extended_days
            )
    assert re.fullmatch(r"TMX-RX\d{4}-\d{6}", tmx.first().number)
