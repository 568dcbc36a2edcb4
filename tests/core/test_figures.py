"""The figures' roll-ups: kept in step by the services, equal to a full recount, read flat.

The records are made by factories, counted once by `rebuild()` (as the demo does after its
bulk inserts), then changed at random through the services only; `verify()` must then find
no difference from a recount, and a change that bypasses the services must be found.
"""

from __future__ import annotations

import ast
import io
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from jiedao.affairs import services as affairs
from jiedao.affairs.models import TRANSITIONS, Channel, PointKind, Resolution, Ticket, TicketStatus
from jiedao.business import services as business
from jiedao.business.models import EnterpriseRequest, RequestStatus
from jiedao.core import figures, modules
from jiedao.core.models import OrgUnit, RollupRow
from tests.affairs.factories import make_item, make_point, make_ticket
from tests.business.factories import make_building, make_firm, make_request, make_type

SH = ZoneInfo("Asia/Shanghai")
NOTES = {TicketStatus.RETURNED, TicketStatus.REJECTED}


def _world(tree, users):
    clerk = users["tmx_clerk"]
    item = make_item(tree.sub_a, "F-1", time_limit_days=3)
    centre = make_point(tree.sub_a, "中心")
    help_point = make_point(tree.committee_a, "帮办点", kind=PointKind.HELP_POINT)
    make_point(tree.sub_a, "自助站", kind=PointKind.SELF_SERVICE)
    bz_centre = make_point(tree.sub_b, "北站中心")
    bz_item = make_item(tree.sub_b, "F-2")
    start = datetime(2025, 1, 6, 9, tzinfo=SH)
    tickets = []
    for i in range(12):
        point = centre if i % 3 else help_point
        actor = clerk if point is centre else users["hx_worker"]
        channel = Channel.WINDOW if point is centre else Channel.HELP_POINT
        tickets.append(
            make_ticket(
                actor=actor,
                item=item,
                point=point,
                channel=channel,
                submitted_at=start + timedelta(days=7 * i),
            )
        )
    tickets.append(
        make_ticket(actor=users["bz_admin"], item=bz_item, point=bz_centre, submitted_at=start)
    )
    buildings = [make_building(tree.sub_a, f"楼{i}") for i in range(4)]
    admin = users["tmx_admin"]
    firms = [
        make_firm(b, f"企业{b.pk}-{j}", actor=admin, white_collar=10 * (j + 1))
        for b in buildings
        for j in range(2)
    ]
    rtype = make_type()
    requests = [
        make_request(admin, firms[i], rtype, received_at=start + timedelta(days=30 * i))
        for i in range(4)
    ]
    return {
        "tickets": tickets,
        "buildings": buildings,
        "firms": firms,
        "requests": requests,
        "centre": centre,
    }


def _random_writes(rnd: random.Random, world, users, n: int = 60) -> None:
    clerk = users["tmx_clerk"]
    admin = users["tmx_admin"]
    councils = 0
    for _step in range(n):
        kind = rnd.choice(["move", "move", "trip", "visit", "council", "profile", "request"])
        if kind in ("move", "trip", "visit"):
            ticket = Ticket.objects.get(pk=rnd.choice(world["tickets"]).pk)
            actor = users["bz_admin"] if ticket.org_unit.code == "BZ" else admin
            if kind == "move" and TRANSITIONS.get(ticket.status):
                to = rnd.choice(sorted(TRANSITIONS[ticket.status]))
                at = ticket.submitted_at + timedelta(days=rnd.randint(0, 9))
                affairs.ticket_transition(
                    actor=actor, ticket=ticket, to_status=to, note="说明", at=at
                )
            elif kind == "trip" and ticket.org_unit.code != "BZ":
                day = ticket.submitted_at.astimezone(SH).date() + timedelta(days=rnd.randint(0, 3))
                affairs.trip_record(actor=clerk, ticket=ticket, day=day, point=world["centre"])
            elif kind == "visit" and ticket.status == TicketStatus.COMPLETED:
                affairs.return_visit_record(
                    actor=actor,
                    ticket=ticket,
                    satisfaction=rnd.randint(3, 5),
                    resolution=Resolution.RESOLVED,
                    called_at=ticket.completed_at + timedelta(days=2),
                )
        elif kind == "council":
            chosen = rnd.sample(world["buildings"], rnd.randint(1, 3))
            business.council_create(
                actor=admin,
                org_unit=chosen[0].org_unit,
                name=f"楼务会{councils}",
                convener="王",
                secretary_general="李",
                buildings=chosen,
            )
            councils += 1
        elif kind == "profile":
            firm = rnd.choice(world["firms"])
            out = rnd.choice([None, date(2024, 5, 1), date(2999, 1, 1)])
            business.enterprise_profile_save(
                actor=admin,
                enterprise=firm,
                data={"white_collar_count": rnd.randint(0, 200), "moved_out": out},
            )
        else:
            request = EnterpriseRequest.objects.get(pk=rnd.choice(world["requests"]).pk)
            nxt = {
                RequestStatus.RECEIVED: RequestStatus.ACKNOWLEDGED,
                RequestStatus.ACKNOWLEDGED: RequestStatus.RESOLVED,
            }.get(request.status)
            if nxt is not None:
                business.request_transition(
                    actor=admin, request=request, to_status=nxt, note="已答复"
                )


def test_services_keep_the_rollups_equal_to_a_recount(tree, users):
    # given: records made by factories, counted once from the records
    world = _world(tree, users)
    figures.rebuild()
    assert figures.verify() == []
    stored_after_rebuild = RollupRow.objects.count()
    assert stored_after_rebuild > 0

    # when: random writes, through the services only
    _random_writes(random.Random(20261203), world, users)

    # then: what the services kept equals a full recount
    assert figures.verify() == []
    kept = {
        (r.org_unit_id, r.metric, r.period, r.dim): (r.n, r.total)
        for r in RollupRow.objects.exclude(n=0, total=0)
    }
    figures.rebuild()
    rebuilt = {
        (r.org_unit_id, r.metric, r.period, r.dim): (r.n, r.total) for r in RollupRow.objects.all()
    }
    assert kept == rebuilt


def test_verify_finds_a_change_that_bypassed_the_services(tree, users):
    world = _world(tree, users)
    figures.rebuild()
    ticket = world["tickets"][1]
    # a write straight to the table, as a careless script would: the roll-ups do not follow
    Ticket.objects.filter(pk=ticket.pk).update(
        status=TicketStatus.COMPLETED, completed_at=ticket.submitted_at + timedelta(days=1)
    )
    drift = figures.verify()
    assert drift, "verify must notice a completed ticket the roll-ups never saw"
    assert {d.key[1] for d in drift} >= {"affairs.completed", "affairs.open_due"}
    with pytest.raises(CommandError, match="differ"):
        call_command("figures", "verify", stdout=io.StringIO())
    out = io.StringIO()
    call_command("figures", "rebuild", "--org", "TMX", stdout=out)
    assert "rebuilt" in out.getvalue()
    call_command("figures", "verify", stdout=io.StringIO())  # no drift left: no error


def test_a_record_counts_in_its_unit_and_up_to_its_subdistrict_only(tree, users):
    item = make_item(tree.sub_a, "F-3")
    help_point = make_point(tree.committee_a, "帮办点", kind=PointKind.HELP_POINT)
    make_ticket(actor=users["hx_worker"], item=item, point=help_point, channel=Channel.HELP_POINT)
    rows = RollupRow.objects.filter(metric="affairs.filed")
    holders = set(rows.values_list("org_unit__code", flat=True))
    # committee, its area, its subdistrict; never the district or the city (they sum below)
    assert holders == {"TMX-HX", "TMX-S", "TMX"}
    # and a district reads the sum of its subdistricts
    sums = figures.read([tree.district], ["affairs.filed"])
    assert sums[(tree.district.pk, figures.ALL)].n("affairs.filed") == 1


def test_reading_a_district_costs_the_same_queries_whatever_the_records(
    tree, users, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = _world(tree, users)
    figs = figures.figures()

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            figures.read([tree.district, tree.sub_a, tree.sub_b], figures.metrics_of(figs))
        return len(ctx.captured_queries)

    before = count()
    _random_writes(random.Random(7), world, users, n=80)
    assert count() == before == 1


def test_every_figure_is_declared_once_with_its_wording():
    declared = figures.figures()
    keys = [f.key for f in declared]
    assert len(keys) == len(set(keys))
    assert {"affairs", "business", "renewal", "livelihood"} <= {f.module for f in declared}
    for fig in declared:
        assert str(fig.label) and str(fig.definition), fig.key
        assert fig.metrics, fig.key
        assert fig.key.startswith(fig.module + "."), fig.key
    # every metric a figure reads is written by some source (no figure reads nothing)
    assert figures.SOURCES
    assert [m.name for m in modules.modules()] == [
        "affairs",
        "business",
        "renewal",
        "livelihood",
        "evaluations",
        "hotline",
    ]


def test_the_navigation_imports_no_domain_app():
    source = Path("jiedao/accounts/context_processors.py").read_text(encoding="utf-8")
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    domain = {"affairs", "business", "renewal", "livelihood"}
    assert not {m for m in imported if m.split(".")[1:2] and m.split(".")[1] in domain}


def test_format_value_uses_separators_and_the_figures_decimals():
    from decimal import Decimal

    assert figures.format_value(Decimal("47589.3"), 1) == "47,589.3"
    assert figures.format_value(1167, 0) == "1,167"
    assert figures.format_value(99.5, 2) == "99.50"
    assert figures.format_value(None, 2) == "—"
    assert figures.format_value("1+3+12+X") == "1+3+12+X"


def test_network_figure_counts_service_points_by_kind(tree):
    for i in range(3):
        make_point(tree.sub_a, f"自助{i}", kind=PointKind.SELF_SERVICE)
    make_point(tree.sub_a, "中心")
    for i in range(2):
        make_point(tree.committee_a, f"帮办{i}", kind=PointKind.HELP_POINT)
    make_point(tree.sub_a, "上门", kind=PointKind.DOOR_TO_DOOR)
    figures.rebuild()
    fig = figures.FIGURES["affairs.network"]
    assert figures.values_for(tree.sub_a, [fig])[fig.key][""] == "1+3+2+X"
    assert figures.values_for(tree.committee_a, [fig])[fig.key][""] == "0+0+2"
    assert OrgUnit.objects.count() == 8


def test_an_admin_edit_of_a_counted_record_keeps_the_rollups(tree, users):
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    from jiedao.core.models import Enterprise

    # given a covered building with a firm, and an uncovered one
    world = _world(tree, users)
    covered, bare = world["buildings"][0], world["buildings"][3]
    business.council_create(
        actor=users["tmx_admin"],
        org_unit=tree.sub_a,
        name="楼务会A",
        convener="王",
        secretary_general="李",
        buildings=[covered],
    )
    firm = Enterprise.objects.filter(building=covered).first()
    # when the platform administrator moves the firm to the uncovered building in the admin
    firm.building = bare
    request = RequestFactory().post("/admin/")
    request.user = users["admin"]
    django_admin.site._registry[Enterprise].save_model(request, firm, None, True)
    # then the coverage roll-ups followed
    assert figures.verify() == []
