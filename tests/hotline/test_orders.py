"""Receiving orders (validation, numbering, the phone kept encrypted / hashed / masked), repeat
calls merged into the first open order, the transition map and who may take which step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jiedao.core import pii
from jiedao.core.models import RollupRow
from jiedao.core.permissions import NotPermitted
from jiedao.hotline import services
from jiedao.hotline.models import (
    ORDER_TRANSITIONS,
    OrderStatus,
    OrderTransition,
    WorkOrder,
)
from jiedao.hotline.services import IllegalTransition
from tests.hotline.factories import dispatch, receive, sh, step, to_replied, visit

S = OrderStatus
pytestmark = pytest.mark.django_db


# --- intake -------------------------------------------------------------------------------------
def test_an_order_keeps_the_phone_encrypted_hashed_and_masked(tree, cats, centre):
    order = receive(centre, tree.sub_a, cats.property, caller_phone="138 1234 5678")

    order.refresh_from_db()
    assert order.phone_masked == "138****5678"
    assert "13812345678" not in order.phone_encrypted
    assert pii.decrypt(order.phone_encrypted) == "13812345678"
    assert order.phone_hash == pii.blind_index("13812345678")
    assert order.status == S.RECEIVED
    assert order.org_unit == order.subdistrict == tree.sub_a
    first = order.transitions.get()
    assert (first.from_status, first.to_status, first.actor) == ("", S.RECEIVED, centre)


def test_phone_numbers_written_into_the_text_are_masked_when_stored(tree, cats, centre):
    order = receive(centre, tree.sub_a, cats.property, text="请回电13912345678，谢谢")

    assert order.text == "请回电139****5678，谢谢"


def test_numbers_run_per_subdistrict_and_local_year(tree, users, cats, centre):
    a = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 3, 1))
    b = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 12, 31, 23, 30))
    c = receive(users["bz_admin"], tree.sub_b, cats.property, received_at=sh(2025, 4, 1))
    d = receive(centre, tree.sub_a, cats.property, received_at=sh(2026, 1, 1, 0, 30))

    assert [a.number, b.number, c.number, d.number] == [
        "TMX-RX2025-000001",
        "TMX-RX2025-000002",
        "BZ-RX2025-000001",
        "TMX-RX2026-000001",
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hotline_number", "  ", "请填写热线工单号"),
        ("text", "", "请填写诉求内容"),
        ("address", "", "请填写地址"),
        ("caller_phone", "12345", "电话号码"),
        ("urgency", "whenever", "请选择紧急程度"),
        ("longitude", "200", "坐标超出范围"),
    ],
)
def test_bad_input_is_answered_with_a_clear_error_and_nothing_is_saved(
    tree, cats, centre, field, value, message
):
    kwargs = {field: value}
    if field == "longitude":
        kwargs["latitude"] = "31.2"

    with pytest.raises(ValidationError) as exc:
        receive(centre, tree.sub_a, cats.property, **kwargs)

    assert field in exc.value.message_dict
    assert any(message in m for m in exc.value.message_dict[field])
    assert not WorkOrder.objects.exists()
    assert not OrderTransition.objects.exists()
    assert not RollupRow.objects.exists()


def test_one_coordinate_without_the_other_is_refused(tree, cats, centre):
    with pytest.raises(ValidationError) as exc:
        receive(centre, tree.sub_a, cats.property, longitude="121.45")
    assert "经度和纬度须同时填写" in str(exc.value)


def test_a_received_time_in_the_future_is_refused(tree, cats, centre):
    with pytest.raises(ValidationError) as exc:
        receive(centre, tree.sub_a, cats.property, received_at=timezone.now() + timedelta(days=1))
    assert "received_at" in exc.value.message_dict


def test_an_inactive_category_is_refused(tree, cats, centre):
    cats.property.active = False
    cats.property.save()
    with pytest.raises(ValidationError) as exc:
        receive(centre, tree.sub_a, cats.property)
    assert "该类别已停用" in str(exc.value)


def test_the_hotline_number_is_unique_per_source(tree, cats, centre):
    first = receive(centre, tree.sub_a, cats.property, hotline_number="20250101001")

    with pytest.raises(services.DuplicateOrder) as exc:
        receive(centre, tree.sub_a, cats.property, hotline_number="20250101001")
    assert exc.value.existing == first
    assert "已接收" in str(exc.value)
    # the same number from another numbering is another order
    other = receive(centre, tree.sub_a, cats.property, hotline_number="20250101001", source="110")
    assert other.pk != first.pk
    assert WorkOrder.objects.count() == 2


def test_only_the_centre_of_the_subdistrict_enters_orders(tree, users, cats):
    for name in ("hx_worker", "tmx_leader", "bz_admin", "ja_leader", "tmx_business"):
        with pytest.raises(NotPermitted):
            receive(users[name], tree.sub_a, cats.property)
    assert receive(users["tmx_admin"], tree.sub_a, cats.property).pk


def test_orders_go_to_a_subdistrict_only(tree, users, cats):
    with pytest.raises(ValidationError) as exc:
        receive(users["admin"], tree.district, cats.property)
    assert "工单只能派给街道" in str(exc.value)


# --- repeat calls -------------------------------------------------------------------------------
def test_a_repeat_call_on_an_open_order_is_merged_into_it(tree, cats, centre):
    first = receive(centre, tree.sub_a, cats.property, caller_phone="13800000001")

    again = receive(centre, tree.sub_a, cats.property, caller_phone="138-0000-0001")

    assert again.status == S.MERGED
    assert again.merged_into == first
    assert [t.to_status for t in again.transitions.all()] == [S.RECEIVED, S.MERGED]
    assert first.number in again.transitions.last().note


def test_another_category_or_phone_or_subdistrict_is_another_matter(tree, users, cats, centre):
    receive(centre, tree.sub_a, cats.property, caller_phone="13800000001")

    assert (
        receive(centre, tree.sub_a, cats.consult, caller_phone="13800000001").status == S.RECEIVED
    )
    assert receive(centre, tree.sub_a, cats.property, caller_phone="13800000002").status == (
        S.RECEIVED
    )
    bz = receive(users["bz_admin"], tree.sub_b, cats.property, caller_phone="13800000001")
    assert bz.status == S.RECEIVED
    # and a call without a number is never merged
    receive(centre, tree.sub_a, cats.property, caller_phone="")
    assert receive(centre, tree.sub_a, cats.property, caller_phone="").status == S.RECEIVED


def test_a_call_after_the_first_order_is_closed_is_a_new_order(tree, cats, centre, worker, users):
    first = receive(centre, tree.sub_a, cats.property, caller_phone="13800000001")
    to_replied(first, centre, tree.committee_a, worker)
    visit(first, centre)
    step(first, centre, S.ASSESSED)

    again = receive(centre, tree.sub_a, cats.property, caller_phone="13800000001")

    assert again.status == S.RECEIVED and again.merged_into is None


def test_staff_merge_a_call_on_the_same_matter(tree, cats, centre):
    first = receive(centre, tree.sub_a, cats.property)
    neighbour = receive(centre, tree.sub_a, cats.property)

    services.order_merge(actor=centre, order=neighbour, into=first, note="同一楼道")

    neighbour.refresh_from_db()
    assert neighbour.status == S.MERGED and neighbour.merged_into == first


def test_merging_is_checked(tree, users, cats, centre, worker):
    first = receive(centre, tree.sub_a, cats.property)
    other = receive(centre, tree.sub_a, cats.property)
    bz = receive(users["bz_admin"], tree.sub_b, cats.property)

    with pytest.raises(ValidationError, match="不能合并到工单自身"):
        services.order_merge(actor=centre, order=other, into=other)
    with pytest.raises(ValidationError, match="只能合并到本街道的工单"):
        services.order_merge(actor=users["admin"], order=other, into=bz)
    dispatch(first, centre, tree.committee_a)
    with pytest.raises(NotPermitted):  # the lead unit does not merge; the centre does
        services.order_merge(actor=worker, order=first, into=other)
    step(first, worker, S.SIGNED)
    with pytest.raises(IllegalTransition):  # once signed, it is being handled
        services.order_merge(actor=centre, order=first, into=other)
    services.order_merge(actor=centre, order=other, into=first)
    third = receive(centre, tree.sub_a, cats.property)
    with pytest.raises(ValidationError, match="尚未办结"):
        services.order_merge(actor=centre, order=third, into=other)  # other is merged itself


# --- the transition map -------------------------------------------------------------------------
def _at_status(status, tree, cats, centre, worker):
    """An order brought to `status` through the services."""
    order = receive(centre, tree.sub_a, cats.property)
    path = {
        S.RECEIVED: [],
        S.DISPATCHED: [S.DISPATCHED],
        S.SIGNED: [S.DISPATCHED, S.SIGNED],
        S.CONTACTED: [S.DISPATCHED, S.SIGNED, S.CONTACTED],
        S.HANDLING: [S.DISPATCHED, S.SIGNED, S.CONTACTED, S.HANDLING],
        S.REPLIED: [S.DISPATCHED, S.SIGNED, S.CONTACTED, S.HANDLING, S.REPLIED],
    }
    if status in path:
        for to in path[status]:
            if to == S.DISPATCHED:
                dispatch(order, centre, tree.committee_a)
            else:
                step(order, worker, to)
        return order
    to_replied(order, centre, tree.committee_a, worker)
    visit(order, centre)
    if status == S.ASSESSED:
        step(order, centre, S.ASSESSED)
    return order


ILLEGAL = [
    (a, b)
    for a in (S.RECEIVED, S.DISPATCHED, S.SIGNED, S.CONTACTED, S.HANDLING, S.REPLIED, S.VISITED)
    for b in S.values
    if b not in ORDER_TRANSITIONS[a]
] + [(S.ASSESSED, b) for b in S.values]


@pytest.mark.parametrize(("frm", "to"), ILLEGAL)
def test_only_the_listed_moves_are_allowed(tree, cats, centre, worker, frm, to):
    order = _at_status(frm, tree, cats, centre, worker)
    before = order.transitions.count()

    with pytest.raises(IllegalTransition):
        services.order_transition(
            actor=centre, order=order, to_status=to, note="说明", reply="回复",
            lead_unit=tree.committee_a,
        )  # fmt: skip

    order.refresh_from_db()
    assert order.status == frm
    assert order.transitions.count() == before


def test_every_step_is_timed_with_its_actor(tree, cats, centre, worker):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 6, 3, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 6, 3, 10))
    step(order, worker, S.SIGNED, at=sh(2025, 6, 3, 11))
    step(order, worker, S.CONTACTED, at=sh(2025, 6, 3, 14))
    step(order, worker, S.HANDLING, at=sh(2025, 6, 4, 9))
    step(order, worker, S.REPLIED, at=sh(2025, 6, 5, 16))

    moves = [(t.from_status, t.to_status, t.actor, t.at) for t in order.transitions.all()]
    assert moves == [
        ("", S.RECEIVED, centre, sh(2025, 6, 3, 9)),
        (S.RECEIVED, S.DISPATCHED, centre, sh(2025, 6, 3, 10)),
        (S.DISPATCHED, S.SIGNED, worker, sh(2025, 6, 3, 11)),
        (S.SIGNED, S.CONTACTED, worker, sh(2025, 6, 3, 14)),
        (S.CONTACTED, S.HANDLING, worker, sh(2025, 6, 4, 9)),
        (S.HANDLING, S.REPLIED, worker, sh(2025, 6, 5, 16)),
    ]
    order.refresh_from_db()
    assert order.org_unit == tree.committee_a
    assert (order.dispatched_at, order.signed_at, order.contacted_at) == (
        sh(2025, 6, 3, 10),
        sh(2025, 6, 3, 11),
        sh(2025, 6, 3, 14),
    )
    assert order.replied_at == sh(2025, 6, 5, 16)
    assert order.reply == "已修复。"


def test_a_step_cannot_be_dated_before_the_last_one_or_in_the_future(tree, cats, centre):
    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 6, 3, 9))
    with pytest.raises(ValidationError, match="不能早于上一步骤"):
        dispatch(order, centre, tree.committee_a, at=sh(2025, 6, 3, 8))
    with pytest.raises(ValidationError, match="不能晚于现在"):
        dispatch(order, centre, tree.committee_a, at=timezone.now() + timedelta(hours=1))
    assert order.transitions.count() == 1


def test_dispatch_goes_to_a_committee_of_the_subdistrict(tree, cats, centre):
    order = receive(centre, tree.sub_a, cats.property)
    for unit in (tree.committee_c, tree.sub_a, tree.area_a, None):
        with pytest.raises(ValidationError) as exc:
            dispatch(order, centre, unit)
        assert "lead_unit" in exc.value.message_dict
    with pytest.raises(ValidationError, match="协办单位不能与承办单位相同"):
        dispatch(order, centre, tree.committee_a, assisting_units=[tree.committee_a])
    order.refresh_from_db()
    assert order.status == S.RECEIVED

    dispatch(order, centre, tree.committee_a, assisting_units=[tree.committee_b])
    assert list(order.assisting_units.all()) == [tree.committee_b]


def test_contacting_needs_a_note_and_replying_an_answer(tree, cats, centre, worker):
    order = receive(centre, tree.sub_a, cats.property)
    dispatch(order, centre, tree.committee_a)
    step(order, worker, S.SIGNED)
    with pytest.raises(ValidationError) as exc:
        services.order_transition(actor=worker, order=order, to_status=S.CONTACTED, note=" ")
    assert "请记录联系情况" in str(exc.value)
    step(order, worker, S.CONTACTED)
    step(order, worker, S.HANDLING)
    with pytest.raises(ValidationError, match="请填写回复内容"):
        services.order_transition(actor=worker, order=order, to_status=S.REPLIED)


def test_who_takes_which_step(tree, users, cats, centre, worker):
    order = receive(centre, tree.sub_a, cats.property)
    # only the centre dispatches; the committee worker cannot even see an undispatched order
    with pytest.raises(NotPermitted):
        dispatch(order, worker, tree.committee_a)
    with pytest.raises(NotPermitted):
        dispatch(order, users["tmx_leader"], tree.committee_a)
    dispatch(order, centre, tree.committee_a)
    # another committee's worker cannot touch it
    with pytest.raises(NotPermitted):
        step(order, users["fgn_worker"], S.SIGNED)
    step(order, worker, S.SIGNED)
    step(order, worker, S.CONTACTED)
    step(order, worker, S.HANDLING)
    step(order, worker, S.REPLIED)
    # the return visit and the assessment are the centre's
    with pytest.raises(NotPermitted):
        visit(order, worker)
    visit(order, centre)
    with pytest.raises(NotPermitted):
        step(order, worker, S.ASSESSED)
    step(order, centre, S.ASSESSED)
    order.refresh_from_db()
    assert order.status == S.ASSESSED and order.assessed_at is not None


def test_return_visits_and_merges_are_not_plain_moves(tree, cats, centre, worker):
    order = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    with pytest.raises(ValidationError, match="回访请填写回访结果"):
        services.order_transition(actor=centre, order=order, to_status=S.VISITED)
    fresh = receive(centre, tree.sub_a, cats.property)
    with pytest.raises(ValidationError, match="合并请选择"):
        services.order_transition(actor=centre, order=fresh, to_status=S.MERGED)


def test_dispatch_notifies_the_lead_and_assisting_units(tree, users, cats, centre, worker):
    from jiedao.core.models import Notification

    order = receive(centre, tree.sub_a, cats.property)
    dispatch(order, centre, tree.committee_a, assisting_units=[tree.committee_b])

    told = set(Notification.objects.filter(key__startswith="hotline-dispatch:").values_list(
        "user__username", flat=True
    ))  # fmt: skip
    assert told == {"hx_worker", "fgn_worker"}
    # and the centre heard of the new order
    assert Notification.objects.filter(key=f"hotline-new:{order.pk}", user=centre).exists()
