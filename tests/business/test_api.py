"""/api/v1/business/: scoping by the central policy (another subdistrict sees nothing, an
enterprise account reaches only its own requests), masking, requests (create, transitions,
rating), meetings whose decisions become action items, vacancies and viewings, liaison visits,
and constant query counts on the lists."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.business import services
from jiedao.business.models import (
    ActionItem,
    ActionState,
    EnterpriseRequest,
    LiaisonVisit,
    Meeting,
    Policy,
    RequestStatus,
    Vacancy,
    VacancyStatus,
    ViewingOutcome,
)
from jiedao.core.workdays import add_workdays
from tests.business.factories import (
    advance,
    make_building,
    make_building_profile,
    make_council,
    make_firm,
    make_request,
    make_type,
)
from tests.conftest import bearer
from tests.factories import make_person

pytestmark = pytest.mark.django_db

API = "/api/v1/business"
MASKED_MOBILE = re.compile(r"^1\d{2}\*{4}\d{4}$")


def api(user: Any) -> Client:
    return Client(**bearer(user))


def post_json(client: Client, url: str, payload: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


def ids(response: Any, key: str = "id") -> set[Any]:
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["items"]}


@pytest.fixture
def biz(tree, users) -> dict[str, Any]:
    """In 天目西路: a key building with a liaison leader, a council, a meeting with an action
    item, a vacancy with a viewing, a visit, a policy, enterprise1's firm and a neighbour, each
    with a request. In 北站: a building, a firm and a request of its own."""
    officer, bz = users["tmx_business"], users["bz_admin"]
    rtype = make_type("policy", "政策咨询", response_days=1, resolve_days=5)
    tower = make_building(tree.sub_a, "天目大厦", floors=30)
    make_building_profile(officer, tower, grade="A", owner="天目置业", is_key=True)
    contact = make_person(tree.sub_a, "赵联系", phone="13700001111", user=users["enterprise1"])
    own = make_firm(tower, "一号科技有限公司", actor=officer, white_collar=120, contact=contact)
    neighbour = make_firm(tower, "邻居贸易有限公司", actor=officer, white_collar=30)
    council = make_council(officer, tree.sub_a, [tower], name="天目和矩阵")
    meeting = services.meeting_record(
        actor=officer,
        council=council,
        kind="regular",
        day=date(2025, 3, 1),
        title="例会",
        decisions=[{"title": "修电梯", "owner": "物业", "deadline": date(2025, 4, 1)}],
    )
    vacancy = services.vacancy_create(
        actor=officer,
        building=tower,
        floor=12,
        area=Decimal("300.0"),
        rent_min=Decimal("6.00"),
        rent_max=Decimal("8.00"),
        available_from=date(2025, 1, 1),
    )
    viewing = services.viewing_book(
        actor=officer, vacancy=vacancy, day=date(2025, 2, 1), prospect_name="意向公司"
    )
    services.liaison_assign(
        actor=officer, building=tower, leader=users["tmx_leader"], department="营商办"
    )
    visit = services.liaison_visit_record(
        actor=users["tmx_leader"], building=tower, day=date(2025, 2, 2), visitors=[]
    )
    doc = services.policy_create(
        actor=officer,
        org_unit=tree.sub_a,
        title="楼宇经济扶持办法",
        issuer="天目西路街道",
        issued_on=date(2025, 1, 1),
        summary="对重点楼宇企业给予支持",
        industries=["软件"],
    )
    mine = make_request(officer, own, rtype, title="咨询扶持政策")
    theirs = make_request(officer, neighbour, rtype, title="邻居的诉求")
    north = make_building(tree.sub_b, "北站大厦")
    bz_firm = make_firm(north, "北站商贸有限公司", actor=bz)
    bz_request = make_request(bz, bz_firm, rtype, title="北站的诉求")
    return {
        "type": rtype,
        "tower": tower,
        "own": own,
        "neighbour": neighbour,
        "council": council,
        "meeting": meeting,
        "item": meeting.action_items.get(),
        "vacancy": vacancy,
        "viewing": viewing,
        "visit": visit,
        "policy": doc,
        "mine": mine,
        "theirs": theirs,
        "north": north,
        "bz_firm": bz_firm,
        "bz_request": bz_request,
    }


# --- scoping ------------------------------------------------------------------------------------
def test_another_subdistrict_sees_none_of_our_records(users, biz):
    client = api(users["bz_admin"])
    assert ids(client.get(f"{API}/buildings")) == {biz["north"].pk}
    assert ids(client.get(f"{API}/enterprises")) == {biz["bz_firm"].pk}
    assert ids(client.get(f"{API}/requests")) == {biz["bz_request"].pk}
    for path in (
        "vacancies",
        "viewings",
        "councils",
        "action-items",
        "liaison/assignments",
        "liaison/visits",
        "policies",
    ):
        assert client.get(f"{API}/{path}").json()["count"] == 0, path


def test_every_route_to_another_subdistricts_record_is_not_found(users, biz):
    client = api(users["bz_admin"])
    for url in (
        f"buildings/{biz['tower'].pk}",
        f"enterprises/{biz['own'].pk}",
        f"councils/{biz['council'].pk}",
        f"councils/{biz['council'].pk}/meetings",
        f"meetings/{biz['meeting'].pk}",
        f"requests/{biz['mine'].pk}",
    ):
        assert_error(client.get(f"{API}/{url}"), 404, "not_found")
    writes: list[tuple[str, dict[str, Any]]] = [
        (f"requests/{biz['mine'].pk}/transitions", {"to_status": "acknowledged"}),
        (f"requests/{biz['mine'].pk}/rating", {"rating": 5}),
        (f"action-items/{biz['item'].pk}/move", {"to_state": "in_progress"}),
        (f"viewings/{biz['viewing'].pk}/outcome", {"outcome": "moved_in"}),
        (
            f"councils/{biz['council'].pk}/meetings",
            {"kind": "regular", "date": "2025-05-01", "title": "越权"},
        ),
        (
            "requests",
            {
                "enterprise_id": biz["own"].pk,
                "type_id": biz["type"].pk,
                "title": "越权",
                "description": "越权",
            },
        ),
        (
            "vacancies",
            {
                "building_id": biz["tower"].pk,
                "floor": 3,
                "area": "100.0",
                "rent_min": "5.00",
                "rent_max": "6.00",
                "available_from": "2025-06-01",
            },
        ),
        (
            "viewings",
            {"vacancy_id": biz["vacancy"].pk, "date": "2025-06-01", "prospect_name": "越权"},
        ),
        ("liaison/visits", {"building_id": biz["tower"].pk, "date": "2025-02-03"}),
    ]
    for url, payload in writes:
        assert_error(post_json(client, f"{API}/{url}", payload), 404, "not_found")
    # nothing changed
    assert EnterpriseRequest.objects.get(pk=biz["mine"].pk).status == RequestStatus.RECEIVED
    assert ActionItem.objects.get(pk=biz["item"].pk).state == ActionState.OPEN
    assert Meeting.objects.filter(council=biz["council"]).count() == 1
    assert EnterpriseRequest.objects.filter(enterprise=biz["own"]).count() == 1
    assert Vacancy.objects.filter(building=biz["tower"]).count() == 1
    assert LiaisonVisit.objects.filter(building=biz["tower"]).count() == 1


def test_our_office_sees_our_records_with_profiles(users, biz):
    client = api(users["tmx_business"])
    body = client.get(f"{API}/buildings").json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["id"] == biz["tower"].pk and row["floors"] == 30
    assert row["enterprise_count"] == 2 and row["open_vacancies"] == 1
    assert row["profile"]["grade"] == "A" and row["profile"]["is_key"] is True
    assert row["liaison"]["leader_id"] == users["tmx_leader"].pk
    detail = client.get(f"{API}/buildings/{biz['tower'].pk}").json()
    assert detail["council_ids"] == [biz["council"].pk]
    assert detail["open_requests"] == 2
    assert ids(client.get(f"{API}/requests")) == {biz["mine"].pk, biz["theirs"].pk}
    assert ids(client.get(f"{API}/councils")) == {biz["council"].pk}
    council = client.get(f"{API}/councils/{biz['council'].pk}").json()
    assert council["building_ids"] == [biz["tower"].pk]
    assert ids(client.get(f"{API}/policies?q=扶持")) == {biz["policy"].pk}
    assert client.get(f"{API}/policies?q=不存在的政策").json()["count"] == 0
    types = client.get(f"{API}/request-types").json()
    assert [t["code"] for t in types] == ["policy"]


def test_enterprise_contact_leaves_only_as_name_and_masked_phone(users, biz):
    client = api(users["tmx_business"])
    for url in (f"{API}/enterprises", f"{API}/enterprises/{biz['own'].pk}"):
        response = client.get(url)
        assert "13700001111" not in response.content.decode()
        data = response.json()
        row = (
            next(r for r in data["items"] if r["id"] == biz["own"].pk) if "items" in data else data
        )
        assert row["contact_name"] == "赵联系"
        assert row["contact_phone"] == "137****1111"
        assert MASKED_MOBILE.match(row["contact_phone"])
        assert row["profile"]["white_collar_count"] == 120
        assert not {"id_number", "phone", "contact"} & set(row)


def test_enterprise_account_reaches_only_its_own_requests(users, biz):
    client = api(users["enterprise1"])
    assert ids(client.get(f"{API}/requests")) == {biz["mine"].pk}
    assert client.get(f"{API}/requests/{biz['mine'].pk}").status_code == 200
    assert_error(client.get(f"{API}/requests/{biz['theirs'].pk}"), 404, "not_found")
    assert_error(client.get(f"{API}/requests/{biz['bz_request'].pk}"), 404, "not_found")
    # filters cannot widen the scope
    assert ids(client.get(f"{API}/requests?enterprise={biz['neighbour'].pk}")) == set()
    # it sees its own enterprise, and none of the office's records
    assert ids(client.get(f"{API}/enterprises")) == {biz["own"].pk}
    for path in ("buildings", "vacancies", "viewings", "councils", "action-items"):
        assert client.get(f"{API}/{path}").json()["count"] == 0, path
    # the policy library is open to it
    assert ids(client.get(f"{API}/policies")) == {biz["policy"].pk}
    # it may not move a request, even its own
    assert_error(
        post_json(
            client, f"{API}/requests/{biz['mine'].pk}/transitions", {"to_status": "acknowledged"}
        ),
        403,
        "forbidden",
    )
    assert EnterpriseRequest.objects.get(pk=biz["mine"].pk).status == RequestStatus.RECEIVED


def test_enterprise_files_for_its_own_enterprise_but_not_for_another(users, biz):
    client = api(users["enterprise1"])
    payload = {
        "enterprise_id": biz["own"].pk,
        "type_id": biz["type"].pk,
        "title": "咨询人才政策",
        "description": "想了解人才公寓申请条件。",
        "policy_id": biz["policy"].pk,
    }
    response = post_json(client, f"{API}/requests", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    filed = EnterpriseRequest.objects.get(pk=body["id"])
    assert filed.enterprise == biz["own"] and filed.policy == biz["policy"]
    assert body["status"] == "received" and body["policy_title"] == "楼宇经济扶持办法"
    assert [t["to_status"] for t in body["transitions"]] == ["received"]
    assert ids(client.get(f"{API}/requests")) == {biz["mine"].pk, filed.pk}

    for other in (biz["neighbour"], biz["bz_firm"]):
        response = post_json(client, f"{API}/requests", {**payload, "enterprise_id": other.pk})
        assert_error(response, 404, "not_found")
        assert EnterpriseRequest.objects.filter(enterprise=other, title="咨询人才政策").count() == 0


def test_a_leader_who_may_read_enterprises_may_not_file_for_them(users, biz):
    payload = {
        "enterprise_id": biz["neighbour"].pk,
        "type_id": biz["type"].pk,
        "title": "代企业提交",
        "description": "领导代为提交。",
    }
    response = post_json(api(users["tmx_leader"]), f"{API}/requests", payload)
    assert_error(response, 403, "forbidden")


# --- requests: create, transitions, rating ------------------------------------------------------
def test_office_files_a_request_and_moves_it_along_the_map(users, biz):
    client = api(users["tmx_business"])
    response = post_json(
        client,
        f"{API}/requests",
        {
            "enterprise_id": biz["neighbour"].pk,
            "type_id": biz["type"].pk,
            "title": "办公场地扩租",
            "description": "希望在本楼扩租一层。",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    pk = created["id"]
    today = timezone.localdate()
    assert created["number"].startswith(f"TMX-QY{today:%Y}-")
    assert created["response_due"] == add_workdays(today, 1).isoformat()
    assert created["resolve_due"] == add_workdays(today, 5).isoformat()
    assert created["building_name"] == "天目大厦"

    # when: a legal move
    response = post_json(
        client, f"{API}/requests/{pk}/transitions", {"to_status": "acknowledged", "note": "已受理"}
    )
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "acknowledged" and body["acknowledged_at"]
    assert body["assigned_to_id"] == users["tmx_business"].pk

    # an illegal move is a 422 with its own code, and changes nothing
    response = post_json(client, f"{API}/requests/{pk}/transitions", {"to_status": "received"})
    assert_error(response, 422, "illegal_transition")
    response = post_json(client, f"{API}/requests/{pk}/transitions", {"to_status": "nonsense"})
    assert_error(response, 422, "illegal_transition")
    assert EnterpriseRequest.objects.get(pk=pk).status == RequestStatus.ACKNOWLEDGED

    # a referral needs the department; a resolution needs a note
    response = post_json(client, f"{API}/requests/{pk}/transitions", {"to_status": "referred"})
    assert "referred_to" in assert_error(response, 422, "invalid")["fields"]
    response = post_json(client, f"{API}/requests/{pk}/transitions", {"to_status": "resolved"})
    assert "note" in assert_error(response, 422, "invalid")["fields"]

    response = post_json(
        client,
        f"{API}/requests/{pk}/transitions",
        {"to_status": "resolved", "note": "已协调同楼层空置房源。"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "resolved" and body["resolved_at"] and body["first_response_at"]
    assert [(t["from_status"], t["to_status"]) for t in body["transitions"]] == [
        ("", "received"),
        ("received", "acknowledged"),
        ("acknowledged", "resolved"),
    ]


def test_rating_only_by_the_enterprise_once_resolved_once_and_from_1_to_5(users, biz):
    office, firm = api(users["tmx_business"]), api(users["enterprise1"])
    url = f"{API}/requests/{biz['mine'].pk}/rating"

    # not yet resolved
    assert_error(post_json(firm, url, {"rating": 5}), 422, "invalid")
    advance(biz["mine"], users["tmx_business"], RequestStatus.ACKNOWLEDGED, RequestStatus.RESOLVED)

    # not by the office
    assert_error(post_json(office, url, {"rating": 5}), 403, "forbidden")
    # out of range
    for bad in (0, 6):
        assert_error(post_json(firm, url, {"rating": bad}), 422, "validation_error")
    assert EnterpriseRequest.objects.get(pk=biz["mine"].pk).rating is None

    response = post_json(firm, url, {"rating": 4, "comment": "响应及时"})
    assert response.status_code == 200, response.content
    assert response.json()["rating"] == 4 and response.json()["rating_comment"] == "响应及时"

    # only once
    assert_error(post_json(firm, url, {"rating": 1}), 422, "invalid")
    assert EnterpriseRequest.objects.get(pk=biz["mine"].pk).rating == 4
    # another enterprise's request is not found
    other = f"{API}/requests/{biz['theirs'].pk}/rating"
    assert_error(post_json(firm, other, {"rating": 5}), 404, "not_found")


def test_request_list_filters(users, biz):
    client = api(users["tmx_business"])
    advance(biz["theirs"], users["tmx_business"], RequestStatus.ACKNOWLEDGED)
    late = make_request(
        users["tmx_business"],
        biz["neighbour"],
        biz["type"],
        received_at=timezone.now() - timedelta(days=30),
        title="很久以前的诉求",
    )
    assert ids(client.get(f"{API}/requests?status=acknowledged")) == {biz["theirs"].pk}
    assert ids(client.get(f"{API}/requests?due=overdue")) == {late.pk}
    assert ids(client.get(f"{API}/requests?q=很久以前")) == {late.pk}
    assert ids(client.get(f"{API}/requests?enterprise={biz['own'].pk}")) == {biz["mine"].pk}
    assert ids(client.get(f"{API}/requests?assigned_to={users['tmx_business'].pk}")) == {
        biz["theirs"].pk
    }
    month = timezone.localtime(late.received_at).strftime("%Y-%m")
    assert late.pk in ids(client.get(f"{API}/requests?month={month}"))
    assert_error(client.get(f"{API}/requests?month=2025-13-01"), 422, "validation_error")
    assert_error(client.get(f"{API}/requests?status=nonsense"), 422, "validation_error")
    assert_error(client.get(f"{API}/requests?limit=100000"), 422, "validation_error")
    assert_error(client.get(f"{API}/requests?offset=99999999999999"), 422, "validation_error")


# --- councils, meetings, action items -----------------------------------------------------------
def test_meeting_recorded_with_decisions_creates_action_items(users, biz):
    client = api(users["tmx_business"])
    council = biz["council"]
    response = post_json(
        client,
        f"{API}/councils/{council.pk}/meetings",
        {
            "kind": "seminar",
            "date": "2025-05-10",
            "title": "楼宇停车专题研讨会",
            "experts": ["交通规划专家"],
            "departments": ["交警支队"],
            "decisions": [
                {"title": "增设错时停车位", "owner": "物业", "deadline": "2025-06-30"},
                {"title": "协调周边道路划线", "owner": "交警支队", "deadline": "2025-07-31"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "seminar" and body["experts"] == ["交通规划专家"]
    assert [(i["title"], i["state"]) for i in body["action_items"]] == [
        ("增设错时停车位", "open"),
        ("协调周边道路划线", "open"),
    ]
    created = ActionItem.objects.filter(meeting_id=body["id"])
    assert set(created.values_list("council_id", flat=True)) == {council.pk}
    assert client.get(f"{API}/meetings/{body['id']}").json()["action_items"] == body["action_items"]
    assert ids(client.get(f"{API}/councils/{council.pk}/meetings")) == {
        biz["meeting"].pk,
        body["id"],
    }
    # a decision without an owner is refused as a whole
    response = post_json(
        client,
        f"{API}/councils/{council.pk}/meetings",
        {
            "kind": "regular",
            "date": "2025-05-11",
            "title": "例会",
            "decisions": [{"title": "某事", "owner": " ", "deadline": "2025-06-30"}],
        },
    )
    assert "decisions" in assert_error(response, 422, "invalid")["fields"]
    assert Meeting.objects.filter(council=council).count() == 2
    # a reader who may not change the council may not record its meetings
    response = post_json(
        api(users["tmx_leader"]),
        f"{API}/councils/{council.pk}/meetings",
        {"kind": "regular", "date": "2025-05-12", "title": "例会"},
    )
    assert_error(response, 403, "forbidden")


def test_action_item_closes_only_with_a_result(users, biz):
    client = api(users["tmx_business"])
    url = f"{API}/action-items/{biz['item'].pk}/move"
    response = post_json(client, url, {"to_state": "done"})
    assert "result" in assert_error(response, 422, "invalid")["fields"]
    assert ActionItem.objects.get(pk=biz["item"].pk).state == ActionState.OPEN

    response = post_json(client, url, {"to_state": "done", "result": "电梯已维修完毕。"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "done" and response.json()["closed_at"]
    assert response.json()["result"] == "电梯已维修完毕。"

    assert_error(post_json(client, url, {"to_state": "open"}), 422, "illegal_transition")
    assert_error(post_json(client, url, {"to_state": "bogus"}), 422, "illegal_transition")


def test_action_items_overdue_filter(users, biz):
    client = api(users["tmx_business"])
    future = services.meeting_record(
        actor=users["tmx_business"],
        council=biz["council"],
        kind="regular",
        day=timezone.localdate(),
        title="本月例会",
        decisions=[
            {"title": "下月事项", "owner": "物业", "deadline": timezone.localdate() + timedelta(30)}
        ],
    )
    coming = future.action_items.get()
    assert ids(client.get(f"{API}/action-items")) == {biz["item"].pk, coming.pk}
    assert ids(client.get(f"{API}/action-items?overdue=true")) == {biz["item"].pk}
    assert ids(client.get(f"{API}/councils")) == {biz["council"].pk}
    assert client.get(f"{API}/councils").json()["items"][0]["overdue_actions"] == 1
    services.action_item_move(
        actor=users["tmx_business"], item=biz["item"], to_state="done", result="已完成"
    )
    assert ids(client.get(f"{API}/action-items?overdue=true")) == set()
    assert ids(client.get(f"{API}/action-items?state=done")) == {biz["item"].pk}


# --- vacancies, viewings, liaison ---------------------------------------------------------------
def test_vacancy_listed_booked_and_let_on_a_move_in(users, biz):
    client = api(users["tmx_business"])
    response = post_json(
        client,
        f"{API}/vacancies",
        {
            "building_id": biz["tower"].pk,
            "floor": 18,
            "area": "520.5",
            "rent_min": "7.50",
            "rent_max": "9.00",
            "available_from": "2025-07-01",
        },
    )
    assert response.status_code == 201, response.content
    vacancy_id = response.json()["id"]
    assert response.json()["status"] == "open" and response.json()["building_name"] == "天目大厦"
    bad = post_json(
        client,
        f"{API}/vacancies",
        {
            "building_id": biz["tower"].pk,
            "floor": 19,
            "area": "100.0",
            "rent_min": "9.00",
            "rent_max": "7.00",
            "available_from": "2025-07-01",
        },
    )
    assert "rent_max" in assert_error(bad, 422, "invalid")["fields"]
    assert ids(client.get(f"{API}/vacancies?open_only=true")) == {biz["vacancy"].pk, vacancy_id}

    response = post_json(
        client,
        f"{API}/viewings",
        {
            "vacancy_id": vacancy_id,
            "date": "2025-07-02",
            "enterprise_id": biz["neighbour"].pk,
            "request_id": biz["theirs"].pk,
        },
    )
    assert response.status_code == 201, response.content
    viewing = response.json()
    assert viewing["enterprise_name"] == "邻居贸易有限公司" and viewing["outcome"] == "booked"
    assert viewing["request_id"] == biz["theirs"].pk
    assert viewing["guide_name"]

    url = f"{API}/viewings/{viewing['id']}/outcome"
    response = post_json(client, url, {"outcome": "moved_in", "note": "已签约"})
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == ViewingOutcome.MOVED_IN
    assert Vacancy.objects.get(pk=vacancy_id).status == VacancyStatus.LET
    assert ids(client.get(f"{API}/vacancies?open_only=true")) == {biz["vacancy"].pk}
    # an outcome is recorded once; a let vacancy takes no more viewings
    assert_error(post_json(client, url, {"outcome": "declined"}), 422, "invalid")
    response = post_json(
        client,
        f"{API}/viewings",
        {"vacancy_id": vacancy_id, "date": "2025-07-03", "prospect_name": "后来者"},
    )
    assert_error(response, 422, "invalid")


def test_liaison_leader_lists_buildings_and_records_a_visit(users, biz):
    client = api(users["tmx_leader"])
    rows = client.get(f"{API}/liaison/assignments?mine=true").json()["items"]
    assert [(r["building_id"], r["last_visit"]) for r in rows] == [(biz["tower"].pk, "2025-02-02")]
    assert rows[0]["is_due"] is True  # the last visit is older than the quarterly interval
    response = post_json(
        client,
        f"{API}/liaison/visits",
        {
            "building_id": biz["tower"].pk,
            "date": timezone.localdate().isoformat(),
            "enterprise_ids": [biz["own"].pk],
            "issues": ["希望增加停车位"],
            "note": "走访两家企业",
        },
    )
    assert response.status_code == 201, response.content
    visit = response.json()
    assert visit["enterprise_ids"] == [biz["own"].pk]
    assert visit["issues"] == ["希望增加停车位"]
    assert visit["visitor_names"] == [str(users["tmx_leader"])]
    rows = client.get(f"{API}/liaison/assignments?mine=true").json()["items"]
    assert rows[0]["is_due"] is False
    assert client.get(f"{API}/liaison/assignments?due=true").json()["count"] == 0
    assert ids(client.get(f"{API}/liaison/visits?building={biz['tower'].pk}")) == {
        biz["visit"].pk,
        visit["id"],
    }
    # someone who may not visit this building cannot be named as a visitor
    response = post_json(
        client,
        f"{API}/liaison/visits",
        {
            "building_id": biz["tower"].pk,
            "date": timezone.localdate().isoformat(),
            "visitor_ids": [users["bz_admin"].pk],
        },
    )
    assert_error(response, 404, "not_found")  # as an unknown id: the account is not revealed
    # a firm of another building cannot be listed
    response = post_json(
        api(users["tmx_business"]),
        f"{API}/liaison/visits",
        {
            "building_id": biz["tower"].pk,
            "date": timezone.localdate().isoformat(),
            "enterprise_ids": [biz["bz_firm"].pk],
        },
    )
    assert_error(response, 404, "not_found")


# --- query counts -------------------------------------------------------------------------------
def count_queries(client: Client, url: str) -> tuple[list[str], Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return [q["sql"] for q in ctx.captured_queries], response


def add_records(tree: Any, users: dict[str, Any], biz: dict[str, Any], n: int, seq: int) -> None:
    """n more buildings (half with a profile and liaison), each with a firm (with a contact
    and a profile) and a request (half of them taken by the office)."""
    officer = users["tmx_business"]
    for k in range(seq, seq + n):
        building = make_building(tree.sub_a, f"测试楼{k}")
        if k % 2:
            make_building_profile(officer, building, grade="B", is_key=True)
            services.liaison_assign(
                actor=officer, building=building, leader=users["tmx_leader"], department="营商办"
            )
        contact = make_person(tree.sub_a, f"联系人{k}")
        firm = make_firm(building, f"测试企业{k}", actor=officer, white_collar=k, contact=contact)
        request = make_request(officer, firm, biz["type"], title=f"诉求{k}")
        if k % 2:
            advance(request, officer, RequestStatus.ACKNOWLEDGED)


@pytest.mark.parametrize("path", ["requests", "enterprises", "buildings"])
def test_list_query_count_is_constant(tree, users, biz, path):
    # given: 3 visible rows
    client = api(users["tmx_business"])
    base = {"requests": 2, "enterprises": 2, "buildings": 1}[path]
    add_records(tree, users, biz, 3 - base, seq=0)
    count_queries(client, f"{API}/{path}")  # warm-up: the token's first use
    few, response = count_queries(client, f"{API}/{path}")
    assert response.json()["count"] == 3
    # when
    add_records(tree, users, biz, 27, seq=100)
    many, response = count_queries(client, f"{API}/{path}")
    # then
    assert response.json()["count"] == 30
    assert len(many) == len(few), "\n".join(many)


def test_policy_attachment_and_search_by_industry(users, biz):
    client = api(users["enterprise1"])
    assert ids(client.get(f"{API}/policies?industry=软件")) == {biz["policy"].pk}
    assert ids(client.get(f"{API}/policies?industry=餐饮")) == set()
    row = client.get(f"{API}/policies").json()["items"][0]
    assert row["attachment_url"] is None and row["industries"] == ["软件"]
    assert Policy.objects.count() == 1
