"""A 12345 caller's rating of a government service feeds 好差评: the return visit of an order
about a ticket records that ticket's evaluation through 12345, once, with its rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from jiedao.affairs.models import TicketStatus
from jiedao.core import figures
from jiedao.evaluations import selectors as evaluations
from jiedao.evaluations.models import EvalChannel, Evaluation, Rectification
from tests.affairs.factories import advance, make_item, make_point, make_ticket
from tests.hotline.factories import receive, to_replied


@pytest.fixture
def ticket(tree, users):
    item = make_item(tree.sub_a, "F-9", "居住证办理")
    point = make_point(tree.sub_a, "受理中心")
    made = make_ticket(actor=users["tmx_clerk"], item=item, point=point)
    return advance(made, users["tmx_clerk"], TicketStatus.ACCEPTED, TicketStatus.COMPLETED)


def test_the_return_visit_rates_the_ticket_the_call_was_about(
    tree, users, cats, centre, worker, ticket
):
    from jiedao.hotline import services

    order = receive(centre, tree.sub_a, cats.property, ticket_number=ticket.number)
    assert order.ticket == ticket
    to_replied(order, centre, tree.committee_a, worker)
    services.order_visit(
        actor=centre,
        order=order,
        satisfaction="unsatisfied",
        resolved=False,
        note="等了很久",
        service_level=2,
    )
    evaluation = Evaluation.objects.get()
    assert (evaluation.ticket, evaluation.channel, evaluation.level) == (
        ticket,
        EvalChannel.HOTLINE,
        2,
    )
    assert evaluation.entered_by == centre and evaluation.staff == users["tmx_clerk"]
    assert Rectification.objects.filter(evaluation=evaluation).exists()  # a bad review
    assert evaluations.headline(user=users["tmx_leader"])["bad"] == 1
    assert figures.verify() == []


def test_a_ticket_number_must_be_the_subdistricts_and_a_rating_needs_a_ticket(
    tree, users, cats, centre, worker
):
    from jiedao.hotline import services
    from jiedao.hotline.models import WorkOrder

    with pytest.raises(ValidationError) as exc:
        receive(centre, tree.sub_a, cats.property, ticket_number="TMX-2020-999999")
    assert "ticket_number" in exc.value.message_dict and not WorkOrder.objects.exists()
    order = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    with pytest.raises(ValidationError) as exc:
        services.order_visit(
            actor=centre, order=order, satisfaction="satisfied", resolved=True, service_level=5
        )
    assert "service_level" in exc.value.message_dict
    assert not Evaluation.objects.exists()


def test_the_visit_page_asks_for_the_service_rating_only_when_there_is_a_ticket(
    tree, users, cats, centre, worker, ticket
):
    from tests.conftest import login

    about = to_replied(
        receive(centre, tree.sub_a, cats.property, ticket_number=ticket.number),
        centre,
        tree.committee_a,
        worker,
    )
    plain = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    client = login(centre)
    assert "好差评" in client.get(f"/hotline/orders/{about.pk}/visit/").content.decode()
    assert (
        "对所涉政务服务的评价"
        not in client.get(f"/hotline/orders/{plain.pk}/visit/").content.decode()
    )
    client.post(
        f"/hotline/orders/{about.pk}/visit/",
        {"satisfaction": "satisfied", "resolved": "1", "service_level": "5"},
    )
    assert Evaluation.objects.get().level == 5
