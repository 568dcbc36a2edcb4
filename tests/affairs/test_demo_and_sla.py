"""The demo's five years of tickets (figures computed from the records), and the SLA job:
overdue and due-soon notices sent once, to the right people, shown on the notifications page."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from jiedao.accounts.models import Role, User
from jiedao.affairs import demo as affairs_demo
from jiedao.affairs.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Channel,
    DoorToDoorRequest,
    PointKind,
    ReturnVisit,
    ServicePoint,
    Ticket,
    TicketStatus,
    TicketTransition,
    VisitStatus,
)
from jiedao.affairs.selectors import rates_of
from jiedao.affairs.services import ticket_sla_check
from jiedao.affairs.tasks import sla_check_task
from jiedao.core.demo import DemoContext
from jiedao.core.models import Notification, OrgUnit
from jiedao.core.workdays import add_workdays
from tests.affairs.factories import advance, make_item, make_point, make_ticket
from tests.conftest import keep_demo_steps, login
from tests.factories import UserFactory

SH = ZoneInfo("Asia/Shanghai")


# --- demo ---------------------------------------------------------------------------------------
def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


@pytest.mark.django_db
def test_demo_builds_years_of_tickets_whose_figures_come_from_the_records(monkeypatch):
    # given: a twentieth of the volume, so that the test stays quick
    monkeypatch.setenv(affairs_demo.TICKET_SCALE_ENV, "0.05")
    keep_demo_steps(monkeypatch, "affairs")
    out = io.StringIO()

    # when
    call_command("demo", stdout=out)

    # then: about 1,500 Tianmu tickets over five years, up to yesterday
    today = timezone.localdate()
    tmx = OrgUnit.objects.get(code="TMX")
    tickets = Ticket.objects.filter(org_unit__path__startswith=tmx.path)
    assert 1400 <= tickets.count() <= 1700
    assert Ticket.objects.filter(number__startswith="BZ-").count() >= 90
    first = tickets.order_by("submitted_at").first()
    last = tickets.order_by("submitted_at").last()
    assert first is not None and last is not None
    assert timezone.localtime(first.submitted_at).date() < date(2022, 1, 1)
    assert timezone.localtime(last.submitted_at).date() < today
    assert set(tickets.values_list("channel", flat=True)) == set(Channel.values)

    # the one-trip rate, counted here from the trips themselves, is over 99% but not 100%
    completed = tickets.filter(status=TicketStatus.COMPLETED).annotate(trips_n=Count("trips"))
    done = completed.count()
    one_trip = completed.filter(trips_n__lte=1).count()
    assert 0.99 < one_trip / done < 1
    rates = rates_of(tickets, today=today)
    assert rates.one_trip == one_trip and rates.completed == done
    assert rates.one_trip_rate is not None and rates.one_trip_rate > 99
    assert f"one-trip rate {rates.one_trip_rate}%" in out.getvalue()
    # most finish on time; returns for missing materials are followed by a resubmission
    assert rates.on_time_rate is not None and rates.on_time_rate > 97
    returned = TicketTransition.objects.filter(ticket__in=tickets, to_status=TicketStatus.RETURNED)
    assert 0 < returned.count() <= 0.02 * done
    assert set(returned.values_list("ticket", flat=True)) == set(
        TicketTransition.objects.filter(
            ticket__in=tickets, to_status=TicketStatus.RESUBMITTED
        ).values_list("ticket", flat=True)
    )
    # every move follows the transition map, and each ticket's moves are in time order
    for from_status, to_status in TicketTransition.objects.filter(ticket__in=tickets).values_list(
        "from_status", "to_status"
    ):
        assert from_status == "" or to_status in TRANSITIONS[from_status], (from_status, to_status)
    last_status: dict[int, tuple[datetime, str]] = {}
    for ticket_id, at, to_status in (
        TicketTransition.objects.filter(ticket__in=tickets)
        .order_by("ticket", "at", "id")
        .values_list("ticket", "at", "to_status")
    ):
        last_status[ticket_id] = (at, to_status)
    statuses = dict(tickets.values_list("pk", "status"))
    assert {pk: s for pk, (_at, s) in last_status.items()} == statuses
    # due dates count working days from the day of receipt
    for ticket in tickets.select_related("item").order_by("pk")[:200]:
        received = timezone.localtime(ticket.submitted_at).date()
        assert ticket.due_date == add_workdays(received, ticket.item.time_limit_days)

    # the SLA lists are not empty: a handful overdue, a few due soon
    overdue = tickets.filter(status__in=OPEN_STATUSES, due_date__lt=today)
    assert 5 <= overdue.count() <= 15
    assert tickets.filter(status__in=OPEN_STATUSES, due_date__gte=today).exists()
    assert overdue.filter(handler__username="tmx_clerk").exists()

    # return visits on about 8% of completed tickets, mostly satisfied; low scores followed up
    visits = ReturnVisit.objects.filter(ticket__in=tickets)
    assert 0.04 * done <= visits.count() <= 0.14 * done
    assert visits.filter(satisfaction__gte=4).count() > 0.8 * visits.count()
    low = visits.filter(satisfaction__lte=2)
    assert low.exists()
    for visit in low.select_related("ticket"):
        assert visit.ticket.needs_follow_up
        follow_up = Ticket.objects.get(follow_up_of=visit.ticket)
        assert follow_up.applicant_person_id == visit.ticket.applicant_person_id
        assert follow_up.submitted_at > visit.called_at
    assert all(v.called_at < timezone.now() for v in visits)

    # door-to-door help in the north, by tmx_clerk: visits done and linked, some coming up
    north = OrgUnit.objects.get(code="TMX-N")
    doors = DoorToDoorRequest.objects.all()
    assert doors.exists()
    assert not doors.exclude(org_unit__path__startswith=north.path).exists()
    visited = doors.filter(status=VisitStatus.VISITED)
    assert visited.exists()
    assert not visited.filter(Q(ticket__isnull=True) | Q(outcome="")).exists()
    for request in visited.select_related("ticket"):
        assert request.ticket is not None
        assert request.ticket.applicant_person_id == request.person_id
        assert request.ticket.channel == Channel.DOOR_TO_DOOR
    coming = doors.filter(status=VisitStatus.SCHEDULED, scheduled_date__gte=today)
    assert coming.count() >= 3
    assert set(coming.values_list("assigned_to__username", flat=True)) == {"tmx_clerk"}

    # tmx_clerk works at the centre
    centre = ServicePoint.objects.get(org_unit=tmx, kind=PointKind.CENTRE)
    assert centre.staff.filter(username="tmx_clerk").exists()

    # and a second run adds nothing
    before = _counts()
    step = affairs_demo.demo_tickets
    step(DemoContext("affairs.tickets", settings.JIEDAO_DEMO_SEED, lambda _line: None))
    assert _counts() == before


def test_ticket_scale_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv(affairs_demo.TICKET_SCALE_ENV, raising=False)
    assert affairs_demo.ticket_scale() == 1.0
    monkeypatch.setenv(affairs_demo.TICKET_SCALE_ENV, "0.1")
    assert affairs_demo.ticket_scale() == 0.1
    monkeypatch.setenv(affairs_demo.TICKET_SCALE_ENV, "lots")
    assert affairs_demo.ticket_scale() == 1.0


# --- SLA job ------------------------------------------------------------------------------------
RECEIVED = datetime(2025, 3, 3, 10, tzinfo=SH)  # a Monday; 5 working days → due 2025-03-10
DUE = date(2025, 3, 10)
LATER = date(2025, 3, 20)


@pytest.fixture
def sla(tree, users) -> dict[str, Any]:
    item = make_item(tree.city, "SLA-01", "居住证办理", time_limit_days=5)
    centre_a = make_point(tree.sub_a, "天目西路受理中心", items=[item])
    help_a = make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT, items=[item])
    centre_b = make_point(tree.sub_b, "北站受理中心", items=[item])
    extra = {
        "tmx_clerk2": UserFactory.with_role(Role.SERVICE_CLERK, tree.sub_a, username="tmx_clerk2"),
        "bz_clerk": UserFactory.with_role(Role.SERVICE_CLERK, tree.sub_b, username="bz_clerk"),
        "bz_leader": UserFactory.with_role(
            Role.SUBDISTRICT_LEADER, tree.sub_b, username="bz_leader"
        ),
    }
    clerk = users["tmx_clerk"]
    tickets = {
        # at a window: the clerk who took it is the handler
        "assigned": make_ticket(actor=clerk, item=item, point=centre_a, submitted_at=RECEIVED),
        # online: nobody has taken it yet
        "unassigned": make_ticket(
            actor=clerk, item=item, point=centre_a, channel=Channel.ONLINE, submitted_at=RECEIVED
        ),
        # at a help point, unassigned: filed under a committee of the subdistrict
        "help_point": make_ticket(
            actor=users["hx_worker"],
            item=item,
            point=help_a,
            channel=Channel.PHONE,
            submitted_at=RECEIVED,
        ),
        "done": advance(
            make_ticket(actor=clerk, item=item, point=centre_a, submitted_at=RECEIVED),
            clerk,
            TicketStatus.ACCEPTED,
            TicketStatus.COMPLETED,
            at=RECEIVED + timedelta(days=8),
        ),
        "bz": make_ticket(
            actor=users["bz_admin"], item=item, point=centre_b, submitted_at=RECEIVED
        ),
    }
    for ticket in tickets.values():
        assert ticket.due_date == DUE
    return {**tickets, "users": {**users, **extra}}


def recipients(ticket: Ticket, kind: str = "overdue") -> set[str]:
    return set(
        Notification.objects.filter(key=f"ticket-{kind}:{ticket.pk}").values_list(
            "user__username", flat=True
        )
    )


@pytest.mark.django_db
def test_running_the_check_twice_notifies_once(sla):
    # when
    first = ticket_sla_check(today=LATER)
    marked = dict(Ticket.objects.values_list("pk", "breach_notified_at"))
    second = ticket_sla_check(today=LATER)
    # then
    assert first == Notification.objects.count() > 0
    assert second == 0
    assert Notification.objects.count() == first
    assert dict(Ticket.objects.values_list("pk", "breach_notified_at")) == marked
    # even a ticket whose mark was lost is not announced twice to the same person
    Ticket.objects.filter(pk=sla["assigned"].pk).update(breach_notified_at=None)
    assert ticket_sla_check(today=LATER) == 0
    assert Ticket.objects.get(pk=sla["assigned"].pk).breach_notified_at is not None


@pytest.mark.django_db
def test_nothing_is_overdue_before_the_due_date_and_a_completed_ticket_never_is(sla):
    ticket_sla_check(today=DUE)  # due today: "due soon", not overdue
    assert not Notification.objects.filter(key__startswith="ticket-overdue:").exists()
    assert not Ticket.objects.exclude(breach_notified_at=None).exists()
    ticket_sla_check(today=LATER)
    done = Ticket.objects.get(pk=sla["done"].pk)
    assert done.breach_notified_at is None
    assert recipients(done) == set()
    assert Ticket.objects.get(pk=sla["assigned"].pk).breach_notified_at is not None


@pytest.mark.django_db
def test_only_the_right_people_are_told(sla):
    ticket_sla_check(today=LATER)
    # assigned: the handler and the subdistrict's leader, no other clerk
    assert recipients(sla["assigned"]) == {"tmx_clerk", "tmx_leader"}
    # unassigned: the leader and every clerk of the subdistrict
    assert recipients(sla["unassigned"]) == {"tmx_leader", "tmx_clerk", "tmx_clerk2"}
    assert recipients(sla["help_point"]) == {"tmx_leader", "tmx_clerk", "tmx_clerk2"}
    # another subdistrict's ticket: its handler and its leader only
    assert recipients(sla["bz"]) == {"bz_admin", "bz_leader"}
    told = set(Notification.objects.values_list("user__username", flat=True))
    for outsider in ("ja_leader", "tmx_admin", "hx_worker", "resident1", "bz_clerk", "admin"):
        assert outsider not in told
    note = Notification.objects.get(
        key=f"ticket-overdue:{sla['assigned'].pk}", user__username="tmx_leader"
    )
    assert sla["assigned"].number in note.message
    assert "超过办结期限" in note.message
    assert note.url == f"/affairs/tickets/{sla['assigned'].pk}/"


@pytest.mark.django_db
def test_an_inactive_handler_or_leader_is_not_told(sla):
    User.objects.filter(username="tmx_leader").update(is_active=False)
    ticket_sla_check(today=LATER)
    assert recipients(sla["assigned"]) == {"tmx_clerk"}


@pytest.mark.django_db
def test_due_soon_tells_the_handler_once(sla):
    # given: two working days before the due date (Thursday 6 → Monday 10 March)
    today = date(2025, 3, 6)
    # when
    sent = ticket_sla_check(today=today)
    again = ticket_sla_check(today=today)
    # then: only assigned open tickets, only their handlers
    assert again == 0
    assert recipients(sla["assigned"], "due-soon") == {"tmx_clerk"}
    assert recipients(sla["bz"], "due-soon") == {"bz_admin"}
    assert recipients(sla["unassigned"], "due-soon") == set()
    assert recipients(sla["done"], "due-soon") == set()
    assert sent == Notification.objects.count() == 2
    assert not Ticket.objects.exclude(breach_notified_at=None).exists()
    # a week before the due date, nothing is due soon yet
    Notification.objects.all().delete()
    assert ticket_sla_check(today=date(2025, 3, 3)) == 0


@pytest.mark.django_db
def test_the_job_runs_inline_hourly_and_from_the_command(sla):
    # the beat schedule names the task
    schedule = settings.CELERY_BEAT_SCHEDULE["affairs-sla-check"]
    assert schedule["task"] == sla_check_task.name
    assert schedule["schedule"] == 3600
    # without a broker the task runs inline
    sent = sla_check_task.delay().get()
    assert sent == Notification.objects.count() > 0
    # and the command runs the same job, as of a given day
    Notification.objects.all().delete()
    Ticket.objects.update(breach_notified_at=None)
    out = io.StringIO()
    call_command("sla_check", "--today", LATER.isoformat(), stdout=out)
    assert re.search(r"\d+ notification", out.getvalue())
    assert recipients(sla["assigned"]) == {"tmx_clerk", "tmx_leader"}


# --- notifications page -------------------------------------------------------------------------
@pytest.mark.django_db
def test_notifications_page_badge_and_marking_read(sla):
    ticket_sla_check(today=LATER)
    users = sla["users"]
    leader = users["tmx_leader"]
    client = login(leader)
    mine = Notification.objects.filter(user=leader)
    assert mine.count() == 3

    # the nav shows how many are unread
    home = client.get("/", follow=True).content.decode()  # a leader lands on the report card
    assert re.search(r'id="nav-notifications"[^>]*>[^<]*<mark[^>]*>3</mark>', home)

    # the page lists the user's own messages, linked to the ticket
    page = client.get("/notifications/").content.decode()
    assert sla["assigned"].number in page
    assert f'href="/affairs/tickets/{sla["assigned"].pk}/"' in page
    assert sla["bz"].number not in page

    # marking one read; someone else's id changes nothing
    note = mine.get(key=f"ticket-overdue:{sla['assigned'].pk}")
    assert client.post("/notifications/", {"id": note.pk}).status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    theirs = Notification.objects.get(user__username="bz_leader")
    client.post("/notifications/", {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post("/notifications/", {"id": "x"}).status_code == 404
    home = client.get("/", follow=True).content.decode()
    assert re.search(r"<mark[^>]*>2</mark>", home)

    # marking all read clears the badge
    client.post("/notifications/")
    assert not mine.filter(read_at=None).exists()
    assert "<mark" not in client.get("/", follow=True).content.decode()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.django_db
def test_notifications_page_needs_a_login(sla):
    from django.test import Client

    response = Client().get("/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
