"""Where the caller picks a person or a member of staff by id (a ticket's applicant, a
door-to-door request's resident, who goes to the door): an unknown id and an id outside what
the caller may pick answer alike, 404 in the API and the same form error in the pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.accounts.models import Role
from jiedao.affairs import services
from jiedao.affairs.models import Channel, DoorToDoorRequest, PointKind, Ticket, VisitStatus
from tests.affairs.factories import make_item, make_point
from tests.answers import assert_same_api_answer, assert_same_form_answer
from tests.conftest import bearer, login
from tests.factories import UserFactory, make_person

pytestmark = pytest.mark.django_db

UNKNOWN = 987654


@pytest.fixture
def desk(tree: Any, users: dict[str, Any]) -> dict[str, Any]:
    item = make_item(tree.city, "JZZ-01", "居住证办理", door_to_door=True)
    retired = UserFactory.with_role(Role.SERVICE_CLERK, tree.sub_a, username="retired_clerk")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    person = make_person(tree.committee_a, "张三")
    return {
        "item": item,
        "centre": make_point(tree.sub_a, "天目西路街道受理中心"),
        "help_point": make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT),
        "person": person,
        "bz_person": make_person(tree.committee_c, "张四"),
        "retired": retired,
        "visit": services.door_request_create(
            actor=users["tmx_clerk"], person=person, reason="卧床", requested_via=Channel.PHONE
        ),
    }


def test_a_ticket_for_an_applicant_out_of_scope_answers_404_as_an_unknown_id(desk, users):
    client = Client(**bearer(users["tmx_clerk"]))
    before = Ticket.objects.count()

    def file(pk: int) -> Any:
        payload = {
            "item_id": desk["item"].pk,
            "point_id": desk["centre"].pk,
            "channel": "window",
            "applicant_person_id": pk,
        }
        return client.post(
            "/api/v1/affairs/tickets", data=json.dumps(payload), content_type="application/json"
        )

    assert_same_api_answer({pk: file(pk) for pk in (UNKNOWN, desk["bz_person"].pk)})
    assert Ticket.objects.count() == before


def test_the_desk_refuses_an_applicant_out_of_scope_as_an_unknown_id(desk, users):
    client = login(users["tmx_clerk"])
    before = Ticket.objects.count()
    answers = {
        pk: client.post(
            "/affairs/",
            {
                "applicant": f"p:{pk}",
                "item": desk["item"].pk,
                "point": desk["centre"].pk,
                "channel": Channel.WINDOW,
            },
        )
        for pk in (UNKNOWN, desk["bz_person"].pk)
    }
    assert_same_form_answer(answers)
    assert Ticket.objects.count() == before


def test_a_door_request_for_a_resident_out_of_scope_is_refused_as_an_unknown_id(desk, users):
    client = login(users["tmx_clerk"])
    before = DoorToDoorRequest.objects.count()
    answers = {
        pk: client.post(
            "/affairs/door/",
            {"person": f"p:{pk}", "reason": "行动不便", "requested_via": Channel.PHONE},
        )
        for pk in (UNKNOWN, desk["bz_person"].pk)
    }
    assert_same_form_answer(answers)
    assert DoorToDoorRequest.objects.count() == before


def test_door_staff_out_of_scope_are_refused_as_an_unknown_id(desk, users):
    visit = desk["visit"]
    client = login(users["tmx_clerk"])
    url = f"/affairs/door/{visit.pk}/schedule/"
    day = timezone.localdate().isoformat()
    refused = [
        UNKNOWN,
        users["bz_admin"].pk,  # another subdistrict
        users["tmx_leader"].pk,  # reads tickets, does not go to the door
        users["enterprise1"].pk,
        desk["retired"].pk,
    ]
    answers = {
        pk: client.post(url, {f"s{visit.pk}-assigned_to": pk, f"s{visit.pk}-day": day})
        for pk in refused
    }
    assert_same_form_answer(answers)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REQUESTED and visit.assigned_to_id is None
    ok = client.post(
        url, {f"s{visit.pk}-assigned_to": users["hx_worker"].pk, f"s{visit.pk}-day": day}
    )
    assert ok.status_code == 302
