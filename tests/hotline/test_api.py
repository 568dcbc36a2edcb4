"""/api/v1/hotline/: the platform's push with its key, staff endpoints scoped like every other
router (another subdistrict's order is 404, a district leader reaches only the ranking), the
phone masked, illegal moves answered 422 `illegal_transition`, and constant query counts."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiedao.hotline import services
from jiedao.hotline.models import HotlineClient, OrderStatus, Review, WorkOrder
from tests.conftest import bearer
from tests.hotline.factories import dispatch, receive, step, to_replied

S = OrderStatus
pytestmark = pytest.mark.django_db
API = "/api/v1/hotline"
MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")


def api(user: Any) -> Client:
    return Client(**bearer(user))


def post(client: Client, url: str, payload: dict[str, Any], **extra: Any) -> Any:
    return client.post(url, data=json.dumps(payload), content_type="application/json", **extra)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


@pytest.fixture
def key(tree) -> str:
    out = io.StringIO()
    call_command("hotline_key", "静安区12345", tree.district.code, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def push_payload(**kw: Any) -> dict[str, Any]:
    data = {
        "hotline_number": "2025060300001",
        "subdistrict": "TMX",
        "category": "property",
        "caller_name": "李女士",
        "caller_phone": "13912345678",
        "address": "恒丰路100号",
        "text": "电梯故障，请回电13912345678",
        "longitude": "121.452",
        "latitude": "31.248",
    }
    data.update(kw)
    return data


# --- the push -----------------------------------------------------------------------------------
def test_the_platform_pushes_an_order_with_its_key(tree, cats, key):
    response = post(Client(), f"{API}/push", push_payload(), HTTP_X_HOTLINE_KEY=key)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["caller_phone"] == "139****5678"
    assert "13912345678" not in response.content.decode()
    order = WorkOrder.objects.get(pk=body["id"])
    assert order.channel == "push" and order.client.name == "静安区12345"
    assert order.text == "电梯故障，请回电139****5678"
    assert order.transitions.get().note == "平台推送：静安区12345"
    # only the key's hash is kept
    assert not HotlineClient.objects.filter(key_hash=key).exists()


@pytest.mark.parametrize("header", [None, "hl_wrong", "Bearer x"])
def test_a_push_without_a_valid_key_is_refused(tree, cats, key, header):
    extra = {"HTTP_X_HOTLINE_KEY": header} if header else {}
    assert_error(post(Client(), f"{API}/push", push_payload(), **extra), 401, "unauthenticated")
    assert not WorkOrder.objects.exists()


def test_a_disabled_platform_or_a_staff_token_cannot_push(tree, cats, key, users):
    HotlineClient.objects.update(active=False)
    assert_error(
        post(Client(), f"{API}/push", push_payload(), HTTP_X_HOTLINE_KEY=key),
        401,
        "unauthenticated",
    )
    assert_error(
        post(api(users["tmx_hotline"]), f"{API}/push", push_payload()), 401, "unauthenticated"
    )


def test_a_platform_pushes_only_to_its_own_subdistricts(tree, cats):
    _client, key = services.client_create(name="北站平台", org_unit=tree.sub_b)
    body = assert_error(
        post(Client(), f"{API}/push", push_payload(), HTTP_X_HOTLINE_KEY=key), 422, "invalid"
    )
    assert "subdistrict" in body["fields"]
    assert not WorkOrder.objects.exists()


def test_a_second_push_of_a_number_is_a_conflict_naming_the_order(tree, cats, key):
    first = post(Client(), f"{API}/push", push_payload(), HTTP_X_HOTLINE_KEY=key).json()
    again = post(Client(), f"{API}/push", push_payload(), HTTP_X_HOTLINE_KEY=key)
    body = assert_error(again, 409, "duplicate")
    assert body["id"] == first["id"]
    assert WorkOrder.objects.count() == 1


def test_a_repeat_call_pushed_is_merged(tree, cats, key):
    first = post(Client(), f"{API}/push", push_payload(), HTTP_X_HOTLINE_KEY=key).json()
    again = post(
        Client(), f"{API}/push", push_payload(hotline_number="2025060300002"),
        HTTP_X_HOTLINE_KEY=key,
    ).json()  # fmt: skip
    assert again["status"] == "merged" and again["merged_into_id"] == first["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subdistrict": "NOPE"}, "subdistrict"),
        ({"category": "nope"}, "category"),
        ({"caller_phone": "123"}, "caller_phone"),
        ({"text": "  "}, "text"),
    ],
)
def test_bad_pushes_are_answered_with_clear_errors_and_nothing_saved(
    tree, cats, key, change, field
):
    body = assert_error(
        post(Client(), f"{API}/push", push_payload(**change), HTTP_X_HOTLINE_KEY=key),
        422,
        "invalid",
    )
    assert field in body["fields"]
    assert not WorkOrder.objects.exists()


def test_a_malformed_push_is_a_validation_error(tree, cats, key):
    response = post(Client(), f"{API}/push", push_payload(longitude="east"), HTTP_X_HOTLINE_KEY=key)
    assert_error(response, 422, "validation_error")


# --- staff --------------------------------------------------------------------------------------
@pytest.fixture
def orders(tree, users, cats, centre):
    return {
        "tmx": receive(centre, tree.sub_a, cats.property, caller_phone="13800001111"),
        "bz": receive(users["bz_admin"], tree.sub_b, cats.property),
    }


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["items"]}


def test_lists_are_scoped_and_masked(orders, users):
    response = api(users["tmx_hotline"]).get(f"{API}/orders")
    assert ids(response) == {orders["tmx"].pk}
    row = response.json()["items"][0]
    assert MASKED.match(row["caller_phone"])
    assert "13800001111" not in response.content.decode()
    assert ids(api(users["bz_admin"]).get(f"{API}/orders")) == {orders["bz"].pk}
    assert ids(api(users["admin"]).get(f"{API}/orders")) == {orders["tmx"].pk, orders["bz"].pk}
    for name in ("ja_leader", "expert1", "resident1", "tmx_business", "hx_worker"):
        assert ids(api(users[name]).get(f"{API}/orders")) == set(), name


def test_another_subdistricts_order_does_not_exist(orders, users):
    client = api(users["tmx_hotline"])
    assert_error(client.get(f"{API}/orders/{orders['bz'].pk}"), 404, "not_found")
    assert_error(
        post(client, f"{API}/orders/{orders['bz'].pk}/transitions", {"to_status": "dispatched"}),
        404,
        "not_found",
    )
    detail = client.get(f"{API}/orders/{orders['tmx'].pk}").json()
    assert detail["caller_phone"] == "138****1111"
    assert [t["to_status"] for t in detail["transitions"]] == ["received"]


def test_the_district_leader_sees_no_order_but_the_ranking(orders, users, tree):
    client = api(users["ja_leader"])
    assert_error(client.get(f"{API}/orders/{orders['tmx'].pk}"), 404, "not_found")
    ranking = client.get(f"{API}/ranking")
    assert ranking.status_code == 200
    assert [r["code"] for r in ranking.json()] == ["BZ", "TMX"]
    assert set(ranking.json()[0]) == {
        "org_unit_id", "code", "name", "rank", "orders", "response_rate",
        "resolution_rate", "satisfaction_rate", "score",
    }  # fmt: skip
    assert_error(api(users["expert1"]).get(f"{API}/ranking"), 403, "forbidden")
    assert_error(client.get(f"{API}/ranking?month=2025-13"), 422, "invalid")


def test_dispatch_and_steps_through_the_api(orders, users, tree):
    centre, worker = api(users["tmx_hotline"]), api(users["hx_worker"])
    url = f"{API}/orders/{orders['tmx'].pk}/transitions"

    # a lead unit outside the subdistrict is not one of the choices: 404
    assert_error(
        post(centre, url, {"to_status": "dispatched", "lead_unit_id": tree.committee_c.pk}),
        404,
        "not_found",
    )
    body = post(
        centre, url, {"to_status": "dispatched", "lead_unit_id": tree.committee_a.pk,
                      "assisting_unit_ids": [tree.committee_b.pk]},
    ).json()  # fmt: skip
    assert body["status"] == "dispatched" and body["assisting_unit_ids"] == [tree.committee_b.pk]
    assert_error(
        post(worker, url, {"to_status": "replied", "reply": "好"}), 422, "illegal_transition"
    )
    assert post(worker, url, {"to_status": "signed"}).json()["contact_due"]
    body = assert_error(post(worker, url, {"to_status": "contacted"}), 422, "invalid")
    assert "note" in body["fields"]
    for payload in (
        {"to_status": "contacted", "note": "已联系"},
        {"to_status": "handling"},
        {"to_status": "replied", "reply": "已修复"},
    ):
        assert post(worker, url, payload).status_code == 200
    visit_url = f"{API}/orders/{orders['tmx'].pk}/return-visits"
    assert_error(
        post(worker, visit_url, {"satisfaction": "satisfied", "resolved": True}), 403, "forbidden"
    )
    body = post(centre, visit_url, {"satisfaction": "unsatisfied", "resolved": False}).json()
    assert body["status"] == "handling" and body["warning"] is True
    assert [v["round"] for v in body["visits"]] == [1]
    assert_error(
        post(centre, visit_url, {"satisfaction": "satisfied", "resolved": True}),
        422,
        "illegal_transition",
    )


def test_reviews_through_the_api(orders, users, tree, centre, worker):
    order = dispatch(orders["tmx"], centre, tree.committee_a)
    url = f"{API}/orders/{order.pk}/reviews"
    body = assert_error(
        post(api(worker), url, {"kind": "send_back", "reason": "不归我们"}), 422, "invalid"
    )
    assert "原则上不准退单" in body["message"]
    assert_error(
        post(
            api(worker),
            url,
            {"kind": "reassign", "reason": "x", "lead_unit_id": tree.committee_c.pk},
        ),
        404,
        "not_found",
    )
    made = post(
        api(worker),
        url,
        {"kind": "reassign", "reason": "属蕃瓜弄", "lead_unit_id": tree.committee_b.pk},
    )
    assert made.status_code == 201, made.content
    review_id = made.json()["id"]
    pending = api(users["tmx_admin"]).get(f"{API}/reviews?status=pending").json()["items"]
    assert [r["id"] for r in pending] == [review_id]
    assert api(users["bz_admin"]).get(f"{API}/reviews").json()["items"] == []
    decide = f"{API}/reviews/{review_id}/decision"
    assert_error(post(api(users["tmx_hotline"]), decide, {"approve": True}), 403, "forbidden")
    assert_error(post(api(users["bz_admin"]), decide, {"approve": True}), 404, "not_found")
    assert_error(post(api(users["tmx_admin"]), decide, {"approve": False}), 422, "invalid")
    assert post(api(users["tmx_admin"]), decide, {"approve": True}).json()["status"] == "approved"
    assert WorkOrder.objects.get(pk=order.pk).org_unit == tree.committee_b
    assert Review.objects.get().decided_by == users["tmx_admin"]


def test_merge_and_manual_entry_through_the_api(orders, users, tree, cats):
    client = api(users["tmx_hotline"])
    made = post(
        client, f"{API}/orders",
        {"subdistrict_id": tree.sub_a.pk, "category_id": cats.property.pk, "hotline_number": "M1",
         "address": "梅园路1号", "text": "同一事项", "caller_phone": "13700000000"},
    )  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["caller_phone"] == "137****0000"
    assert_error(
        post(client, f"{API}/orders",
             {"subdistrict_id": tree.sub_b.pk, "category_id": cats.property.pk,
              "hotline_number": "M2", "address": "x", "text": "x"}),
        403, "forbidden",
    )  # fmt: skip
    new_id = made.json()["id"]
    url = f"{API}/orders/{new_id}/merge"
    assert_error(post(client, url, {"into_id": orders["bz"].pk}), 404, "not_found")
    body = post(client, url, {"into_id": orders["tmx"].pk}).json()
    assert body["status"] == "merged" and body["merged_into_id"] == orders["tmx"].pk


def test_the_api_list_runs_a_constant_number_of_queries(tree, users, cats, centre, worker):
    client = api(users["tmx_hotline"])

    def add(n: int) -> None:
        for _ in range(n):
            o = to_replied(
                receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker
            )
            o.assisting_units.add(tree.committee_b)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{API}/orders").status_code == 200
        return len(ctx.captured_queries)

    add(2)
    count()
    few = count()
    add(10)
    assert count() == few


def test_categories_for_staff_only(cats, users):
    assert len(api(users["hx_worker"]).get(f"{API}/categories").json()) == 5
    assert_error(api(users["ja_leader"]).get(f"{API}/categories"), 404, "not_found")


def test_a_committee_worker_reaches_only_orders_their_committee_leads_or_assists(
    tree, users, cats, centre
):
    led = dispatch(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a)
    helped = dispatch(
        receive(centre, tree.sub_a, cats.property), centre, tree.committee_b,
        assisting_units=[tree.committee_a],
    )  # fmt: skip
    other = dispatch(receive(centre, tree.sub_a, cats.property), centre, tree.committee_b)

    assert ids(api(users["hx_worker"]).get(f"{API}/orders")) == {led.pk, helped.pk}
    # assisting is reading: the lead unit takes the steps
    assert_error(
        post(
            api(users["hx_worker"]),
            f"{API}/orders/{helped.pk}/transitions",
            {"to_status": "signed"},
        ),
        403,
        "forbidden",
    )
    assert_error(api(users["hx_worker"]).get(f"{API}/orders/{other.pk}"), 404, "not_found")
    step(led, users["hx_worker"], S.SIGNED)
