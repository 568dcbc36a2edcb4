"""/api/v1/affairs/: scoping by the central policy, masking, tickets (create, transitions, trips),
return visits with follow-ups, door-to-door lists, filters and a constant query count."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.affairs import services
from jiedao.affairs.models import (
    Channel,
    PointKind,
    ReturnVisit,
    Ticket,
    TicketStatus,
    TicketTransition,
    Trip,
)
from jiedao.core.workdays import add_workdays
from tests.affairs.factories import advance, make_item, make_point, make_ticket
from tests.conftest import bearer
from tests.factories import make_enterprise, make_person

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
API = "/api/v1/affairs"
MASKED_MOBILE = re.compile(r"^1\d{2}\*{4}\d{4}$")
_seq = itertools.count()


def api(user: Any) -> Client:
    return Client(**bearer(user))


def post_json(client: Client, url: str, payload: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    return body


@pytest.fixture
def net(tree, users) -> dict[str, Any]:
    """A city catalogue item, a centre and a help point in 天目西路, a centre in 北站, and a
    ticket in each subdistrict (one of them filed by resident1)."""
    item = make_item(tree.city, "API-01", "居住证办理", time_limit_days=5, materials=["身份证"])
    centre_a = make_point(tree.sub_a, "天目西路受理中心", items=[item])
    help_a = make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT, items=[item])
    centre_b = make_point(tree.sub_b, "北站受理中心", items=[item])
    resident = make_person(tree.committee_a, "王小明", phone="13812345678", user=users["resident1"])
    other = make_person(tree.committee_a, "李四", phone="13912345678")
    mine = make_ticket(actor=users["tmx_clerk"], item=item, point=centre_a, person=resident)
    theirs = make_ticket(actor=users["tmx_clerk"], item=item, point=centre_a, person=other)
    bz = make_ticket(
        actor=users["bz_admin"], item=item, point=centre_b, person=make_person(tree.committee_c)
    )
    return {
        "item": item,
        "centre_a": centre_a,
        "help_a": help_a,
        "centre_b": centre_b,
        "resident": resident,
        "other": other,
        "mine": mine,
        "theirs": theirs,
        "bz": bz,
    }


def complete(ticket: Ticket, actor: Any) -> Ticket:
    return advance(ticket, actor, TicketStatus.ACCEPTED, TicketStatus.COMPLETED)


# --- scoping ------------------------------------------------------------------------------------
def test_another_subdistrict_sees_none_of_our_tickets(users, net):
    client = api(users["bz_admin"])
    body = client.get(f"{API}/tickets").json()
    assert body["count"] == 1
    assert [t["number"] for t in body["items"]] == [net["bz"].number]
    assert body["items"][0]["number"].startswith("BZ-")
    # every route to a TMX ticket is "not found", never "forbidden"
    pk = net["mine"].pk
    assert_error(client.get(f"{API}/tickets/{pk}"), 404, "not_found")
    assert_error(client.get(f"{API}/tickets/{pk}/trips"), 404, "not_found")
    assert_error(
        post_json(client, f"{API}/tickets/{pk}/transitions", {"to_status": "accepted"}),
        404,
        "not_found",
    )
    assert Ticket.objects.get(pk=pk).status == TicketStatus.SUBMITTED
    points = client.get(f"{API}/points").json()
    assert [p["name"] for p in points["items"]] == ["北站受理中心"]


def test_our_clerk_sees_our_tickets_only(users, net):
    body = api(users["tmx_clerk"]).get(f"{API}/tickets").json()
    assert {t["id"] for t in body["items"]} == {net["mine"].pk, net["theirs"].pk}
    assert_error(api(users["tmx_clerk"]).get(f"{API}/tickets/{net['bz'].pk}"), 404, "not_found")


def test_resident_sees_only_their_own_tickets_and_cannot_file_or_move_them(users, net):
    client = api(users["resident1"])
    body = client.get(f"{API}/tickets").json()
    assert [t["id"] for t in body["items"]] == [net["mine"].pk]
    assert client.get(f"{API}/tickets/{net['mine'].pk}").status_code == 200
    assert_error(client.get(f"{API}/tickets/{net['theirs'].pk}"), 404, "not_found")
    assert_error(
        post_json(
            client, f"{API}/tickets/{net['mine'].pk}/transitions", {"to_status": "withdrawn"}
        ),
        403,
        "forbidden",
    )
    payload = {
        "item_id": net["item"].pk,
        "point_id": net["centre_a"].pk,
        "channel": "window",
        "applicant_person_id": net["resident"].pk,
    }
    assert_error(post_json(client, f"{API}/tickets", payload), 403, "forbidden")
    assert client.get(f"{API}/points").json()["count"] == 0
    assert client.get(f"{API}/return-visits").json()["count"] == 0


def test_applicant_leaves_only_as_name_and_masked_phone(users, net):
    client = api(users["tmx_clerk"])
    for url in (f"{API}/tickets", f"{API}/tickets/{net['mine'].pk}"):
        response = client.get(url)
        text = response.content.decode()
        assert "13812345678" not in text
        assert net["resident"].id_number_masked not in text
        data = response.json()
        ticket = data["items"][0] if "items" in data else data
        applicant = ticket["applicant"]
        assert set(applicant) == {"kind", "name", "phone"}
        assert MASKED_MOBILE.match(applicant["phone"])


def test_enterprise_applicant_shows_the_contact_phone_masked(tree, users, net):
    contact = make_person(tree.sub_a, "赵联系", phone="13700001111")
    firm = make_enterprise(tree.sub_a, "天目科技有限公司", contact=contact)
    ticket = services.ticket_create(
        actor=users["tmx_clerk"],
        item=net["item"],
        point=net["centre_a"],
        channel=Channel.WINDOW,
        applicant_enterprise=firm,
    )
    body = api(users["tmx_clerk"]).get(f"{API}/tickets/{ticket.pk}").json()
    assert body["applicant"] == {"kind": "enterprise", "name": firm.name, "phone": "137****1111"}


# --- create and transitions ---------------------------------------------------------------------
def test_clerk_files_a_ticket_and_moves_it_along_the_map(users, net):
    client = api(users["tmx_clerk"])
    response = post_json(
        client,
        f"{API}/tickets",
        {
            "item_id": net["item"].pk,
            "point_id": net["centre_a"].pk,
            "channel": "window",
            "applicant_person_id": net["other"].pk,
            "materials": {"身份证": True},
            "notes": "窗口受理",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    ticket = Ticket.objects.get(pk=created["id"])
    assert created["status"] == "submitted"
    assert created["number"] == ticket.number and ticket.number.startswith("TMX-")
    assert created["handler_id"] == users["tmx_clerk"].pk
    assert created["due_date"] == add_workdays(timezone.localdate(), 5).isoformat()
    assert created["materials"] == {"身份证": True}
    assert len(created["trips"]) == 1  # a window ticket records the applicant's trip
    assert [t["to_status"] for t in created["transitions"]] == ["submitted"]

    # when: a legal move
    response = post_json(
        client, f"{API}/tickets/{ticket.pk}/transitions", {"to_status": "accepted"}
    )
    # then
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert [t["to_status"] for t in response.json()["transitions"]] == ["submitted", "accepted"]
    moved = TicketTransition.objects.get(ticket=ticket, to_status="accepted")
    assert moved.actor == users["tmx_clerk"]
    assert moved.from_status == "submitted"

    # when: an illegal move
    response = post_json(
        client, f"{API}/tickets/{ticket.pk}/transitions", {"to_status": "resubmitted"}
    )
    # then: refused with a clear message, nothing recorded
    body = assert_error(response, 422, "illegal_transition")
    assert "已受理" in body["message"]
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ACCEPTED
    assert TicketTransition.objects.filter(ticket=ticket).count() == 2
    # an unknown status is illegal too; a return needs a reason
    assert_error(
        post_json(client, f"{API}/tickets/{ticket.pk}/transitions", {"to_status": "lost"}),
        422,
        "illegal_transition",
    )
    assert_error(
        post_json(client, f"{API}/tickets/{ticket.pk}/transitions", {"to_status": "returned"}),
        422,
        "invalid",
    )


def test_a_leader_reads_but_may_not_move_a_ticket(users, net):
    client = api(users["tmx_leader"])
    assert client.get(f"{API}/tickets/{net['mine'].pk}").status_code == 200
    assert_error(
        post_json(client, f"{API}/tickets/{net['mine'].pk}/transitions", {"to_status": "accepted"}),
        403,
        "forbidden",
    )


def test_create_refuses_what_the_clerk_cannot_see_or_the_point_does_not_do(tree, users, net):
    client = api(users["tmx_clerk"])
    base = {"item_id": net["item"].pk, "channel": "window", "applicant_person_id": net["other"].pk}
    # a point of another subdistrict
    assert_error(
        post_json(client, f"{API}/tickets", {**base, "point_id": net["centre_b"].pk}),
        404,
        "not_found",
    )
    # an applicant of another subdistrict
    stranger = make_person(tree.committee_c, "外街道居民")
    payload = {**base, "point_id": net["centre_a"].pk, "applicant_person_id": stranger.pk}
    assert_error(post_json(client, f"{API}/tickets", payload), 404, "not_found")
    # an item the point does not handle
    other_item = make_item(tree.city, "API-02", "其他事项")
    payload = {**base, "point_id": net["centre_a"].pk, "item_id": other_item.pk}
    body = assert_error(post_json(client, f"{API}/tickets", payload), 422, "invalid")
    assert "item" in body["fields"]
    # no applicant at all, an unknown channel
    payload = {"item_id": net["item"].pk, "point_id": net["centre_a"].pk, "channel": "window"}
    assert_error(post_json(client, f"{API}/tickets", payload), 422, "invalid")
    assert_error(
        post_json(client, f"{API}/tickets", {**payload, "channel": "pigeon"}),
        422,
        "validation_error",
    )
    assert Ticket.objects.count() == 3


# --- trips --------------------------------------------------------------------------------------
def test_recording_a_second_trip_counts_against_one_trip(users, net):
    client = api(users["tmx_clerk"])
    ticket = net["theirs"]
    url = f"{API}/tickets/{ticket.pk}/trips"
    assert len(client.get(url).json()) == 1
    today = timezone.localdate().isoformat()

    response = post_json(
        client, url, {"date": today, "point_id": net["help_a"].pk, "purpose": "补交材料"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["point_name"] == "华新帮办点"
    assert response.json()["recorded_by_name"] == str(users["tmx_clerk"])
    trips = client.get(url).json()
    assert [t["purpose"] for t in trips] == ["提交申请", "补交材料"]
    assert Trip.objects.filter(ticket=ticket).count() == 2
    complete(ticket, users["tmx_clerk"])
    more = client.get(f"{API}/tickets", {"one_trip": "no"}).json()
    assert [t["id"] for t in more["items"]] == [ticket.pk]
    # a trip in the future, or at a point of another subdistrict, is refused
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = {"date": tomorrow, "point_id": net["centre_a"].pk}
    assert_error(post_json(client, url, body), 422, "invalid")
    body = {"date": today, "point_id": net["centre_b"].pk}
    assert_error(post_json(client, url, body), 404, "not_found")
    assert Trip.objects.filter(ticket=ticket).count() == 2


# --- return visits ------------------------------------------------------------------------------
def test_a_low_score_opens_a_linked_follow_up_ticket(users, net):
    client = api(users["tmx_clerk"])
    ticket = complete(net["theirs"], users["tmx_clerk"])

    response = post_json(
        client,
        f"{API}/tickets/{ticket.pk}/return-visits",
        {
            "satisfaction": 2,
            "resolution": "partly",
            "answers": ["办好了", "两次"],
            "suggestions": "材料要求说得不清楚",
        },
    )

    assert response.status_code == 201, response.content
    visit = response.json()
    assert visit["satisfaction"] == 2
    assert visit["ticket_number"] == ticket.number
    assert visit["answers"][1]["answer"] == "两次"
    follow_up_id = visit["follow_up_ticket_id"]
    assert follow_up_id is not None
    follow_up = client.get(f"{API}/tickets/{follow_up_id}").json()
    assert follow_up["follow_up_of_id"] == ticket.pk
    assert follow_up["status"] == "submitted"
    assert follow_up["trips"] == []  # the applicant did not come for it
    assert client.get(f"{API}/tickets/{ticket.pk}").json()["needs_follow_up"] is True
    listed = client.get(f"{API}/return-visits", {"ticket": ticket.pk}).json()
    assert [v["id"] for v in listed["items"]] == [visit["id"]]


def test_a_good_score_opens_nothing_and_bad_input_is_refused(users, net):
    client = api(users["tmx_clerk"])
    ticket = complete(net["theirs"], users["tmx_clerk"])
    url = f"{API}/tickets/{ticket.pk}/return-visits"
    response = post_json(client, url, {"satisfaction": 5, "resolution": "resolved"})
    assert response.status_code == 201
    assert response.json()["follow_up_ticket_id"] is None
    assert not Ticket.objects.filter(follow_up_of=ticket).exists()
    assert_error(
        post_json(client, url, {"satisfaction": 6, "resolution": "resolved"}),
        422,
        "validation_error",
    )
    # an open ticket is not called back
    open_url = f"{API}/tickets/{net['mine'].pk}/return-visits"
    assert_error(
        post_json(client, open_url, {"satisfaction": 4, "resolution": "resolved"}), 422, "invalid"
    )
    assert ReturnVisit.objects.count() == 1
    # another subdistrict neither sees the visit nor may record one
    bz = api(users["bz_admin"])
    assert bz.get(f"{API}/return-visits").json()["count"] == 0
    assert_error(
        post_json(bz, url, {"satisfaction": 1, "resolution": "not_resolved"}), 404, "not_found"
    )


# --- door-to-door -------------------------------------------------------------------------------
def test_door_to_door_list_is_scoped_and_masked(users, net):
    request = services.door_request_create(
        actor=users["hx_worker"],
        person=net["other"],
        reason="高龄独居",
        requested_via=Channel.PHONE,
    )
    services.door_request_schedule(
        actor=users["tmx_clerk"],
        request=request,
        assigned_to=users["hx_worker"],
        day=timezone.localdate(),
    )
    mine = api(users["hx_worker"]).get(f"{API}/door-to-door", {"mine": "true"}).json()
    assert [r["id"] for r in mine["items"]] == [request.pk]
    row = mine["items"][0]
    assert row["person"] == {"kind": "person", "name": "李四", "phone": "139****5678"}
    assert row["assigned_to_id"] == users["hx_worker"].pk
    assert row["status"] == "scheduled"
    assert api(users["tmx_clerk"]).get(f"{API}/door-to-door", {"mine": "true"}).json()["count"] == 0
    assert api(users["tmx_clerk"]).get(f"{API}/door-to-door").json()["count"] == 1
    assert api(users["bz_admin"]).get(f"{API}/door-to-door").json()["count"] == 0


# --- catalogue, filters, paging -----------------------------------------------------------------
def test_items_are_read_from_the_city_catalogue(users, net):
    body = api(users["bz_admin"]).get(f"{API}/items").json()
    assert [i["code"] for i in body["items"]] == ["API-01"]
    assert body["items"][0]["materials"] == ["身份证"]
    assert api(users["resident1"]).get(f"{API}/items").json()["count"] == 0


def test_ticket_filters(users, net):
    client = api(users["tmx_clerk"])
    late = make_ticket(
        actor=users["tmx_clerk"],
        item=net["item"],
        point=net["centre_a"],
        submitted_at=timezone.now() - timedelta(days=30),
    )
    assert [t["id"] for t in client.get(f"{API}/tickets", {"due": "overdue"}).json()["items"]] == [
        late.pk
    ]
    by_number = client.get(f"{API}/tickets", {"q": net["mine"].number}).json()
    assert [t["id"] for t in by_number["items"]] == [net["mine"].pk]
    complete(net["theirs"], users["tmx_clerk"])
    done = client.get(f"{API}/tickets", {"status": "completed"}).json()
    assert [t["id"] for t in done["items"]] == [net["theirs"].pk]
    assert client.get(f"{API}/tickets", {"point": net["centre_b"].pk}).json()["count"] == 0
    assert client.get(f"{API}/tickets", {"q": "x\x00" * 80}).status_code == 200
    for bad in ({"status": "lost"}, {"due": "later"}, {"submitted_from": "yesterday"}):
        assert_error(client.get(f"{API}/tickets", bad), 422, "validation_error")


def test_paging_is_bounded(users, net):
    client = api(users["tmx_clerk"])
    page = client.get(f"{API}/tickets", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    assert_error(client.get(f"{API}/tickets", {"limit": 1001}), 422, "validation_error")
    assert_error(client.get(f"{API}/tickets", {"offset": 2**31}), 422, "validation_error")


# --- query count --------------------------------------------------------------------------------
def add_tickets(tree, users, net, n: int) -> None:
    """Tickets touching every relation the list shows: person or firm (with contact), handler,
    item, point; half of them moved on."""
    for _ in range(n):
        i = next(_seq)
        point = net["help_a"] if i % 3 == 0 else net["centre_a"]
        actor = users["hx_worker"] if point == net["help_a"] else users["tmx_clerk"]
        if i % 2:
            contact = make_person(tree.sub_a, f"联系人{i}")
            firm = make_enterprise(tree.sub_a, f"企业{i}有限公司", contact=contact)
            ticket = services.ticket_create(
                actor=actor,
                item=net["item"],
                point=point,
                channel=Channel.WINDOW,
                applicant_enterprise=firm,
                submitted_at=datetime(2025, 3, 3, 10, tzinfo=SH) + timedelta(hours=i),
            )
        else:
            ticket = make_ticket(actor=actor, item=net["item"], point=point, channel=Channel.ONLINE)
            advance(ticket, actor, TicketStatus.ACCEPTED)


def count_queries(client: Client, url: str) -> tuple[list[str], Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return [q["sql"] for q in ctx.captured_queries], response


def test_ticket_list_query_count_is_constant(tree, users, net):
    # given: the fixture's 2 visible tickets plus 1
    client = api(users["tmx_clerk"])
    add_tickets(tree, users, net, 1)
    count_queries(client, f"{API}/tickets")  # warm-up: the token's first use
    few, response = count_queries(client, f"{API}/tickets")
    assert response.json()["count"] == 3
    # when
    add_tickets(tree, users, net, 27)
    many, response = count_queries(client, f"{API}/tickets")
    # then
    assert response.json()["count"] == 30
    assert {t["applicant"]["kind"] for t in response.json()["items"]} == {"person", "enterprise"}
    assert len(many) == len(few), "\n".join(many)
