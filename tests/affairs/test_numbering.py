"""Ticket numbers stay unique when two clerks file at the same moment (two connections)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from jiedao.affairs.models import Channel, Ticket
from jiedao.affairs.services import ticket_create
from tests.affairs.factories import make_item, make_point
from tests.factories import make_person


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the test database is SQLite in memory, which has no concurrent writers; "
    "CI runs this against PostgreSQL",
)
def test_tickets_filed_at_once_get_distinct_numbers(tree: Any, users: Any) -> None:
    # given
    item = make_item(tree.city, "HJ-02", "户籍证明开具")
    point = make_point(tree.sub_a)
    applicant = make_person(tree.committee_a, "张三")
    clerk = users["tmx_clerk"]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def file() -> None:
        try:
            barrier.wait(timeout=10)
            ticket_create(
                actor=clerk,
                item=item,
                point=point,
                channel=Channel.WINDOW,
                applicant_person=applicant,
            )
        except BaseException as exc:  # collected and reported below
            errors.append(exc)
        finally:
            connection.close()

    # when four threads, each on its own database connection, file at once
    threads = [threading.Thread(target=file) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # then all four are filed, numbered 1 to 4
    assert errors == []
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == 4
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2, 3, 4]
