"""Door-to-door help (上门帮办): raised at a help point or by phone, scheduled to a staff member
who may serve that person, visited, and shown on the worker's own list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jiedao.affairs import selectors, services
from jiedao.affairs.models import Channel, DoorToDoorRequest, PointKind, VisitStatus
from jiedao.core.permissions import NotPermitted
from tests.affairs.factories import make_item, make_point, make_ticket
from tests.factories import make_person


@pytest.fixture
def elder(tree):
    return make_person(tree.committee_a, "王阿婆")


@pytest.fixture
def item(tree):
    return make_item(tree.sub_a, "LN-01", "高龄津贴申领", door_to_door=True)


def request_for(person, actor, **kwargs) -> DoorToDoorRequest:
    kwargs.setdefault("requested_via", Channel.PHONE)
    return services.door_request_create(
        actor=actor, person=person, reason=kwargs.pop("reason", "行动不便"), **kwargs
    )


def in_days(n: int):
    return timezone.localdate() + timedelta(days=n)


# --- raising a request --------------------------------------------------------------------------
@pytest.mark.parametrize("via", [Channel.HELP_POINT, Channel.PHONE])
def test_raised_at_a_help_point_or_by_phone(tree, users, elder, item, via: str) -> None:
    point = make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT)
    request = request_for(elder, users["hx_worker"], requested_via=via, item=item, point=point)
    assert request.status == VisitStatus.REQUESTED
    assert request.org_unit == tree.committee_a
    assert (request.item, request.point, request.requested_via) == (item, point, via)


@pytest.mark.parametrize(
    "via", [Channel.WINDOW, Channel.ONLINE, Channel.SELF_SERVICE, Channel.DOOR_TO_DOOR, "x"]
)
def test_other_channels_are_refused(users, elder, via: str) -> None:
    with pytest.raises(ValidationError) as caught:
        request_for(elder, users["tmx_clerk"], requested_via=via)
    assert caught.value.message_dict["requested_via"] == ["上门帮办只能由帮办点或电话申请。"]
    assert not DoorToDoorRequest.objects.exists()


def test_a_reason_is_needed(users, elder) -> None:
    with pytest.raises(ValidationError) as caught:
        request_for(elder, users["tmx_clerk"], reason="  ")
    assert "reason" in caught.value.message_dict


def test_an_item_without_door_to_door_help_is_refused(tree, users, elder) -> None:
    counter_only = make_item(tree.sub_a, "JZZ-01", "居住证办理", door_to_door=False)
    with pytest.raises(ValidationError) as caught:
        request_for(elder, users["tmx_clerk"], item=counter_only)
    assert "item" in caught.value.message_dict
    assert not DoorToDoorRequest.objects.exists()


@pytest.mark.parametrize("name", ["fgn_worker", "bz_admin", "tmx_leader", "resident1"])
def test_only_workers_of_the_persons_org_may_raise_one(users, elder, name: str) -> None:
    with pytest.raises(NotPermitted):
        request_for(elder, users[name])


# --- scheduling ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["hx_worker", "tmx_clerk", "tmx_admin"])
def test_scheduled_to_someone_who_may_serve_the_person(users, elder, name: str) -> None:
    request = request_for(elder, users["tmx_clerk"])
    services.door_request_schedule(
        actor=users["tmx_clerk"], request=request, assigned_to=users[name], day=in_days(2)
    )
    request.refresh_from_db()
    assert (request.status, request.assigned_to, request.scheduled_date) == (
        VisitStatus.SCHEDULED,
        users[name],
        in_days(2),
    )


@pytest.mark.parametrize("name", ["fgn_worker", "bz_admin", "tmx_leader", "resident1"])
def test_not_to_someone_who_may_not(users, elder, name: str) -> None:
    request = request_for(elder, users["tmx_clerk"])
    with pytest.raises(ValidationError) as caught:
        services.door_request_schedule(
            actor=users["tmx_clerk"], request=request, assigned_to=users[name], day=in_days(1)
        )
    assert caught.value.message_dict["assigned_to"] == ["所选人员无权处理该居民的上门帮办。"]
    request.refresh_from_db()
    assert request.status == VisitStatus.REQUESTED
    assert request.assigned_to is None


def test_a_past_date_is_refused_today_is_fine(users, elder) -> None:
    request = request_for(elder, users["tmx_clerk"])
    with pytest.raises(ValidationError) as caught:
        services.door_request_schedule(
            actor=users["tmx_clerk"],
            request=request,
            assigned_to=users["hx_worker"],
            day=in_days(-1),
        )
    assert caught.value.message_dict["scheduled_date"] == ["上门日期不能早于今天。"]
    services.door_request_schedule(
        actor=users["tmx_clerk"], request=request, assigned_to=users["hx_worker"], day=in_days(0)
    )
    assert DoorToDoorRequest.objects.get().scheduled_date == timezone.localdate()


def test_rescheduling_before_the_visit(users, elder) -> None:
    request = request_for(elder, users["tmx_clerk"])
    for who, day in (("hx_worker", in_days(1)), ("tmx_clerk", in_days(3))):
        services.door_request_schedule(
            actor=users["tmx_admin"], request=request, assigned_to=users[who], day=day
        )
    request.refresh_from_db()
    assert (request.assigned_to, request.scheduled_date) == (users["tmx_clerk"], in_days(3))


def test_another_committee_cannot_schedule_it(users, elder) -> None:
    request = request_for(elder, users["tmx_clerk"])
    with pytest.raises(NotPermitted):
        services.door_request_schedule(
            actor=users["fgn_worker"],
            request=request,
            assigned_to=users["fgn_worker"],
            day=in_days(1),
        )


# --- the visit ----------------------------------------------------------------------------------
@pytest.fixture
def scheduled(users, elder) -> DoorToDoorRequest:
    request = request_for(elder, users["tmx_clerk"])
    return services.door_request_schedule(
        actor=users["tmx_clerk"], request=request, assigned_to=users["hx_worker"], day=in_days(1)
    )


def test_recording_the_visit_links_the_ticket(tree, users, elder, item, scheduled) -> None:
    worker = users["hx_worker"]
    point = make_point(tree.committee_a, "上门帮办队", kind=PointKind.DOOR_TO_DOOR)
    ticket = make_ticket(
        actor=worker, item=item, point=point, person=elder, channel=Channel.DOOR_TO_DOOR
    )
    services.door_request_record_visit(
        actor=worker, request=scheduled, outcome="已上门采集材料并受理", ticket=ticket
    )
    scheduled.refresh_from_db()
    assert scheduled.status == VisitStatus.VISITED
    assert scheduled.outcome == "已上门采集材料并受理"
    assert scheduled.visited_at is not None
    assert scheduled.ticket == ticket
    assert list(ticket.door_visits.all()) == [scheduled]
    assert ticket.trips.count() == 0  # the worker went, the applicant did not


def test_a_visit_without_a_ticket(users, scheduled) -> None:
    services.door_request_record_visit(actor=users["hx_worker"], request=scheduled, outcome="咨询")
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.ticket) == (VisitStatus.VISITED, None)


def test_only_a_scheduled_request_can_be_visited(users, elder) -> None:
    request = request_for(elder, users["tmx_clerk"])
    with pytest.raises(ValidationError) as caught:
        services.door_request_record_visit(actor=users["hx_worker"], request=request, outcome="x")
    assert caught.value.messages == ["只有已安排的上门帮办才能登记结果。"]
    request.refresh_from_db()
    assert request.status == VisitStatus.REQUESTED


def test_a_visited_request_is_final(users, scheduled) -> None:
    services.door_request_record_visit(actor=users["hx_worker"], request=scheduled, outcome="好")
    with pytest.raises(ValidationError):
        services.door_request_record_visit(
            actor=users["hx_worker"], request=scheduled, outcome="再来"
        )
    with pytest.raises(ValidationError):
        services.door_request_schedule(
            actor=users["tmx_clerk"],
            request=scheduled,
            assigned_to=users["hx_worker"],
            day=in_days(5),
        )
    scheduled.refresh_from_db()
    assert scheduled.outcome == "好"


def test_an_outcome_is_needed(users, scheduled) -> None:
    with pytest.raises(ValidationError) as caught:
        services.door_request_record_visit(actor=users["hx_worker"], request=scheduled, outcome="")
    assert "outcome" in caught.value.message_dict


def test_the_ticket_must_be_the_same_persons(tree, users, item, scheduled) -> None:
    someone_else = make_person(tree.committee_a, "李老伯")
    ticket = make_ticket(
        actor=users["hx_worker"],
        item=item,
        point=make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT),
        person=someone_else,
        channel=Channel.HELP_POINT,
    )
    with pytest.raises(ValidationError) as caught:
        services.door_request_record_visit(
            actor=users["hx_worker"], request=scheduled, outcome="已上门", ticket=ticket
        )
    assert caught.value.message_dict["ticket"] == ["办件的申请人不是该居民。"]
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.ticket) == (VisitStatus.SCHEDULED, None)


# --- the worker's list --------------------------------------------------------------------------
def test_the_workers_own_list(tree, users, elder) -> None:
    clerk, worker = users["tmx_clerk"], users["hx_worker"]
    neighbour = make_person(tree.committee_a, "赵大爷")
    later = services.door_request_schedule(
        actor=clerk, request=request_for(elder, clerk), assigned_to=worker, day=in_days(4)
    )
    sooner = services.door_request_schedule(
        actor=clerk, request=request_for(neighbour, clerk), assigned_to=worker, day=in_days(1)
    )
    services.door_request_schedule(
        actor=clerk, request=request_for(elder, clerk), assigned_to=clerk, day=in_days(1)
    )
    done = services.door_request_schedule(
        actor=clerk, request=request_for(elder, clerk), assigned_to=worker, day=in_days(0)
    )
    services.door_request_record_visit(actor=worker, request=done, outcome="已办")
    request_for(elder, clerk)  # not scheduled yet

    assert list(selectors.door_visit_list(user=worker, mine=True)) == [sooner, later]
    assert len(selectors.door_visit_list(user=clerk, mine=True)) == 1
    # Everything of the committee, for those who may see it; nothing for others.
    assert selectors.door_visit_list(user=worker).count() == 5
    assert selectors.door_visit_list(user=users["tmx_leader"]).count() == 5
    assert selectors.door_visit_list(user=users["fgn_worker"]).count() == 0
    assert selectors.door_visit_list(user=users["bz_admin"]).count() == 0
    assert selectors.door_visit_list(user=users["fgn_worker"], mine=True).count() == 0
