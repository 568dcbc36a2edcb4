"""The government-services pages: desk, ticket list and detail, door-to-door, return visits,
dashboard. Fixtures go through the services, with explicit dates where a figure depends on them.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.affairs import services
from jiedao.affairs.models import (
    Channel,
    DoorToDoorRequest,
    PointKind,
    ReturnVisit,
    Ticket,
    TicketStatus,
    TicketTransition,
    Trip,
    VisitStatus,
)
from tests.affairs.factories import make_item, make_point
from tests.conftest import login
from tests.core.test_no_external_urls import assert_local_only
from tests.factories import make_person

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
CLEAR_PHONE = "13812345678"
MASKED_PHONE = "138****5678"
HOUSING = {
    "code": "housing",
    "label": "居住类型",
    "datatype": "singlevaluelist",
    "required": True,
    "values": [{"key": "rent", "name": "租赁"}, {"key": "own", "name": "自有"}],
}
_seq = itertools.count()


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH)


@pytest.fixture
def net(tree, users) -> dict[str, Any]:
    """A city catalogue item; TMX's centre, 华新's help point, BZ's centre; one ticket each,
    plus the resident's own ticket."""
    item = make_item(
        tree.city,
        "JZZ-01",
        "居住证办理",
        time_limit_days=7,
        materials=["身份证", "照片"],
        attributes=[HOUSING],
        sample_rate="1.000",
        door_to_door=True,
    )
    centre = make_point(tree.sub_a, "天目西路街道社区事务受理服务中心")
    help_point = make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT)
    bz_centre = make_point(tree.sub_b, "北站街道受理中心")
    person = make_person(tree.committee_a, "张三", phone=CLEAR_PHONE)
    own = make_person(tree.committee_a, "居民戊", user=users["resident1"])
    bz_person = make_person(tree.committee_c, "张四")
    clerk = users["tmx_clerk"]

    def ticket(point, applicant, actor=clerk, channel=Channel.WINDOW) -> Ticket:
        return services.ticket_create(
            actor=actor,
            item=item,
            point=point,
            channel=channel,
            applicant_person=applicant,
            attributes={"housing": "rent"},
        )

    return {
        "item": item,
        "centre": centre,
        "help_point": help_point,
        "bz_centre": bz_centre,
        "person": person,
        "own_person": own,
        "bz_person": bz_person,
        "centre_ticket": ticket(centre, person),
        "help_ticket": ticket(help_point, person, users["hx_worker"], Channel.HELP_POINT),
        "own_ticket": ticket(centre, own),
        "bz_ticket": ticket(bz_centre, bz_person, users["bz_admin"]),
    }


def pages(net: dict[str, Any]) -> list[str]:
    return [
        "/affairs/",
        "/affairs/tickets/",
        f"/affairs/tickets/{net['centre_ticket'].pk}/",
        "/affairs/door/",
        "/affairs/door/mine/",
        "/affairs/return-visits/",
        "/affairs/dashboard/",
    ]


def shown_rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>")


# --- who sees what --------------------------------------------------------------------------
def test_every_page_renders_for_the_clerk_from_its_own_host(net, users):
    client = login(users["tmx_clerk"])
    for url in pages(net):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_local_only(url, body)
        assert 'href="/affairs/dashboard/"' in body, url  # the module's tabs
    assert 'href="/affairs/"' in client.get("/").content.decode()  # the nav entry


def test_subdistrict_leader_reads_but_has_no_forms(net, users):
    client = login(users["tmx_leader"])
    for url in pages(net):
        assert client.get(url).status_code in (200, 404), url
    desk = client.get("/affairs/").content.decode()
    assert 'id="queue"' in desk
    assert 'name="applicant_q"' not in desk  # no new-ticket form
    assert client.post("/affairs/", {"applicant": ""}).status_code == 403
    listing = client.get("/affairs/tickets/").content.decode()
    assert net["centre_ticket"].number in listing and net["help_ticket"].number in listing
    assert client.get("/affairs/dashboard/").status_code == 200
    assert client.get("/affairs/door/mine/").status_code == 404  # handles no visits
    assert client.get("/affairs/tickets/?export=xlsx").status_code == 200


@pytest.mark.parametrize("who", ["expert1", "tmx_business", "ja_leader"])
def test_users_without_a_ticket_role_find_no_page(net, users, who):
    client = login(users[who])
    for url in pages(net):
        assert client.get(url).status_code == 404, (who, url)
    assert 'href="/affairs/"' not in client.get("/").content.decode()


def test_anonymous_users_are_sent_to_log_in(net):
    for url in pages(net):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")


def test_other_subdistrict_admin_sees_none_of_tmx_tickets(net, users):
    client = login(users["bz_admin"])
    tmx = [net["centre_ticket"], net["help_ticket"], net["own_ticket"]]
    listing = client.get("/affairs/tickets/").content.decode()
    desk = client.get("/affairs/").content.decode()
    assert net["bz_ticket"].number in listing
    for t in tmx:
        assert t.number not in listing
        assert t.number not in desk
        assert client.get(f"/affairs/tickets/{t.pk}/").status_code == 404
        assert client.post(f"/affairs/tickets/{t.pk}/take/").status_code == 404
    dashboard = client.get("/affairs/dashboard/").content.decode()
    assert re.search(r'data-figure="total">1<', dashboard)


def test_committee_worker_sees_only_their_help_points_tickets(net, users):
    client = login(users["hx_worker"])
    listing = client.get("/affairs/tickets/").content.decode()
    assert net["help_ticket"].number in listing
    assert net["centre_ticket"].number not in listing
    assert client.get(f"/affairs/tickets/{net['help_ticket'].pk}/").status_code == 200
    assert client.get(f"/affairs/tickets/{net['centre_ticket'].pk}/").status_code == 404
    # their desk offers their own help point, with the help-point channel
    desk = client.get("/affairs/").content.decode()
    assert "华新帮办点" in desk
    assert "天目西路街道社区事务受理服务中心" not in desk
    assert re.search(r'<option value="help_point" selected>', desk)


def test_resident_sees_only_their_own_tickets(net, users):
    client = login(users["resident1"])
    own = net["own_ticket"]
    assert client.get(f"/affairs/tickets/{own.pk}/").status_code == 200
    assert client.get(f"/affairs/tickets/{net['centre_ticket'].pk}/").status_code == 404
    listing = client.get("/affairs/tickets/").content.decode()
    assert own.number in listing
    assert net["centre_ticket"].number not in listing
    for url in ("/affairs/", "/affairs/door/", "/affairs/return-visits/", "/affairs/dashboard/"):
        assert client.get(url).status_code == 404, url
    # no buttons, no staff history, no export
    detail = client.get(f"/affairs/tickets/{own.pk}/").content.decode()
    assert "/transition/" not in detail
    assert "记录创建" not in detail
    assert client.get("/affairs/tickets/?export=xlsx").status_code == 403


# --- the desk -------------------------------------------------------------------------------
def test_desk_defaults_to_the_users_centre_and_the_window(net, users):
    body = login(users["tmx_clerk"]).get("/affairs/").content.decode()
    centre = net["centre"]
    assert re.search(rf'<option value="{centre.pk}" selected>', body)
    assert re.search(r'<option value="window" selected>', body)


def test_creating_a_ticket_at_the_desk(net, users):
    # given
    client = login(users["tmx_clerk"])
    before = Ticket.objects.count()
    # when
    response = client.post(
        "/affairs/",
        {
            "applicant": f"p:{net['person'].pk}",
            "item": net["item"].pk,
            "point": net["centre"].pk,
            "channel": Channel.WINDOW,
            "attr_housing": "own",
            "materials": ["身份证"],
            "notes": "窗口登记",
        },
    )
    # then
    assert Ticket.objects.count() == before + 1
    ticket = Ticket.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/affairs/tickets/{ticket.pk}/"
    assert ticket.applicant_person == net["person"]
    assert ticket.channel == Channel.WINDOW
    assert ticket.handler == users["tmx_clerk"]
    assert ticket.attributes == {"housing": "own"}
    assert ticket.materials == {"身份证": True, "照片": False}
    transitions = list(ticket.transitions.values_list("from_status", "to_status"))
    assert transitions == [("", TicketStatus.SUBMITTED)]
    trips = list(ticket.trips.all())
    assert len(trips) == 1
    assert trips[0].point == net["centre"]
    detail = client.get(response["Location"]).content.decode()
    assert ticket.number in detail
    assert "自有" in detail  # the attribute shown by its choice's name


def test_desk_for_an_enterprise_applicant(net, users, tree):
    from tests.factories import make_enterprise

    firm = make_enterprise(tree.sub_a, "天目科技有限公司")
    client = login(users["tmx_clerk"])
    found = client.get(
        "/affairs/desk/applicants/", {"applicant_q": "天目科技", "field": "applicant"}
    )
    assert f'value="e:{firm.pk}"' in found.content.decode()
    response = client.post(
        "/affairs/",
        {
            "applicant": f"e:{firm.pk}",
            "item": net["item"].pk,
            "point": net["centre"].pk,
            "channel": Channel.WINDOW,
            "attr_housing": "rent",
        },
    )
    assert response.status_code == 302
    assert Ticket.objects.latest("id").applicant_enterprise == firm


def test_desk_form_shows_the_errors_and_creates_nothing(net, users):
    client = login(users["tmx_clerk"])
    before = Ticket.objects.count()
    response = client.post(
        "/affairs/",
        {"applicant": "", "item": net["item"].pk, "point": net["centre"].pk, "channel": "window"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "请先搜索并选择申请人。" in body
    assert 'name="attr_housing"' in body  # the item's fields come back with the form
    assert "这个字段是必填项。" in body  # the required attribute, in the user's language
    assert Ticket.objects.count() == before


def test_desk_refuses_an_applicant_outside_scope(net, users):
    client = login(users["tmx_clerk"])
    before = Ticket.objects.count()
    response = client.post(
        "/affairs/",
        {
            "applicant": f"p:{net['bz_person'].pk}",
            "item": net["item"].pk,
            "point": net["centre"].pk,
            "channel": "window",
            "attr_housing": "rent",
        },
    )
    assert response.status_code == 200
    assert "请先搜索并选择申请人。" in response.content.decode()
    assert Ticket.objects.count() == before


def test_item_fields_load_by_htmx(net, users):
    response = login(users["tmx_clerk"]).get(
        "/affairs/desk/item-fields/", {"item": net["item"].pk}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert '<select name="attr_housing"' in body
    assert "租赁" in body
    assert 'type="checkbox" name="materials" value="身份证"' in body
    assert "7 个工作日" in body


def test_applicant_search_by_pinyin_is_scoped_and_masked(net, users):
    client = login(users["tmx_clerk"])
    for q in ("张", "zhangsan", "zs"):
        body = client.get(
            "/affairs/desk/applicants/", {"applicant_q": q}, HTTP_HX_REQUEST="true"
        ).content.decode()
        assert f'value="p:{net["person"].pk}"' in body, q
        assert MASKED_PHONE in body
        assert CLEAR_PHONE not in body
        assert "张四" not in body  # BZ's resident
    # without JavaScript the search box submits to the desk, which shows the same choices
    desk = client.get("/affairs/", {"applicant_q": "zs"}).content.decode()
    assert f'value="p:{net["person"].pk}"' in desk
    assert login(users["expert1"]).get("/affairs/desk/applicants/?q=zs").status_code == 404


def test_taking_an_unassigned_ticket_from_the_queue(net, users):
    clerk = users["tmx_clerk"]
    phoned = services.ticket_create(
        actor=clerk,
        item=net["item"],
        point=net["centre"],
        channel=Channel.PHONE,
        applicant_person=net["person"],
        attributes={"housing": "rent"},
    )
    assert phoned.handler is None
    client = login(clerk)
    desk = client.get("/affairs/").content.decode()
    assert f"/affairs/tickets/{phoned.pk}/take/" in desk
    response = client.post(f"/affairs/tickets/{phoned.pk}/take/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="queue"' in response.content.decode()
    phoned.refresh_from_db()
    assert phoned.handler == clerk
    # a leader reads the queue but may not take
    assert login(users["tmx_leader"]).post(f"/affairs/tickets/{phoned.pk}/take/").status_code == 403


# --- the ticket list ------------------------------------------------------------------------
def test_ticket_list_filters(net, users):
    client = login(users["tmx_clerk"])
    by_point = client.get("/affairs/tickets/", {"point": net["help_point"].pk}).content.decode()
    assert net["help_ticket"].number in by_point
    assert net["centre_ticket"].number not in by_point
    by_name = client.get("/affairs/tickets/", {"q": "居民戊"}).content.decode()
    assert net["own_ticket"].number in by_name
    assert net["centre_ticket"].number not in by_name
    # a filter that does not parse is ignored, not an error
    assert client.get("/affairs/tickets/?submitted_from=nonsense&item=x").status_code == 200
    partial = client.get("/affairs/tickets/", {"channel": "help_point"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert net["help_ticket"].number in partial.content.decode()


def test_export_is_masked_and_scoped(net, users):
    response = login(users["tmx_clerk"]).get("/affairs/tickets/?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "张三" in cells
    assert MASKED_PHONE in cells
    assert not any(CLEAR_PHONE in c for c in cells)
    assert net["centre_ticket"].number in cells
    assert net["bz_ticket"].number not in cells


def _add_tickets(net: dict[str, Any], users: dict[str, Any], n: int) -> None:
    """Tickets touching every relation the list and the queue show: applicants (people and
    firms), handlers (none, the clerk, another clerk), overdue and due-soon dates."""
    from tests.factories import make_enterprise

    clerk = users["tmx_clerk"]
    for _ in range(n):
        i = next(_seq)
        kwargs: dict[str, Any] = {}
        if i % 3 == 0:
            kwargs["applicant_enterprise"] = make_enterprise(net["centre"].org_unit, f"企业{i}")
        else:
            kwargs["applicant_person"] = make_person(net["centre"].org_unit, f"居民{i}")
        actor = clerk if i % 2 else users["tmx_admin"]
        submitted = timezone.now() - timedelta(days=30 if i % 4 == 0 else 0)
        services.ticket_create(
            actor=actor,
            item=net["item"],
            point=net["centre"],
            channel=Channel.PHONE if i % 5 == 0 else Channel.WINDOW,
            attributes={"housing": "rent"},
            submitted_at=submitted,
            **kwargs,
        )


def _queries(client: Client, url: str) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries], response.content.decode()


def test_ticket_list_query_count_is_constant(net, users):
    client = login(users["tmx_clerk"])
    url = f"/affairs/tickets/?point={net['centre'].pk}&status=submitted"
    _add_tickets(net, users, 3)
    baseline = Ticket.objects.filter(point=net["centre"], status="submitted").count()
    _queries(client, url)  # warm-up: session, content types, translations
    few, body = _queries(client, url)
    assert shown_rows(body) == baseline
    _add_tickets(net, users, 27)
    many, body = _queries(client, url)
    assert shown_rows(body) == baseline + 27
    assert len(many) == len(few), "\n".join(many)


def test_desk_queue_query_count_is_constant(net, users):
    client = login(users["tmx_clerk"])
    _add_tickets(net, users, 3)
    _queries(client, "/affairs/")
    few, body = _queries(client, "/affairs/")
    _add_tickets(net, users, 27)
    many, body = _queries(client, "/affairs/")
    assert body.count('class="queue-row') > 10
    assert len(many) == len(few), "\n".join(many)


# --- the ticket detail ----------------------------------------------------------------------
def test_illegal_transition_shows_the_message_and_changes_nothing(net, users):
    ticket = net["centre_ticket"]
    client = login(users["tmx_clerk"])
    moves = TicketTransition.objects.filter(ticket=ticket).count()
    response = client.post(
        f"/affairs/tickets/{ticket.pk}/transition/", {"to_status": TicketStatus.RESUBMITTED}
    )
    assert response.status_code == 200
    assert "办件当前状态为“已提交”，不能改为“已补正”。" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SUBMITTED
    assert TicketTransition.objects.filter(ticket=ticket).count() == moves


def test_returning_needs_a_note(net, users):
    ticket = net["centre_ticket"]
    client = login(users["tmx_clerk"])
    response = client.post(
        f"/affairs/tickets/{ticket.pk}/transition/", {"to_status": TicketStatus.RETURNED}
    )
    assert "退回或不予受理时请说明原因。" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SUBMITTED
    response = client.post(
        f"/affairs/tickets/{ticket.pk}/transition/",
        {"to_status": TicketStatus.RETURNED, "note": "缺少照片"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RETURNED
    detail = client.get(response["Location"]).content.decode()
    assert "已提交 → 退回补正" in detail  # the transition, with its note
    assert "缺少照片" in detail
    assert "状态: 已提交 → 退回补正" in detail  # the audit history's update, in words


def test_detail_offers_each_legal_next_status(net, users):
    ticket = net["centre_ticket"]
    body = login(users["tmx_clerk"]).get(f"/affairs/tickets/{ticket.pk}/").content.decode()
    offered = set(re.findall(r'name="to_status" value="(\w+)"', body))
    assert offered == {"accepted", "returned", "rejected", "withdrawn"}
    services.ticket_transition(
        actor=users["tmx_clerk"], ticket=ticket, to_status=TicketStatus.WITHDRAWN
    )
    body = login(users["tmx_clerk"]).get(f"/affairs/tickets/{ticket.pk}/").content.decode()
    assert 'name="to_status"' not in body


def test_leader_reads_the_detail_but_cannot_move_the_ticket(net, users):
    ticket = net["centre_ticket"]
    client = login(users["tmx_leader"])
    body = client.get(f"/affairs/tickets/{ticket.pk}/").content.decode()
    assert ticket.number in body
    assert 'name="to_status"' not in body
    response = client.post(
        f"/affairs/tickets/{ticket.pk}/transition/", {"to_status": TicketStatus.ACCEPTED}
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SUBMITTED


def test_recording_a_trip_and_the_timeline(net, users):
    ticket = net["centre_ticket"]
    client = login(users["tmx_clerk"])
    response = client.post(
        f"/affairs/tickets/{ticket.pk}/trips/",
        {
            "date": timezone.localdate().isoformat(),
            "point": net["centre"].pk,
            "purpose": "补交照片",
        },
    )
    assert response.status_code == 302
    assert Trip.objects.filter(ticket=ticket).count() == 2
    bad = client.post(
        f"/affairs/tickets/{ticket.pk}/trips/",
        {"date": "2000-01-01", "point": net["centre"].pk},
    )
    assert "跑动日期应在提交日期和今天之间。" in bad.content.decode()
    assert Trip.objects.filter(ticket=ticket).count() == 2
    body = client.get(f"/affairs/tickets/{ticket.pk}/").content.decode()
    assert "补交照片" in body
    assert "到现场：天目西路街道社区事务受理服务中心" in body
    assert "记录创建" in body  # the audit history, for staff
    assert MASKED_PHONE in body
    assert CLEAR_PHONE not in body


def test_follow_up_and_original_link_each_other(net, users):
    clerk = users["tmx_clerk"]
    ticket = net["centre_ticket"]
    for status in (TicketStatus.ACCEPTED, TicketStatus.COMPLETED):
        ticket = services.ticket_transition(actor=clerk, ticket=ticket, to_status=status)
    services.return_visit_record(
        actor=clerk, ticket=ticket, satisfaction=1, resolution="not_resolved"
    )
    follow_up = Ticket.objects.get(follow_up_of=ticket)
    client = login(clerk)
    original = client.get(f"/affairs/tickets/{ticket.pk}/").content.decode()
    assert f'href="/affairs/tickets/{follow_up.pk}/"' in original
    assert "回访：满意度 1 分，未解决" in original
    linked = client.get(f"/affairs/tickets/{follow_up.pk}/").content.decode()
    assert f'href="/affairs/tickets/{ticket.pk}/"' in linked


# --- door-to-door ---------------------------------------------------------------------------
def test_door_to_door_from_request_to_outcome(net, users):
    clerk, worker = login(users["tmx_clerk"]), login(users["hx_worker"])
    person = net["person"]
    # raised at a help point
    response = clerk.post(
        "/affairs/door/",
        {
            "person": f"p:{person.pk}",
            "reason": "行动不便",
            "requested_via": Channel.HELP_POINT,
            "point": net["help_point"].pk,
            "item": net["item"].pk,
        },
    )
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode()
    )
    visit = DoorToDoorRequest.objects.get(person=person)
    listing = clerk.get("/affairs/door/").content.decode()
    assert "行动不便" in listing
    assert MASKED_PHONE in listing and CLEAR_PHONE not in listing
    # scheduled to the committee worker for today
    response = clerk.post(
        f"/affairs/door/{visit.pk}/schedule/",
        {
            f"s{visit.pk}-assigned_to": users["hx_worker"].pk,
            f"s{visit.pk}-day": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    assert visit.assigned_to == users["hx_worker"]
    # on the worker's phone list, and on nobody else's
    mine = worker.get("/affairs/door/mine/").content.decode()
    assert "行动不便" in mine
    assert net["help_ticket"].number in mine  # the applicant's ticket to link
    assert "行动不便" not in clerk.get("/affairs/door/mine/").content.decode()
    # an empty outcome is refused in the form
    empty = worker.post(f"/affairs/door/{visit.pk}/visit/", {f"v{visit.pk}-outcome": ""})
    assert "这个字段是必填项。" in empty.content.decode()
    # the outcome, linked to the ticket
    response = worker.post(
        f"/affairs/door/{visit.pk}/visit/",
        {f"v{visit.pk}-outcome": "已上门核验材料", f"v{visit.pk}-ticket": net["help_ticket"].pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert net["help_ticket"].number in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.VISITED
    assert visit.ticket == net["help_ticket"]
    assert (
        "已上门核验材料"
        in worker.get(f"/affairs/tickets/{net['help_ticket'].pk}/").content.decode()
    )


def test_door_schedule_refuses_a_past_date_in_the_form(net, users):
    visit = services.door_request_create(
        actor=users["tmx_clerk"],
        person=net["person"],
        reason="卧床",
        requested_via=Channel.PHONE,
    )
    response = login(users["tmx_clerk"]).post(
        f"/affairs/door/{visit.pk}/schedule/",
        {f"s{visit.pk}-assigned_to": users["hx_worker"].pk, f"s{visit.pk}-day": "2000-01-01"},
    )
    assert response.status_code == 200
    assert "上门日期不能早于今天。" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REQUESTED


def test_door_pages_are_scoped(net, users):
    visit = services.door_request_create(
        actor=users["tmx_clerk"], person=net["person"], reason="卧床", requested_via=Channel.PHONE
    )
    assert "卧床" not in login(users["bz_admin"]).get("/affairs/door/").content.decode()
    response = login(users["bz_admin"]).post(
        f"/affairs/door/{visit.pk}/schedule/",
        {f"s{visit.pk}-assigned_to": users["bz_admin"].pk, f"s{visit.pk}-day": "2030-01-01"},
    )
    assert response.status_code == 404


# --- return visits --------------------------------------------------------------------------
def _completed(net: dict[str, Any], users: dict[str, Any]) -> Ticket:
    ticket = net["centre_ticket"]
    for status in (TicketStatus.ACCEPTED, TicketStatus.COMPLETED):
        ticket = services.ticket_transition(
            actor=users["tmx_clerk"], ticket=ticket, to_status=status
        )
    return ticket


def test_return_visit_call_list_and_a_flagging_call(net, users):
    # given a completed ticket of an item sampled at 100%
    ticket = _completed(net, users)
    month = f"{timezone.localtime(ticket.completed_at):%Y-%m}"
    client = login(users["tmx_clerk"])
    # the call list shows it, with the phone masked and a way to the person page
    page = client.get("/affairs/return-visits/", {"month": month}).content.decode()
    assert ticket.number in page
    assert MASKED_PHONE in page and CLEAR_PHONE not in page
    assert f'href="/people/{net["person"].pk}/"' in page
    for question in ("您的事项是否已经办好？", "您一共跑了几次？"):
        assert question in page
    # when the caller records "not resolved" with a low score
    prefix = f"t{ticket.pk}"
    response = client.post(
        f"/affairs/tickets/{ticket.pk}/return-visit/",
        {
            "month": month,
            f"{prefix}-answer_0": "没有办好",
            f"{prefix}-answer_1": "两次",
            f"{prefix}-satisfaction": "2",
            f"{prefix}-resolution": "not_resolved",
            f"{prefix}-suggestions": "希望缩短等待时间",
        },
    )
    # then the visit is saved, and the page links the follow-up ticket
    assert response.status_code == 302
    visit = ReturnVisit.objects.get(ticket=ticket)
    assert visit.satisfaction == 2
    assert visit.answers[0] == {"question": "您的事项是否已经办好？", "answer": "没有办好"}
    follow_up = Ticket.objects.get(follow_up_of=ticket)
    after = client.get(response["Location"]).content.decode()
    assert f'href="/affairs/tickets/{follow_up.pk}/"' in after
    assert follow_up.number in after
    assert f'id="call-{ticket.pk}"' in after  # the result, in place of the form
    assert f'name="{prefix}-satisfaction"' not in after  # called: off the list


def test_return_visit_by_htmx_and_its_errors(net, users):
    ticket = _completed(net, users)
    month = f"{timezone.localtime(ticket.completed_at):%Y-%m}"
    client = login(users["tmx_clerk"])
    prefix = f"t{ticket.pk}"
    missing = client.post(
        f"/affairs/tickets/{ticket.pk}/return-visit/",
        {"month": month, f"{prefix}-resolution": "resolved"},
        HTTP_HX_REQUEST="true",
    )
    assert "这个字段是必填项。" in missing.content.decode()
    assert not ReturnVisit.objects.exists()
    done = client.post(
        f"/affairs/tickets/{ticket.pk}/return-visit/",
        {"month": month, f"{prefix}-satisfaction": "5", f"{prefix}-resolution": "resolved"},
        HTTP_HX_REQUEST="true",
    )
    body = done.content.decode()
    assert "<html" not in body
    assert "满意度 5 分" in body
    assert "follow-up-link" not in body
    assert not Ticket.objects.filter(follow_up_of=ticket).exists()


# --- dashboard ------------------------------------------------------------------------------
@pytest.fixture
def march(tree, users) -> dict[str, Any]:
    """Five tickets of March 2024 (no holiday in it), limit 5 working days (due 11 March):

    A completed 5 March, one trip          → 1 working day
    B completed 5 March, two trips         → 1 working day, not one-trip
    C returned, resubmitted, completed 5 March → 1 working day, not one-go
    D completed 20 March, late             → 12 working days
    E accepted, still open, overdue

    one-trip 3/4 = 75%, one-go 3/4 = 75%, on-time 3/(4+1) = 60%, avg 15/4 = 3.75, p90 = 12.
    """
    clerk = users["tmx_clerk"]
    item = make_item(tree.city, "HJ-02", "户籍证明开具", time_limit_days=5)
    centre = make_point(tree.sub_a, "受理中心")
    day = date(2024, 3, 4)

    def ticket(name: str) -> Ticket:
        return services.ticket_create(
            actor=clerk,
            item=item,
            point=centre,
            channel=Channel.WINDOW,
            applicant_person=make_person(tree.committee_b, name),
            submitted_at=at(day, 9),
        )

    def move(t: Ticket, *steps: tuple[str, datetime]) -> Ticket:
        for status, when in steps:
            t = services.ticket_transition(
                actor=clerk, ticket=t, to_status=status, note="缺材料", at=when
            )
        return t

    done = at(date(2024, 3, 5))
    a, b, c, d, e = (ticket(n) for n in "甲乙丙丁戊")
    move(a, ("accepted", at(day, 11)), ("completed", done))
    services.trip_record(actor=clerk, ticket=b, day=date(2024, 3, 5), point=centre)
    move(b, ("accepted", at(day, 11)), ("completed", done))
    move(
        c,
        ("returned", at(day, 11)),
        ("resubmitted", at(day, 15)),
        ("accepted", at(day, 16)),
        ("completed", done),
    )
    move(d, ("accepted", at(day, 11)), ("completed", at(date(2024, 3, 20))))
    move(e, ("accepted", at(day, 11)))
    return {"tickets": [a, b, c, d, e]}


def _figure(body: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}">([^<]*)<', body)
    assert found, key
    return found.group(1)


def test_dashboard_figures_equal_the_hand_computed_ones(march, users):
    client = login(users["tmx_clerk"])
    body = client.get("/affairs/dashboard/").content.decode()
    assert _figure(body, "one_trip") == "75.0%"
    assert _figure(body, "one_go") == "75.0%"
    assert _figure(body, "on_time") == "60.0%"
    assert _figure(body, "avg_days") == "3.75 个工作日"
    assert _figure(body, "p90_days") == "12 个工作日"
    assert _figure(body, "completed") == "4"
    assert _figure(body, "overdue_open") == "1"
    assert _figure(body, "total") == "5"
    # each definition is shown
    assert "只跑一次率 = 至多到现场一次的已办结办件 ÷ 已办结办件" in body
    # and each link opens the tickets the figure counts
    for query, rows in (
        ("one_trip=yes", 3),
        ("returned=no", 3),
        ("on_time=yes", 3),
        ("status=completed", 4),
        ("due=overdue", 1),
    ):
        assert f'href="/affairs/tickets/?{query}"' in body, query
        listing = client.get(f"/affairs/tickets/?{query}").content.decode()
        assert shown_rows(listing) == rows, query


def test_dashboard_embeds_its_chart_data_from_the_selectors(march, users):
    response = login(users["tmx_clerk"]).get("/affairs/dashboard/")
    body = response.content.decode()
    assert '<script id="affairs-data" type="application/json">' in body
    assert "/static/vendor/echarts/echarts.min.js" in body
    assert "/static/jiedao/affairs-dashboard.js" in body
    data = response.context["chart_data"]
    assert data["channel"] == [
        {"key": "window", "label": "窗口", "count": 5, "url": "/affairs/tickets/?channel=window"}
    ]
    assert [r["count"] for r in data["point"]] == [5]
    assert data["areas"] == []  # the fixture's tickets belong to no named area
    assert len(data["monthly"]) == 12


def test_dashboard_satisfaction_tables(net, users):
    ticket = _completed(net, users)
    services.return_visit_record(
        actor=users["tmx_clerk"], ticket=ticket, satisfaction=4, resolution="resolved"
    )
    body = login(users["tmx_clerk"]).get("/affairs/dashboard/").content.decode()
    assert f'href="/affairs/tickets/?item={net["item"].pk}&amp;status=completed"' in body
    assert "<td>4.0</td>" in body


def test_dashboard_shows_the_service_network_from_the_registry(net, users):
    from tests.affairs.factories import make_point

    for i in range(3):
        make_point(net["centre"].org_unit, f"自助服务站{i}", kind=PointKind.SELF_SERVICE)
    make_point(net["centre"].org_unit, "上门帮办队", kind=PointKind.DOOR_TO_DOOR)
    body = login(users["tmx_clerk"]).get("/affairs/dashboard/").content.decode()
    assert re.search(r'data-figure="network">1\+3\+1\+X<', body)
    # the other subdistrict's network is its own
    bz = login(users["bz_admin"]).get("/affairs/dashboard/").content.decode()
    assert re.search(r'data-figure="network">1\+0\+0<', bz)
