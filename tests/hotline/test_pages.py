"""The 12345 pages: who reaches which page (another subdistrict's order 404, a district leader only
the ranking), the phone masked in lists, details, exports and the phone-sized pages, revealing it
with a reason, the forms answering bad input with clear errors, and constant query counts."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from jiedao.core import pii
from jiedao.hotline import services
from jiedao.hotline.models import OrderStatus, PhoneReveal, Review, WorkOrder
from tests.conftest import login
from tests.hotline.factories import dispatch, receive, step, to_replied, visit

S = OrderStatus
pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def order(tree, cats, centre):
    return receive(centre, tree.sub_a, cats.property, caller_phone=PHONE, caller_name="赵阿姨")


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


# --- who reaches what ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "orders", "detail", "dashboard", "ranking"),
    [
        ("tmx_hotline", 200, 200, 200, 200),
        ("tmx_admin", 200, 200, 200, 200),
        ("tmx_leader", 200, 200, 200, 200),
        ("bz_admin", 200, 404, 200, 200),
        ("ja_leader", 404, 404, 404, 200),
        ("expert1", 404, 404, 404, 404),
        ("resident1", 404, 404, 404, 404),
    ],
)
def test_who_reaches_which_page(order, users, name, orders, detail, dashboard, ranking):
    client = login(users[name])
    page(client, "/hotline/orders/", orders)
    page(client, f"/hotline/orders/{order.pk}/", detail)
    page(client, "/hotline/dashboard/", dashboard)
    page(client, "/hotline/ranking/", ranking)


def test_the_menu_leads_each_role_to_its_page(order, users):
    assert 'href="/hotline/orders/"' in page(login(users["tmx_hotline"]), "/notifications/")
    assert 'href="/hotline/dashboard/"' in page(login(users["tmx_leader"]), "/notifications/")
    assert 'href="/hotline/ranking/"' in page(login(users["ja_leader"]), "/notifications/")
    assert "/hotline/" not in page(login(users["expert1"]), "/notifications/")


def test_the_district_ranking_shows_figures_and_no_personal_data(tree, users, cats, centre, worker):
    o = to_replied(receive(centre, tree.sub_a, cats.property, caller_phone=PHONE, caller_name="赵阿姨"),
                   centre, tree.committee_a, worker)  # fmt: skip
    visit(o, centre)
    body = page(login(users["ja_leader"]), "/hotline/ranking/?month=")
    assert "天目西路街道" in body and "北站街道" in body
    assert "100.00%" in body
    for private in ("赵阿姨", "138****5678", PHONE, o.number, "天目西路100号"):
        assert private not in body
    export = login(users["ja_leader"]).get("/hotline/ranking/?month=&export=xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[1]][:3] == ["名次", "街道", "工单量"]


# --- masking ------------------------------------------------------------------------------------
def test_the_phone_is_masked_in_the_list_the_detail_and_the_export(order, users):
    client = login(users["tmx_hotline"])
    for url in ("/hotline/orders/", f"/hotline/orders/{order.pk}/"):
        body = page(client, url)
        assert "138****5678" in body
        assert PHONE not in body
    export = client.get("/hotline/orders/?export=xlsx")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert "来电号码" in rows[0]
    assert "138****5678" in rows[1]
    assert PHONE not in str(rows)


def test_only_the_centre_and_leaders_export(order, users, tree, centre):
    dispatch(order, centre, tree.committee_a)
    assert login(users["hx_worker"]).get("/hotline/orders/?export=xlsx").status_code == 403
    assert login(users["tmx_leader"]).get("/hotline/orders/?export=xlsx").status_code == 200


def test_revealing_the_phone_needs_a_reason_and_is_recorded(order, users, tree, centre):
    dispatch(order, centre, tree.committee_a)
    step(order, users["hx_worker"], S.SIGNED)
    client = login(users["hx_worker"])
    url = f"/hotline/orders/{order.pk}/reveal/"

    refused = client.post(url, {"reason": " ", "next": "contact"})
    assert refused.status_code == 400
    assert PHONE not in refused.content.decode()
    assert not PhoneReveal.objects.exists()

    shown = client.post(url, {"reason": "回电联系来电人", "next": "contact"})
    assert shown.status_code == 200
    assert f'href="tel:{PHONE}"' in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    reveal = PhoneReveal.objects.get()
    assert (reveal.user, reveal.order, reveal.reason) == (
        users["hx_worker"],
        order,
        "回电联系来电人",
    )
    # the record cannot be changed or deleted
    with pytest.raises(PermissionError):
        PhoneReveal.objects.update(reason="x")
    with pytest.raises(PermissionError):
        reveal.delete()
    # and the page shown afterwards is masked again
    assert PHONE not in page(client, f"/hotline/orders/{order.pk}/contact/")


def test_leaders_may_not_reveal_the_phone(order, users):
    response = login(users["tmx_leader"]).post(
        f"/hotline/orders/{order.pk}/reveal/", {"reason": "看看"}
    )
    assert response.status_code == 403
    assert not PhoneReveal.objects.exists()
    assert (
        login(users["bz_admin"])
        .post(f"/hotline/orders/{order.pk}/reveal/", {"reason": "看看"})
        .status_code
        == 404
    )


# --- forms --------------------------------------------------------------------------------------
def test_manual_entry_answers_bad_input_and_saves_nothing(tree, users, cats):
    client = login(users["tmx_hotline"])
    assert "录入12345工单" in page(client, "/hotline/orders/new/")
    response = client.post(
        "/hotline/orders/new/",
        {"subdistrict": tree.sub_a.pk, "hotline_number": "X1", "category": cats.property.pk,
         "urgency": "normal", "caller_phone": "12345", "address": "梅园路1号", "text": "x",
         "source": "12345"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "电话号码" in response.content.decode()
    assert not WorkOrder.objects.exists()

    response = client.post(
        "/hotline/orders/new/",
        {"subdistrict": tree.sub_a.pk, "hotline_number": "X1", "category": cats.property.pk,
         "urgency": "normal", "caller_phone": PHONE, "address": "梅园路1号", "text": "路灯坏了",
         "source": "12345"},
    )  # fmt: skip
    made = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/hotline/orders/{made.pk}/"
    assert made.phone_masked == "138****5678"
    # another subdistrict cannot be chosen
    response = client.post("/hotline/orders/new/", {"subdistrict": tree.sub_b.pk})
    assert response.status_code == 400
    assert login(users["hx_worker"]).get("/hotline/orders/new/").status_code == 403


def test_the_order_walks_through_the_pages(order, users, tree):
    centre, worker, admin = (login(users[n]) for n in ("tmx_hotline", "hx_worker", "tmx_admin"))
    base = f"/hotline/orders/{order.pk}"

    bad = centre.post(f"{base}/dispatch/", {"lead_unit": tree.committee_c.pk})
    assert bad.status_code == 400 and "不是可选的承办单位" in bad.content.decode()
    assert centre.post(f"{base}/dispatch/", {"lead_unit": tree.committee_a.pk}).status_code == 302
    assert worker.post(f"{base}/move/", {"to_status": "signed"}).status_code == 302
    contact = page(worker, f"{base}/contact/")
    assert "138****5678" in contact and "联系期限" in contact
    assert worker.post(f"{base}/contact/", {"note": " "}).status_code == 400
    assert worker.post(f"{base}/contact/", {"note": "已电话联系"}).status_code == 302
    illegal = worker.post(f"{base}/move/", {"to_status": "assessed"})
    assert illegal.status_code == 400 and "不能改为" in illegal.content.decode()
    assert worker.post(f"{base}/move/", {"to_status": "handling"}).status_code == 302
    assert worker.post(f"{base}/reply/", {"reply": "已修复"}).status_code == 302
    assert worker.get(f"{base}/visit/").status_code == 403  # the centre visits back
    assert "提交回访" in page(centre, f"{base}/visit/")
    response = centre.post(f"{base}/visit/", {"satisfaction": "unsatisfied", "resolved": "0"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.warning and order.status == S.HANDLING
    body = page(admin, f"{base}/")
    assert "预警工单" in body
    for label in ("已派单", "已签收", "已联系", "办理中", "已回复", "已回访"):
        assert label in body


def test_objections_through_the_pages(order, users, tree, centre):
    dispatch(order, centre, tree.committee_a)
    worker, admin = login(users["hx_worker"]), login(users["tmx_admin"])
    base = f"/hotline/orders/{order.pk}"

    refused = worker.post(f"{base}/review/", {"kind": "send_back", "reason": "不是我们的"})
    assert refused.status_code == 400 and "原则上不准退单" in refused.content.decode()
    asked = worker.post(
        f"{base}/review/",
        {"kind": "reassign", "reason": "属蕃瓜弄", "lead_unit": tree.committee_b.pk},
    )
    assert asked.status_code == 302
    review = Review.objects.get()
    assert "待审核的申请" in page(admin, f"{base}/")
    assert review.order.number in page(admin, "/hotline/reviews/")
    assert (
        login(users["tmx_hotline"])
        .post(f"/hotline/reviews/{review.pk}/decide/", {"decision": "approve"})
        .status_code
        == 403
    )
    no_note = admin.post(f"/hotline/reviews/{review.pk}/decide/", {"decision": "refuse"})
    assert no_note.status_code == 400 and "驳回时请填写审核意见" in no_note.content.decode()
    assert (
        admin.post(f"/hotline/reviews/{review.pk}/decide/", {"decision": "approve"}).status_code
        == 302
    )
    order.refresh_from_db()
    assert order.org_unit == tree.committee_b


def test_merging_through_the_page(tree, cats, users, centre):
    first = receive(centre, tree.sub_a, cats.property)
    other = receive(centre, tree.sub_a, cats.property)
    bz = receive(users["bz_admin"], tree.sub_b, cats.property)
    client = login(users["tmx_hotline"])
    wrong = client.post(f"/hotline/orders/{other.pk}/merge/", {"into": bz.number})
    assert wrong.status_code == 400 and "不是可合并的工单" in wrong.content.decode()
    assert (
        client.post(
            f"/hotline/orders/{other.pk}/merge/", {"into": first.hotline_number}
        ).status_code
        == 302
    )
    other.refresh_from_db()
    assert other.merged_into == first


# --- query counts -------------------------------------------------------------------------------
def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response.content.decode()


def _add(tree, cats, centre, worker, n: int) -> None:
    for i in range(n):
        o = receive(centre, tree.sub_a, cats.property, longitude="121.45", latitude="31.25")
        if i % 3 == 0:  # waiting for a reassignment to be decided
            dispatch(o, centre, tree.committee_a)
            services.review_request(
                actor=worker,
                order=o,
                kind="reassign",
                reason="属蕃瓜弄",
                lead_unit=tree.committee_b,
            )
            continue
        to_replied(o, centre, tree.committee_a, worker)
        o.assisting_units.add(tree.committee_b)
        visit(o, centre, "unsatisfied" if i % 2 else "satisfied", resolved=bool(i % 2))
        receive(centre, tree.sub_a, cats.property, caller_phone=pii.decrypt(o.phone_encrypted))


@pytest.mark.parametrize(
    "url", ["/hotline/orders/", "/hotline/dashboard/", "/hotline/reviews/?status=all"]
)
def test_pages_run_a_constant_number_of_queries(tree, users, cats, centre, worker, url):
    client = login(users["tmx_admin"])
    _add(tree, cats, centre, worker, 3)
    _queries(client, url)  # warm-up
    few, _body = _queries(client, url)
    _add(tree, cats, centre, worker, 12)
    many, _body = _queries(client, url)
    assert many == few


def test_the_dashboard_reads_the_rates_from_the_rollups(tree, users, cats, centre, worker):
    client = login(users["tmx_leader"])
    _add(tree, cats, centre, worker, 6)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/hotline/dashboard/?month=")
    assert response.status_code == 200
    reading = [q["sql"] for q in ctx.captured_queries if 'FROM "hotline_workorder"' in q["sql"]]
    # only the map's latest located orders are read from the orders themselves
    assert len(reading) == 1, reading
    assert "LIMIT" in reading[0]
    cards = {c["key"]: c["value"] for c in response.context["cards"]}
    assert cards["orders"] == "6"
    assert cards["merged"] == "4"


def test_the_htmx_list_returns_only_the_table(order, users):
    response = login(users["tmx_hotline"]).get(
        "/hotline/orders/?status=received", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert order.number in body and "<html" not in body


def test_filters_narrow_the_list(tree, cats, centre, worker, users):
    a = receive(centre, tree.sub_a, cats.property)
    b = to_replied(receive(centre, tree.sub_a, cats.consult), centre, tree.committee_a, worker)
    client = login(users["tmx_hotline"])
    body = page(client, f"/hotline/orders/?category={cats.consult.pk}")
    assert b.number in body and a.number not in body
    body = page(client, f"/hotline/orders/?unit={tree.committee_a.pk}")
    assert b.number in body and a.number not in body
    body = page(client, "/hotline/orders/?month=not-a-month")
    assert a.number not in body and b.number not in body
    assert "共 0 条" in page(client, "/hotline/orders/?warning=yes")


def test_the_catalogue_page_lists_each_deadline(cats, users):
    body = page(login(users["hx_worker"]), "/hotline/categories/")
    assert "2小时" in body and "15个工作日" in body and "原则上不准退单" in body


def test_readers_cannot_take_steps(order, users, tree):
    for name in ("tmx_leader", "bz_admin", "ja_leader"):
        response = login(users[name]).post(
            f"/hotline/orders/{order.pk}/dispatch/", {"lead_unit": tree.committee_a.pk}
        )
        assert response.status_code == (403 if name == "tmx_leader" else 404), name
    order.refresh_from_db()
    assert order.status == S.RECEIVED


def test_the_admin_edits_the_catalogue_and_shows_orders_masked(order, users, cats):
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = login(admin)
    assert client.get("/admin/hotline/category/").status_code == 200
    assert client.get(f"/admin/hotline/category/{cats.property.pk}/change/").status_code == 200
    for url in ("/admin/hotline/workorder/", f"/admin/hotline/workorder/{order.pk}/change/"):
        body = page(client, url)
        assert "138****5678" in body and PHONE not in body
        assert order.phone_encrypted not in body
    assert client.get("/admin/hotline/workorder/add/").status_code == 403


def test_home_cards_count_what_waits_for_each_role(tree, cats, users, centre, worker):
    waiting = receive(centre, tree.sub_a, cats.property)
    dispatch(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a)
    centre_home = login(centre).get("/")
    cards = {str(c.label): c.count for c in centre_home.context["module_cards"]}
    assert cards["待派单的12345工单"] == 1
    assert cards["已逾期的12345工单"] == 0
    worker_cards = {str(c.label): c.count for c in login(worker).get("/").context["module_cards"]}
    assert worker_cards["待签收的12345工单"] == 1
    assert "待派单的12345工单" not in worker_cards
    admin_cards = {
        str(c.label): c.count for c in login(users["tmx_admin"]).get("/").context["module_cards"]
    }
    assert admin_cards["待审核的派单异议"] == 0
    assert waiting.pk


def test_the_api_schema_documents_the_push_key(db):
    from jiedao.api import api

    schema = api.get_openapi_schema()
    push = schema["paths"]["/api/v1/hotline/push"]["post"]
    assert push["security"] == [{"HotlineKey": []}]
    assert schema["components"]["securitySchemes"]["HotlineKey"]["name"] == "X-Hotline-Key"
    detail = schema["components"]["schemas"]["OrderDetailOut"]["properties"]
    assert "caller_phone" in detail and "phone_encrypted" not in detail
