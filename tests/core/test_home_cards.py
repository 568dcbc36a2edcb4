"""Modules put their own counts on the home page (declared in their module.py)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from jiedao.affairs.models import Channel, PointKind
from jiedao.livelihood.models import ReviewAssignment
from tests.affairs.factories import make_item, make_point, make_ticket
from tests.conftest import login


def card(html: str, label: str) -> str | None:
    m = re.search(r'<span class="figure">(\d+)</span><br>' + re.escape(label), html)
    return m.group(1) if m else None


def test_a_clerk_sees_their_open_and_late_tickets(tree, users):
    clerk = users["tmx_clerk"]
    item = make_item(tree.sub_a, "H-1", time_limit_days=1)
    point = make_point(tree.sub_a)
    make_ticket(actor=clerk, item=item, point=point, channel=Channel.WINDOW)
    make_ticket(
        actor=clerk,
        item=item,
        point=point,
        channel=Channel.WINDOW,
        submitted_at=timezone.now() - timedelta(days=30),
    )
    other = make_point(tree.committee_a, "帮办点", kind=PointKind.HELP_POINT)
    make_ticket(actor=users["hx_worker"], item=item, point=other, channel=Channel.HELP_POINT)
    home = login(clerk).get("/").content.decode()
    assert card(home, "我经办的在办办件") == "2"  # the help point's ticket is not theirs
    assert card(home, "已逾期办件") == "1"
    assert f'href="/affairs/tickets/?handler={clerk.pk}"' in home
    # someone else's home shows nothing of this
    assert card(login(users["tmx_business"]).get("/").content.decode(), "已逾期办件") is None


def test_an_expert_sees_the_reviews_waiting_for_them(tree, users):
    from tests.livelihood.factories import make_programme, make_project

    programme = make_programme(tree.sub_a)
    project = make_project(programme, tree.committee_a, actor=users["tmx_livelihood"])
    ReviewAssignment.objects.create(project=project, expert=users["expert1"])
    home = login(users["expert1"]).get("/").content.decode()
    assert card(home, "待提交的评审") == "1"
    assert card(login(users["expert2"]).get("/").content.decode(), "待提交的评审") == "0"
