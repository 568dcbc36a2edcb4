"""Shared for the 好差评 tests: a service desk, completed tickets, a rating by link."""

from __future__ import annotations

import pytest

from jiedao.affairs.models import TicketStatus as S
from jiedao.evaluations import services
from jiedao.evaluations.models import EvalChannel
from jiedao.evaluations.services import Rating
from tests.affairs.factories import advance, make_item, make_point, make_ticket


@pytest.fixture
def desk(tree, users):
    item = make_item(tree.sub_a, "E-1", "居住证办理")
    point = make_point(tree.sub_a, "受理中心")
    return {"item": item, "point": point}


def done_ticket(users, desk, *, clerk="tmx_clerk", at=None):
    ticket = make_ticket(actor=users[clerk], item=desk["item"], point=desk["point"])
    return advance(ticket, users[clerk], S.ACCEPTED, S.COMPLETED, at=at)


def rate_by_link(users, ticket, level, *, channel=EvalChannel.QR, source="", clerk="tmx_clerk"):
    _token, raw = services.token_issue(actor=users[clerk], case=ticket, channel=channel)
    return services.token_rate(raw=raw, rating=Rating(level, {"attitude": 5}), source=source)
