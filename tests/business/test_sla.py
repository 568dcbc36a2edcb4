"""Enterprise requests' due steps on the working-day calendar, and the SLA job: open requests
past a due step are escalated once, to the subdistrict leaders, the building's liaison leader
and the assignee, by the service, the Celery task and the management command alike."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from jiedao.accounts.models import Role
from jiedao.business import services
from jiedao.business.models import EnterpriseRequest, RequestStatus
from jiedao.business.tasks import request_sla_task
from jiedao.core.models import Notification
from tests.business.factories import advance, make_building, make_firm, make_request, make_type
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
# 2025's National Day holiday runs from 1 to 8 October; Saturday 11 October is worked.
RECEIVED = datetime(2025, 9, 30, 10, 0, tzinfo=SH)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def notified(pk: int) -> dict[int, str]:
    return dict(
        Notification.objects.filter(key=f"request-overdue:{pk}").values_list("user_id", "message")
    )


# --- due steps ----------------------------------------------------------------------------------
def test_due_steps_skip_the_national_day_holiday(tree, users):
    # given: acknowledge in 4 hours, answer in 1 working day, resolve in 5
    rtype = make_type(ack_hours=4, response_days=1, resolve_days=5)
    firm = make_firm(make_building(tree.sub_a, "节前大厦"), "节前科技有限公司")

    # when: received on the last working day before the holiday
    request = make_request(users["tmx_business"], firm, rtype, received_at=RECEIVED)

    # then: the answer is due on the first working day after it, the hours run on the clock
    assert request.ack_due == datetime(2025, 9, 30, 14, 0, tzinfo=SH)
    assert request.response_due == date(2025, 10, 9)
    # 9, 10, 11 (a make-up Saturday), 13, 14 October
    assert request.resolve_due == date(2025, 10, 14)


def test_a_step_due_after_the_holiday_is_not_late_during_it(tree, users):
    rtype = make_type(ack_hours=4, response_days=1, resolve_days=5)
    firm = make_firm(make_building(tree.sub_a, "节前大厦"), "节前科技有限公司")
    request = make_request(users["tmx_business"], firm, rtype, received_at=RECEIVED)
    advance(request, users["tmx_business"], RequestStatus.ACKNOWLEDGED, at=at(RECEIVED.date(), 11))

    # on its due day the first answer is not late yet
    assert services.request_sla_escalate(today=date(2025, 10, 9), now=at(date(2025, 10, 9))) == 0
    assert EnterpriseRequest.objects.get(pk=request.pk).escalated_at is None

    # the day after, it is
    sent = services.request_sla_escalate(today=date(2025, 10, 10), now=at(date(2025, 10, 10)))
    assert sent == 2
    assert set(notified(request.pk)) == {users["tmx_leader"].pk, users["tmx_business"].pk}
    message = notified(request.pk)[users["tmx_leader"].pk]
    assert request.number in message and "节前科技有限公司" in message
    assert "首次答复（时限 2025-10-09）" in message
    assert "受理（" not in message  # acknowledged in time
    assert "办结" not in message  # not due before 14 October


# --- escalation ---------------------------------------------------------------------------------
@pytest.fixture
def late(tree, users) -> dict[str, Any]:
    """A request whose first answer and resolution are late, taken by the business officer,
    in a building whose liaison leader heads another area; and a request in a building
    nobody is assigned to, never acknowledged."""
    officer = users["tmx_business"]
    # A leader of the 站南 area: not above 蕃瓜弄, where the firms are registered.
    area_leader = UserFactory.with_role(Role.SUBDISTRICT_LEADER, tree.area_a, username="s_leader")
    bz_leader = UserFactory.with_role(Role.SUBDISTRICT_LEADER, tree.sub_b, username="bz_leader")
    rtype = make_type(ack_hours=4, response_days=1, resolve_days=5)
    tower = make_building(tree.area_a, "站南大厦")
    services.liaison_assign(actor=officer, building=tower, leader=area_leader, department="营商办")
    plain = make_building(tree.sub_a, "普通大厦")
    in_tower = make_firm(tower, "站南科技有限公司", org=tree.committee_b)
    elsewhere = make_firm(plain, "普通贸易有限公司", org=tree.committee_b)
    received = timezone.now() - timedelta(days=30)
    taken = make_request(officer, in_tower, rtype, received_at=received)
    advance(taken, officer, RequestStatus.ACKNOWLEDGED, at=received + timedelta(hours=1))
    untouched = make_request(officer, elsewhere, rtype, received_at=received)
    return {
        "area_leader": area_leader,
        "bz_leader": bz_leader,
        "type": rtype,
        "tower": tower,
        "taken": taken,
        "untouched": untouched,
    }


def test_escalation_notifies_the_leaders_the_liaison_leader_and_the_assignee(users, late):
    # when
    sent = services.request_sla_escalate()

    # then: the subdistrict's leader, the liaison leader of the building and the assignee
    taken = notified(late["taken"].pk)
    assert set(taken) == {
        users["tmx_leader"].pk,
        late["area_leader"].pk,
        users["tmx_business"].pk,
    }
    # nobody took the other one and its building has no liaison: only the subdistrict's leader
    untouched = notified(late["untouched"].pk)
    assert set(untouched) == {users["tmx_leader"].pk}
    assert sent == 4
    # not another subdistrict's leader, nor the district's, nor other staff
    assert not Notification.objects.filter(
        user__in=[late["bz_leader"], users["ja_leader"], users["tmx_admin"], users["enterprise1"]]
    ).exists()

    note = Notification.objects.get(
        user=users["tmx_leader"], key=f"request-overdue:{late['taken'].pk}"
    )
    assert note.url == f"/business/requests/{late['taken'].pk}/"
    assert late["taken"].number in note.message and "站南科技有限公司" in note.message
    assert "首次答复" in note.message and "办结" in note.message
    assert "受理（" not in note.message  # it was acknowledged in time
    assert "受理（" in untouched[users["tmx_leader"].pk]
    for request in (late["taken"], late["untouched"]):
        request.refresh_from_db()
        assert request.escalated_at is not None


def test_a_second_run_escalates_and_notifies_nothing_more(users, late):
    first = services.request_sla_escalate()
    stamps = dict(EnterpriseRequest.objects.values_list("pk", "escalated_at"))
    count = Notification.objects.count()

    second = services.request_sla_escalate()

    assert first == 4 and second == 0
    assert Notification.objects.count() == count
    assert dict(EnterpriseRequest.objects.values_list("pk", "escalated_at")) == stamps


def test_a_run_that_lost_the_race_sends_nothing(users, late, monkeypatch):
    # given: another run marks each request between this run's read and its update
    original = services.request_late_steps

    def other_run_first(request: EnterpriseRequest, **kwargs: Any) -> list[str]:
        EnterpriseRequest.objects.filter(pk=request.pk).update(escalated_at=timezone.now())
        return original(request, **kwargs)

    monkeypatch.setattr(services, "request_late_steps", other_run_first)

    # when
    sent = services.request_sla_escalate()

    # then
    assert sent == 0
    assert not Notification.objects.exists()


def test_resolved_referred_and_closed_requests_are_not_escalated(users, late):
    officer = users["tmx_business"]
    advance(late["taken"], officer, RequestStatus.RESOLVED)
    advance(late["untouched"], officer, RequestStatus.CLOSED)
    referred = make_request(
        officer,
        late["taken"].enterprise,
        late["type"],
        received_at=timezone.now() - timedelta(days=30),
    )
    advance(referred, officer, RequestStatus.ACKNOWLEDGED, RequestStatus.REFERRED)

    assert services.request_sla_escalate() == 0
    assert not Notification.objects.exists()
    assert not EnterpriseRequest.objects.filter(escalated_at__isnull=False).exists()


def test_a_request_within_all_its_steps_is_not_escalated(tree, users, late):
    rtype = late["type"]
    firm = make_firm(make_building(tree.sub_a, "新大厦"), "新科技有限公司")
    fresh = make_request(users["tmx_business"], firm, rtype)
    services.request_sla_escalate()
    assert notified(fresh.pk) == {}
    assert EnterpriseRequest.objects.get(pk=fresh.pk).escalated_at is None


def test_a_late_acknowledgement_alone_escalates(tree, users):
    rtype = make_type(ack_hours=4, response_days=2, resolve_days=10)
    firm = make_firm(make_building(tree.sub_a, "新大厦"), "新科技有限公司")
    request = make_request(users["tmx_business"], firm, rtype, received_at=at(date(2025, 6, 3)))

    # three hours in: on time
    assert services.request_sla_escalate(now=at(date(2025, 6, 3), 12)) == 0
    # five hours in: the acknowledgement is late
    assert services.request_sla_escalate(now=at(date(2025, 6, 3), 14)) == 1
    message = notified(request.pk)[users["tmx_leader"].pk]
    assert "受理（时限 2025-06-03 13:00）" in message
    assert "首次答复" not in message


def test_celery_task_runs_inline_and_beat_runs_it_hourly(users, late):
    assert request_sla_task.delay().get() == 4
    assert request_sla_task.delay().get() == 0
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "jiedao.business.tasks.request_sla_task"
    )
    assert entry["schedule"] == 60 * 60


def test_management_command_checks_as_of_a_given_day(tree, users):
    rtype = make_type(ack_hours=4, response_days=1, resolve_days=5)
    firm = make_firm(make_building(tree.sub_a, "节前大厦"), "节前科技有限公司")
    request = make_request(users["tmx_business"], firm, rtype, received_at=RECEIVED)
    advance(request, users["tmx_business"], RequestStatus.ACKNOWLEDGED, at=at(RECEIVED.date(), 11))

    out = io.StringIO()
    call_command("business_sla_check", "--today", "2025-10-09", stdout=out)
    assert out.getvalue().strip() == "0 notification(s) sent"
    call_command("business_sla_check", "--today", "2025-10-10", stdout=out)
    assert out.getvalue().strip().endswith("2 notification(s) sent")
    assert set(notified(request.pk)) == {users["tmx_leader"].pk, users["tmx_business"].pk}
    call_command("business_sla_check", "--today", "2025-10-10", stdout=out)
    assert out.getvalue().strip().endswith("0 notification(s) sent")
    with pytest.raises(CommandError):
        call_command("business_sla_check", "--today", "10/10/2025")
