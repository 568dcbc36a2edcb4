"""Where the caller picks a person or a unit by id (a liaison visit's visitors, a request's
handler, a council's member enterprise): an unknown id and an id outside what the caller may
pick answer alike, 404 in the API and the same form error in the pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.accounts.models import Role
from jiedao.business.models import CouncilMember, LiaisonVisit
from tests.answers import assert_same_api_answer, assert_same_form_answer
from tests.business.factories import make_building, make_council, make_firm, make_request, make_type
from tests.conftest import bearer, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UNKNOWN = 987654


@pytest.fixture
def place(tree: Any, users: dict[str, Any]) -> dict[str, Any]:
    officer = users["tmx_business"]
    tower = make_building(tree.sub_a, "凯德星贸广场")
    elsewhere = make_building(tree.sub_a, "未覆盖大厦")
    firm = make_firm(tower, "自家科技有限公司", actor=officer)
    outside = make_firm(elsewhere, "未覆盖有限公司", actor=officer)
    bz_firm = make_firm(make_building(tree.sub_b, "北站大厦"), "北站物流", actor=users["bz_admin"])
    retired = UserFactory.with_role(Role.BUSINESS_OFFICER, tree.sub_a, username="retired_biz")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    return {
        "officer": officer,
        "tower": tower,
        "firm": firm,
        "outside": outside,
        "bz_firm": bz_firm,
        "council": make_council(officer, tree.sub_a, [tower]),
        "request": make_request(officer, firm, make_type()),
        "retired": retired,
    }


def test_a_visitor_the_building_may_not_have_answers_404_as_an_unknown_id(place, users):
    client = Client(**bearer(place["officer"]))

    def record(pk: int) -> Any:
        return client.post(
            "/api/v1/business/liaison/visits",
            data=json.dumps(
                {
                    "building_id": place["tower"].pk,
                    "date": timezone.localdate().isoformat(),
                    "visitor_ids": [pk],
                }
            ),
            content_type="application/json",
        )

    refused = [
        UNKNOWN,
        users["bz_admin"].pk,  # another subdistrict
        users["tmx_clerk"].pk,  # of this subdistrict, but no one who visits buildings
        users["enterprise1"].pk,
        place["retired"].pk,
    ]
    assert_same_api_answer({pk: record(pk) for pk in refused})
    assert not LiaisonVisit.objects.exists()
    assert record(users["tmx_leader"].pk).status_code == 201


def test_a_handler_who_may_not_take_the_request_is_refused_as_an_unknown_id(place, users):
    client = login(place["officer"])
    url = f"/business/requests/{place['request'].pk}/assign/"
    refused = [
        UNKNOWN,
        users["bz_admin"].pk,
        users["tmx_leader"].pk,
        users["tmx_clerk"].pk,
        place["retired"].pk,
    ]
    assert_same_form_answer({pk: client.post(url, {"assigned_to": pk}) for pk in refused})
    request = place["request"]
    request.refresh_from_db()
    assert request.assigned_to_id != users["tmx_admin"].pk
    assert client.post(url, {"assigned_to": users["tmx_admin"].pk}).status_code == 302


def test_a_member_enterprise_outside_the_council_is_refused_as_an_unknown_id(place):
    client = login(place["officer"])
    url = f"/business/councils/{place['council'].pk}/members/"
    refused = [UNKNOWN, place["bz_firm"].pk, place["outside"].pk]
    answers = {pk: client.post(url, {"kind": "enterprise", "enterprise": pk}) for pk in refused}
    assert_same_form_answer(answers)
    assert not CouncilMember.objects.exists()
    ok = client.post(url, {"kind": "enterprise", "enterprise": place["firm"].pk})
    assert ok.status_code == 302
