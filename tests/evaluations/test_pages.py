"""好差评 pages and API: who reaches what, the applicant's link page, the pad and QR code,
entering on behalf, handling a bad review and an appeal, masked personal data, query counts."""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from jiedao.core import pii
from jiedao.evaluations import services
from jiedao.evaluations.models import Appeal, EvalChannel, Evaluation, Level, RectificationStatus
from jiedao.evaluations.services import Rating
from tests.affairs.factories import advance, make_ticket
from tests.conftest import bearer, login
from tests.evaluations.conftest import done_ticket, rate_by_link


def _text(response) -> str:
    return response.content.decode()


@pytest.fixture
def rated(users, desk):
    good = rate_by_link(users, done_ticket(users, desk), Level.VERY_SATISFIED)
    bad = rate_by_link(users, done_ticket(users, desk), Level.VERY_UNSATISFIED)
    return {"good": good, "bad": bad}


# --- who reaches what -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tmx_leader", "tmx_clerk", "tmx_admin", "tmx_business"])
def test_the_subdistricts_staff_and_leader_read_the_dashboard(users, rated, name):
    page = _text(login(users[name]).get("/evaluations/"))
    assert "好评率" in page and "50.00%" in page


@pytest.mark.parametrize("name", ["ja_leader", "resident1", "enterprise1", "expert1"])
def test_others_find_no_dashboard_and_no_evaluation(users, rated, name):
    client = login(users[name])
    assert client.get("/evaluations/").status_code == 404
    assert client.get(f"/evaluations/{rated['good'].pk}/").status_code == 404


def test_another_subdistricts_evaluation_answers_404(users, rated):
    client = login(users["bz_admin"])
    assert client.get(f"/evaluations/{rated['bad'].pk}/").status_code == 404
    assert client.get("/evaluations/list/").status_code == 200
    assert rated["bad"].case_number not in _text(client.get("/evaluations/list/"))


def test_the_report_card_shows_the_evaluation_figures(users, rated):
    page = _text(login(users["tmx_leader"]).get("/report/TMX/"))
    assert "好评率" in page and "差评按时整改率" in page


# --- personal data --------------------------------------------------------------------------------
def test_the_person_is_masked_in_the_list_the_export_and_the_api(users, rated):
    person = rated["bad"].person
    masked = {rated["good"].person.phone_masked, person.phone_masked}
    clear = pii.decrypt(person.phone_encrypted)
    client = login(users["tmx_admin"])
    page = _text(client.get("/evaluations/list/"))
    assert person.phone_masked in page
    export = client.get("/evaluations/list/?export=xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(person.phone_masked in c for c in cells)
    api = client.get("/api/v1/evaluations/", **bearer(users["tmx_admin"]))
    body = api.json()
    assert {i["person_phone_masked"] for i in body["items"]} == masked
    assert clear not in page and clear not in json.dumps(body) and clear not in "".join(cells)
    assert "source" not in body["items"][0]


# --- the applicant's link --------------------------------------------------------------------------
def test_the_applicant_rates_once_through_the_link_without_an_account(users, desk):
    ticket = done_ticket(users, desk)
    _token, raw = services.token_issue(actor=users["tmx_clerk"], case=ticket)
    anonymous = Client()
    url = f"/evaluations/rate/{raw}/"
    form = _text(anonymous.get(url))
    assert "总体评价" in form and "服务态度" in form and ticket.number in form
    bad = anonymous.post(url, {"level": "9"})
    assert bad.status_code == 200 and not Evaluation.objects.exists()
    done = anonymous.post(url, {"level": "5", "score_attitude": "5", "comment": "很好"})
    assert "感谢" in _text(done)
    evaluation = Evaluation.objects.get()
    assert (evaluation.level, evaluation.channel, evaluation.scores) == (5, "qr", {"attitude": 5})
    assert evaluation.source  # where it came from, as a keyed hash
    again = anonymous.get(url)
    assert again.status_code == 404 and "已使用" in _text(again)


def test_the_pad_lists_the_clerks_tickets_and_opens_the_rating_or_a_qr_code(users, desk):
    ticket = done_ticket(users, desk)
    client = login(users["tmx_clerk"])
    assert ticket.number in _text(client.get("/evaluations/pad/"))
    qr = client.post("/evaluations/link/", {"number": ticket.number, "channel": "qr"})
    assert "<svg" in _text(qr) and "/evaluations/rate/" in _text(qr)
    pad = client.post("/evaluations/link/", {"number": ticket.number, "channel": "pad"})
    assert pad.status_code == 302 and pad["Location"].startswith("/evaluations/rate/")
    Client().post(pad["Location"], {"level": "4"})
    assert Evaluation.objects.get(channel=EvalChannel.PAD).level == 4
    assert ticket.number not in _text(client.get("/evaluations/pad/"))  # rated on site
    # another subdistrict's clerk cannot make a link for it
    assert (
        login(users["bz_admin"])
        .post("/evaluations/link/", {"number": ticket.number, "channel": "qr"})
        .status_code
        == 404
    )


def test_staff_enter_a_call_for_someone_elses_ticket(users, desk):
    ticket = done_ticket(users, desk)
    clerk = login(users["tmx_clerk"])
    own = clerk.post(
        f"/evaluations/enter/?number={ticket.number}", {"channel": "hotline", "level": "5"}
    )
    assert "不能评价自己经办的事项" in _text(own) and not Evaluation.objects.exists()
    admin = login(users["tmx_admin"])
    made = admin.post(
        f"/evaluations/enter/?number={ticket.number}", {"channel": "hotline", "level": "2"}
    )
    evaluation = Evaluation.objects.get()
    assert made.status_code == 302 and evaluation.entered_by == users["tmx_admin"]
    assert evaluation.rectification.status == RectificationStatus.OPEN


# --- a bad review's page -----------------------------------------------------------------------------
def test_the_bad_review_is_handled_and_appealed_from_its_page(users, rated):
    bad = rated["bad"]
    url = f"/evaluations/{bad.pk}/"
    clerk = login(users["tmx_clerk"])
    page = _text(clerk.get(url))
    assert "差评整改" in page and "已联系" in page
    empty = clerk.post(url, {"action": "contacted", "move-note": ""})
    assert empty.status_code == 200 and "请填写" in _text(empty)
    assert clerk.post(url, {"action": "contacted", "move-note": "已致电致歉"}).status_code == 302
    bad.rectification.refresh_from_db()
    assert bad.rectification.status == RectificationStatus.CONTACTED
    assert (
        clerk.post(url, {"action": "appeal", "appeal-reason": "恶意差评请复核"}).status_code == 403
    )
    assert not Appeal.objects.exists()  # a clerk does not appeal; the subdistrict's admin does
    admin = login(users["tmx_admin"])
    assert (
        admin.post(url, {"action": "appeal", "appeal-reason": "恶意差评请复核"}).status_code == 302
    )
    assert "提交复核结果" not in _text(admin.get(url))
    platform = login(users["admin"])
    decided = platform.post(
        url, {"action": "decide", "decide-upheld": "1", "decide-note": "核实误评"}
    )
    assert decided.status_code == 302
    assert "申诉成立" in _text(admin.get(url))
    assert "100.00%" in _text(login(users["tmx_leader"]).get("/evaluations/"))


# --- API -----------------------------------------------------------------------------------------------
def test_the_api_is_scoped_and_walks_the_bad_review(users, rated):
    bad = rated["bad"]
    admin = bearer(users["tmx_admin"])
    client = Client()
    assert (
        client.get(f"/api/v1/evaluations/{bad.pk}", **bearer(users["bz_admin"])).status_code == 404
    )
    assert (
        client.get("/api/v1/evaluations/figures", **bearer(users["ja_leader"])).status_code == 404
    )
    figures = client.get("/api/v1/evaluations/figures", **admin).json()
    assert (figures["count"], figures["good_rate"], figures["bad"]) == (2, 50.0, 1)
    rect_id = client.get("/api/v1/evaluations/rectifications", **admin).json()["items"][0]["id"]
    skip = client.post(
        f"/api/v1/evaluations/rectifications/{rect_id}/moves",
        {"to_status": "fixed", "note": "直接整改"},
        content_type="application/json",
        **admin,
    )
    assert skip.status_code == 422
    moved = client.post(
        f"/api/v1/evaluations/rectifications/{rect_id}/moves",
        {"to_status": "contacted", "note": "已联系", "complex": True},
        content_type="application/json",
        **admin,
    )
    assert moved.status_code == 200 and moved.json()["complex"] is True
    appeal = client.post(
        f"/api/v1/evaluations/{bad.pk}/appeal",
        {"reason": "评价人误操作"},
        content_type="application/json",
        **admin,
    )
    assert appeal.status_code == 201
    decision = client.post(
        f"/api/v1/evaluations/{bad.pk}/appeal/decision",
        {"upheld": False, "note": "属实"},
        content_type="application/json",
        **bearer(users["admin"]),
    )
    assert decision.status_code == 200 and decision.json()["status"] == "rejected"


def test_the_api_enters_a_call_and_refuses_bad_input(users, desk):
    ticket = done_ticket(users, desk)
    admin = bearer(users["tmx_admin"])
    client = Client()
    bad = client.post(
        "/api/v1/evaluations/",
        {"case": "ticket", "case_id": ticket.pk, "channel": "hotline", "level": 7},
        content_type="application/json",
        **admin,
    )
    assert bad.status_code == 422 and not Evaluation.objects.exists()
    made = client.post(
        "/api/v1/evaluations/",
        {"case": "ticket", "case_id": ticket.pk, "channel": "hotline", "level": 5},
        content_type="application/json",
        **admin,
    )
    assert made.status_code == 201 and made.json()["channel"] == "hotline"


# --- query counts -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/evaluations/list/", "/evaluations/bad/", "/evaluations/"])
def test_pages_keep_a_constant_number_of_queries(users, desk, url):
    client = login(users["tmx_admin"])

    def add(n: int) -> None:
        for i in range(n):
            rate_by_link(
                users, done_ticket(users, desk), Level.UNSATISFIED if i % 2 else Level.SATISFIED
            )

    add(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_staff_enter_form_accepts_only_calls_and_visits(users, desk):
    ticket = done_ticket(users, desk)
    with pytest.raises(Exception, match="代录"):
        services.evaluation_enter(
            actor=users["tmx_admin"], case=ticket, channel=EvalChannel.SMS, rating=Rating(5, {})
        )


def test_the_applicant_rates_their_own_case_online_once(users, desk, tree):
    from tests.factories import make_person

    person = make_person(tree.committee_a, "王评价", user=users["resident1"])
    ticket = make_ticket(
        actor=users["tmx_clerk"], item=desk["item"], point=desk["point"], person=person
    )
    ticket = advance(ticket, users["tmx_clerk"], "accepted", "completed")
    someone_else = done_ticket(users, desk)
    client = login(users["resident1"])
    home = _text(client.get("/", follow=True))
    assert "待评价的服务" in home
    page = _text(client.get("/evaluations/mine/"))
    assert ticket.number in page and someone_else.number not in page
    url = f"/evaluations/mine/ticket/{ticket.pk}/"
    assert "平台易用性" in _text(client.get(url))  # the online indicators
    assert client.get(f"/evaluations/mine/ticket/{someone_else.pk}/").status_code == 404
    assert client.post(url, {"level": "5", "score_ease": "4"}).status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.channel, evaluation.person, evaluation.scores) == (
        "online",
        person,
        {"ease": 4},
    )
    assert client.get(url).status_code == 404  # once
    assert login(users["tmx_clerk"]).get("/evaluations/mine/").status_code == 200


def test_a_link_for_an_enterprise_request_by_number_sent_by_sms(users):
    from tests.business.factories import make_building, make_firm, make_request, make_type
    from tests.factories import make_person

    contact = make_person(users["tmx_admin"].memberships.first().org_unit, "李企业")
    firm = make_firm(
        make_building(users["tmx_admin"].memberships.first().org_unit, "星贸"),
        "星贸公司",
        contact=contact,
    )
    office = users["tmx_business"]
    request = make_request(office, firm, make_type())
    from jiedao.business import services as business

    for to in ("acknowledged", "resolved"):
        business.request_transition(actor=office, request=request, to_status=to, note="已解决")
    client = login(office)
    page = client.post("/evaluations/link/", {"number": request.number, "channel": "sms"})
    body = _text(page)
    assert "短信评价" in body and "/evaluations/rate/" in body
    raw = body.split("/evaluations/rate/")[1].split("/")[0]
    assert "办理便捷程度" in _text(Client().get(f"/evaluations/rate/{raw}/"))  # online indicators
    Client().post(f"/evaluations/rate/{raw}/", {"level": "4"})
    evaluation = Evaluation.objects.get()
    assert (evaluation.request, evaluation.channel, evaluation.person) == (request, "sms", contact)
