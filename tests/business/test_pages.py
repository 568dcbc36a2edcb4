"""The business-environment pages: building directory and page, enterprises, councils, the
request desk and detail, the liaison list, the policy library and the dashboard.

Fixtures go through the services; dates that a figure depends on are explicit.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.business import services
from jiedao.business.models import (
    ActionItem,
    ActionState,
    BuildingProfile,
    CouncilMember,
    EnterpriseProfile,
    EnterpriseRequest,
    LiaisonVisit,
    Meeting,
    RequestStatus,
    RequestTransition,
    Vacancy,
    VacancyStatus,
    Viewing,
    ViewingOutcome,
)
from tests.business.factories import (
    advance,
    make_building,
    make_building_profile,
    make_council,
    make_firm,
    make_request,
    make_type,
)
from tests.conftest import login
from tests.core.test_no_external_urls import assert_local_only
from tests.factories import make_person

pytestmark = pytest.mark.django_db

CLEAR_PHONE = "13812345678"
MASKED_PHONE = "138****5678"
_seq = itertools.count()


@pytest.fixture
def biz(tree, users) -> dict[str, Any]:
    """TMX: buildings A, B, C covered by two councils (B by both) and D by none.

    Enterprises (white-collar staff): A1 100, A2 200 in A; B1 300, B2 400 in B; C1 500 in C;
    C2 999 in C but moved out; D1 50 in D. Coverage: 2 councils, 3 buildings, 5 enterprises,
    1,500 white-collar workers. A1's contact is enterprise1. BZ has its own building, firm,
    council and request.
    """
    officer = users["tmx_business"]
    a = make_building(
        tree.sub_a, "凯德星贸广场", longitude=Decimal("121.455"), latitude=Decimal("31.247")
    )
    b = make_building(tree.sub_a, "苏河湾中心")
    c = make_building(tree.sub_a, "东方环球企业中心")
    d = make_building(tree.sub_a, "未覆盖大厦")
    make_building_profile(officer, a, is_key=True, party_committee="凯德楼宇党委")
    contact = make_person(tree.sub_a, "联系人己", phone=CLEAR_PHONE, user=users["enterprise1"])
    firms = {
        "A1": make_firm(a, "自家科技有限公司", actor=officer, white_collar=100, contact=contact),
        "A2": make_firm(a, "凯德贸易有限公司", actor=officer, white_collar=200),
        "B1": make_firm(b, "苏河咨询有限公司", actor=officer, white_collar=300),
        "B2": make_firm(b, "苏河物流有限公司", actor=officer, white_collar=400),
        "C1": make_firm(c, "环球金融有限公司", actor=officer, white_collar=500),
        "C2": make_firm(
            c,
            "已迁出有限公司",
            actor=officer,
            white_collar=999,
            moved_in=date(2020, 1, 1),
            moved_out=date(2024, 1, 1),
        ),
        "D1": make_firm(d, "未覆盖有限公司", actor=officer, white_collar=50),
    }
    council1 = make_council(officer, tree.sub_a, [a, b], name="和矩阵·凯德")
    council2 = make_council(officer, tree.sub_a, [b, c], name="和矩阵·苏河湾")
    policy_type = make_type("policy", "政策咨询")
    other_type = make_type("difficulty", "困难诉求/其他", free=False, resolve_days=15)
    own = make_request(officer, firms["A1"], policy_type, title="申请人才政策")
    other = make_request(officer, firms["B1"], other_type, title="停车难")
    doc = services.policy_create(
        actor=officer,
        org_unit=tree.sub_a,
        title="天目西路街道人才安居政策",
        issuer="天目西路街道办事处",
        issued_on=date(2024, 5, 1),
        summary="符合条件的企业人才可申请租房补贴。",
        industries=["软件和信息服务"],
    )
    bz_admin = users["bz_admin"]
    bz_building = make_building(tree.sub_b, "北站大厦")
    bz_firm = make_firm(bz_building, "北站物流有限公司", actor=bz_admin, white_collar=70)
    bz_council = make_council(bz_admin, tree.sub_b, [bz_building], name="北站楼务会")
    bz_request = make_request(bz_admin, bz_firm, other_type, title="北站诉求")
    return {
        "A": a,
        "B": b,
        "C": c,
        "D": d,
        "firms": firms,
        "contact": contact,
        "council1": council1,
        "council2": council2,
        "policy_type": policy_type,
        "other_type": other_type,
        "own": own,
        "other": other,
        "doc": doc,
        "bz_building": bz_building,
        "bz_firm": bz_firm,
        "bz_council": bz_council,
        "bz_request": bz_request,
    }


def pages(biz: dict[str, Any]) -> list[str]:
    return [
        "/business/dashboard/",
        "/business/buildings/",
        f"/business/buildings/{biz['A'].pk}/",
        "/business/enterprises/",
        f"/business/enterprises/{biz['firms']['A1'].pk}/",
        "/business/councils/",
        f"/business/councils/{biz['council1'].pk}/",
        "/business/actions/",
        "/business/requests/",
        f"/business/requests/{biz['own'].pk}/",
        "/business/liaison/",
        "/business/vacancies/",
        "/business/viewings/",
        "/business/policies/",
        f"/business/policies/{biz['doc'].pk}/",
    ]


def shown_rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr")


def _figure(body: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}">([^<]*)<', body)
    assert found, key
    return found.group(1)


def _cells(response) -> list[str]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]


# --- who sees what --------------------------------------------------------------------------
def test_every_page_renders_for_the_business_officer(biz, users):
    client = login(users["tmx_business"])
    for url in pages(biz):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_local_only(url, body)
        assert 'href="/business/dashboard/"' in body, url  # the module's tabs
    home = client.get("/").content.decode()
    assert 'href="/business/requests/"' in home and "营商环境" in home


def test_nav_entry_by_role(biz, users):
    contact = login(users["enterprise1"]).get("/").content.decode()
    assert 'href="/business/requests/"' in contact and "我的诉求" in contact
    assert "营商环境" not in contact
    leader = login(users["tmx_leader"]).get("/", follow=True).content.decode()
    assert 'href="/business/dashboard/"' in leader  # reads, does not file
    district = login(users["ja_leader"]).get("/", follow=True).content.decode()
    assert 'href="/business/dashboard/"' in district  # coverage roll-ups, nothing to file
    for who in ("expert1", "resident1"):
        assert "/business/" not in login(users[who]).get("/").content.decode(), who


def test_anonymous_users_are_sent_to_log_in(biz):
    for url in pages(biz):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")


def test_other_subdistrict_admin_gets_404_on_tmx_objects(biz, users):
    client = login(users["bz_admin"])
    for url in pages(biz):
        if re.search(r"/\d+/$", url):
            assert client.get(url).status_code == 404, url
    assert client.get(f"/business/buildings/{biz['bz_building'].pk}/").status_code == 200
    assert client.get(f"/business/requests/{biz['bz_request'].pk}/").status_code == 200
    for url in (
        f"/business/councils/{biz['council1'].pk}/members/",
        f"/business/requests/{biz['own'].pk}/transition/",
        f"/business/buildings/{biz['A'].pk}/profile/",
    ):
        assert client.post(url, {"kind": "other", "name": "x"}).status_code == 404, url
    lists = "".join(
        client.get(u).content.decode()
        for u in ("/business/buildings/", "/business/enterprises/", "/business/requests/")
    )
    assert "北站大厦" in lists and biz["bz_request"].number in lists
    for name in ("凯德星贸广场", "自家科技有限公司", biz["own"].number, biz["other"].number):
        assert name not in lists, name
    councils = client.get("/business/councils/").content.decode()
    assert "北站楼务会" in councils and "和矩阵·凯德" not in councils
    assert _figure(councils, "councils") == "1"


def test_enterprise_contact_sees_only_their_own_requests(biz, users):
    client = login(users["enterprise1"])
    listing = client.get("/business/requests/").content.decode()
    assert biz["own"].number in listing
    assert biz["other"].number not in listing and biz["bz_request"].number not in listing
    assert shown_rows(listing) == 1
    assert client.get(f"/business/requests/{biz['own'].pk}/").status_code == 200
    for r in (biz["other"], biz["bz_request"]):
        assert client.get(f"/business/requests/{r.pk}/").status_code == 404
    for url in (
        "/business/dashboard/",
        "/business/buildings/",
        f"/business/buildings/{biz['A'].pk}/",
        "/business/enterprises/",
        f"/business/enterprises/{biz['firms']['B1'].pk}/",
        "/business/councils/",
        "/business/liaison/",
    ):
        assert client.get(url).status_code == 404, url
    detail = client.get(f"/business/requests/{biz['own'].pk}/").content.decode()
    assert "/transition/" not in detail and "/assign/" not in detail
    assert "记录创建" not in detail  # no staff history
    assert client.get("/business/requests/?export=xlsx").status_code == 403
    assert client.post(
        f"/business/requests/{biz['own'].pk}/transition/", {"to_status": "acknowledged"}
    ).status_code in (403, 404)
    biz["own"].refresh_from_db()
    assert biz["own"].status == RequestStatus.RECEIVED


def test_enterprise_contact_files_for_their_own_enterprise_only(biz, users):
    client = login(users["enterprise1"])
    desk = client.get("/business/requests/").content.decode()
    assert f'<option value="{biz["firms"]["A1"].pk}"' in desk
    assert "苏河咨询有限公司" not in desk
    before = EnterpriseRequest.objects.count()
    refused = client.post(
        "/business/requests/",
        {
            "enterprise": biz["firms"]["B1"].pk,
            "rtype": biz["other_type"].pk,
            "title": "冒名",
            "description": "不是自家的企业",
        },
    )
    assert refused.status_code == 200
    assert EnterpriseRequest.objects.count() == before
    response = client.post(
        "/business/requests/",
        {
            "enterprise": biz["firms"]["A1"].pk,
            "rtype": biz["other_type"].pk,
            "title": "办公室漏水",
            "description": "请物业协调维修。",
        },
    )
    filed = EnterpriseRequest.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/business/requests/{filed.pk}/"
    assert filed.enterprise == biz["firms"]["A1"]
    assert filed.transitions.get().actor == users["enterprise1"]


def test_enterprise_contact_rates_the_outcome_once_resolved(biz, users):
    own = biz["own"]
    client = login(users["enterprise1"])
    assert 'name="rating"' not in client.get(f"/business/requests/{own.pk}/").content.decode()
    advance(own, users["tmx_business"], RequestStatus.ACKNOWLEDGED, RequestStatus.RESOLVED)
    detail = client.get(f"/business/requests/{own.pk}/").content.decode()
    assert 'name="rating"' in detail
    response = client.post(f"/business/requests/{own.pk}/rate/", {"rating": "4", "comment": "及时"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.rating, own.rating_comment) == (4, "及时")
    # staff do not rate for the enterprise
    assert (
        login(users["tmx_business"])
        .post(f"/business/requests/{own.pk}/rate/", {"rating": "1"})
        .status_code
        == 403
    )


def test_district_leader_reads_council_coverage_but_cannot_post(biz, users):
    client = login(users["ja_leader"])
    councils = client.get("/business/councils/").content.decode()
    assert "和矩阵·凯德" in councils and "北站楼务会" in councils
    assert _figure(councils, "councils") == "3"
    assert client.get(f"/business/councils/{biz['council1'].pk}/").status_code == 200
    assert client.get("/business/dashboard/").status_code == 200
    council = biz["council1"]
    assert (
        client.post(
            f"/business/councils/{council.pk}/members/", {"kind": "other", "name": "某单位"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/business/councils/{council.pk}/meetings/",
            {"kind": "regular", "date": "2024-05-06", "title": "例会", "d-TOTAL_FORMS": "0"},
        ).status_code
        == 403
    )
    assert not CouncilMember.objects.exists()
    assert not Meeting.objects.exists()
    assert client.get("/business/requests/").status_code == 404
    page = client.get(f"/business/councils/{council.pk}/").content.decode()
    assert "/members/" not in page and "/meetings/" not in page


def test_subdistrict_leader_reads_requests_but_has_no_forms(biz, users):
    client = login(users["tmx_leader"])
    desk = client.get("/business/requests/").content.decode()
    assert biz["own"].number in desk and 'name="title"' not in desk
    assert client.post("/business/requests/", {"title": "x"}).status_code == 403
    detail = client.get(f"/business/requests/{biz['own'].pk}/").content.decode()
    assert "/transition/" not in detail
    assert "记录创建" in detail  # staff see the audit history


# --- requests -------------------------------------------------------------------------------
def test_staff_file_a_request_for_an_enterprise_found_by_search(biz, users):
    client = login(users["tmx_business"])
    found = client.get(
        "/business/enterprises/search/", {"enterprise_q": "苏河"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'value="{biz["firms"]["B1"].pk}"' in found
    assert (
        "北站" not in client.get("/business/enterprises/search/?enterprise_q=北站").content.decode()
    )
    response = client.post(
        "/business/requests/",
        {
            "enterprise": biz["firms"]["B1"].pk,
            "rtype": biz["policy_type"].pk,
            "title": "咨询人才政策",
            "description": "想了解租房补贴。",
            "policy": biz["doc"].pk,
        },
    )
    filed = EnterpriseRequest.objects.latest("id")
    assert response.status_code == 302
    assert (filed.enterprise, filed.policy, filed.status) == (
        biz["firms"]["B1"],
        biz["doc"],
        RequestStatus.RECEIVED,
    )
    detail = client.get(response["Location"]).content.decode()
    assert "天目西路街道人才安居政策" in detail


def test_staff_cannot_file_for_an_enterprise_outside_scope(biz, users):
    client = login(users["tmx_business"])
    before = EnterpriseRequest.objects.count()
    response = client.post(
        "/business/requests/",
        {
            "enterprise": biz["bz_firm"].pk,
            "rtype": biz["other_type"].pk,
            "title": "x",
            "description": "y",
        },
    )
    assert response.status_code == 200
    assert "请先搜索并选择企业。" in response.content.decode()
    assert EnterpriseRequest.objects.count() == before


def test_detail_offers_each_legal_next_status(biz, users):
    body = login(users["tmx_business"]).get(f"/business/requests/{biz['own'].pk}/").content.decode()
    offered = set(re.findall(r'name="to_status" value="(\w+)"', body))
    assert offered == {RequestStatus.ACKNOWLEDGED, RequestStatus.CLOSED}


def test_moving_a_request_along_and_its_timeline(biz, users):
    r = biz["own"]
    client = login(users["tmx_business"])
    response = client.post(f"/business/requests/{r.pk}/transition/", {"to_status": "acknowledged"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == RequestStatus.ACKNOWLEDGED and r.acknowledged_at is not None
    response = client.post(
        f"/business/requests/{r.pk}/transition/",
        {"to_status": "referred", "referred_to": "区人社局", "note": "转人社局"},
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.status, r.referred_to) == (RequestStatus.REFERRED, "区人社局")
    detail = client.get(f"/business/requests/{r.pk}/").content.decode()
    assert "已接收 → 已受理" in detail and "已受理 → 已转部门" in detail
    assert "区人社局" in detail


def test_illegal_transition_shows_the_message_and_changes_nothing(biz, users):
    r = biz["own"]
    client = login(users["tmx_business"])
    moves = RequestTransition.objects.filter(request=r).count()
    response = client.post(
        f"/business/requests/{r.pk}/transition/", {"to_status": "resolved", "note": "已办"}
    )
    assert response.status_code == 200
    assert "诉求当前为“已接收”，不能改为“已解决”。" in response.content.decode()
    r.refresh_from_db()
    assert r.status == RequestStatus.RECEIVED
    assert RequestTransition.objects.filter(request=r).count() == moves


def test_resolving_needs_a_note_and_referring_a_department(biz, users):
    r = advance(biz["own"], users["tmx_business"], RequestStatus.ACKNOWLEDGED)
    client = login(users["tmx_business"])
    no_note = client.post(f"/business/requests/{r.pk}/transition/", {"to_status": "resolved"})
    assert "请填写答复或办理结果。" in no_note.content.decode()
    no_dept = client.post(f"/business/requests/{r.pk}/transition/", {"to_status": "referred"})
    assert "请填写转办部门。" in no_dept.content.decode()
    r.refresh_from_db()
    assert r.status == RequestStatus.ACKNOWLEDGED


def test_assigning_a_request(biz, users):
    r = biz["own"]
    client = login(users["tmx_business"])
    body = client.get(f"/business/requests/{r.pk}/").content.decode()
    assert f'<option value="{users["tmx_admin"].pk}"' in body
    assert f'<option value="{users["bz_admin"].pk}"' not in body
    response = client.post(
        f"/business/requests/{r.pk}/assign/", {"assigned_to": users["tmx_admin"].pk}
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.assigned_to == users["tmx_admin"]
    refused = client.post(
        f"/business/requests/{r.pk}/assign/", {"assigned_to": users["bz_admin"].pk}
    )
    assert refused.status_code == 200
    r.refresh_from_db()
    assert r.assigned_to == users["tmx_admin"]


def test_request_list_filters(biz, users):
    client = login(users["tmx_business"])
    by_type = client.get("/business/requests/", {"type": biz["other_type"].pk}).content.decode()
    assert biz["other"].number in by_type and biz["own"].number not in by_type
    by_text = client.get("/business/requests/", {"q": "人才"}).content.decode()
    assert biz["own"].number in by_text and biz["other"].number not in by_text
    partial = client.get("/business/requests/", {"status": "received"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert shown_rows(partial.content.decode()) == 2
    assert client.get("/business/requests/?month=nonsense&type=x&due=soon").status_code == 200


def test_due_filters_and_flags(biz, users):
    officer = users["tmx_business"]
    late = make_request(
        officer,
        biz["firms"]["A2"],
        biz["policy_type"],
        received_at=timezone.now() - timedelta(days=40),
        title="早已逾期",
    )
    client = login(officer)
    overdue = client.get("/business/requests/?due=overdue").content.decode()
    assert late.number in overdue and biz["own"].number not in overdue
    assert shown_rows(overdue) == 1
    assert 'class="late"' in overdue and "已逾期" in overdue


def test_request_export_is_masked_and_scoped(biz, users):
    response = login(users["tmx_business"]).get("/business/requests/?export=xlsx")
    assert response.status_code == 200
    cells = _cells(response)
    assert biz["own"].number in cells and biz["other"].number in cells
    assert biz["bz_request"].number not in cells
    assert "联系人己" in cells and MASKED_PHONE in cells
    assert not any(CLEAR_PHONE in c for c in cells)


def test_enterprise_export_is_masked(biz, users):
    response = login(users["tmx_business"]).get("/business/enterprises/?export=xlsx&q=自家")
    cells = _cells(response)
    assert "自家科技有限公司" in cells and MASKED_PHONE in cells
    assert "苏河咨询有限公司" not in cells
    assert not any(CLEAR_PHONE in c for c in cells)
    page = login(users["tmx_business"]).get(f"/business/enterprises/{biz['firms']['A1'].pk}/")
    assert MASKED_PHONE in page.content.decode() and CLEAR_PHONE not in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/business/buildings/",
        "/business/councils/",
        "/business/actions/",
        "/business/liaison/?mine=0",
        "/business/vacancies/",
        "/business/viewings/",
    ],
)
def test_every_list_exports(biz, users, url):
    response = login(users["tmx_business"]).get(url + ("&" if "?" in url else "?") + "export=xlsx")
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# --- buildings ------------------------------------------------------------------------------
def test_building_directory_search_map_and_key_filter(biz, users):
    client = login(users["tmx_business"])
    response = client.get("/business/buildings/")
    body = response.content.decode()
    assert '<script id="building-map-data" type="application/json">' in body
    assert "/static/jiedao/business.js" in body and 'data-geojson="/org/geojson/"' in body
    points = response.context["map_points"]
    assert [p["name"] for p in points] == ["凯德星贸广场"]  # the only one with coordinates
    assert points[0]["value"][:2] == [121.455, 31.247]
    assert points[0]["url"] == f"/business/buildings/{biz['A'].pk}/"
    assert shown_rows(body) == 4
    key = client.get("/business/buildings/?key=on").content.decode()
    assert shown_rows(key) == 1 and "凯德星贸广场" in key
    found = client.get("/business/buildings/?q=苏河").content.decode()
    assert shown_rows(found) == 1 and "苏河湾中心" in found


def test_building_page_sections(biz, users):
    officer = users["tmx_business"]
    a = biz["A"]
    services.liaison_assign(
        actor=officer, building=a, leader=users["tmx_leader"], department="营商办"
    )
    services.vacancy_create(
        actor=officer,
        building=a,
        floor=18,
        area=Decimal("320.0"),
        rent_min=Decimal("7.50"),
        rent_max=Decimal("9.00"),
        available_from=date(2024, 6, 1),
    )
    body = login(officer).get(f"/business/buildings/{a.pk}/").content.decode()
    for text in (
        "凯德楼宇党委",  # profile
        "自家科技有限公司",  # enterprises in it
        "和矩阵·凯德",  # councils covering it
        "营商办",  # liaison department
        "18F · 320.0 m²",  # vacancy
        biz["own"].number,  # open requests of its enterprises
    ):
        assert text in body, text
    assert biz["other"].number not in body  # B's request
    assert "待走访" in body  # never visited


def test_building_profile_edit(biz, users):
    client = login(users["tmx_business"])
    b = biz["B"]
    response = client.post(
        f"/business/buildings/{b.pk}/profile/",
        {"grade": "A", "is_key": "on", "occupancy": "87.5", "owner": "苏河湾置业"},
    )
    assert response.status_code == 302
    profile = BuildingProfile.objects.get(building=b)
    assert (profile.grade, profile.is_key, profile.occupancy) == ("A", True, Decimal("87.5"))
    bad = client.post(f"/business/buildings/{b.pk}/profile/", {"occupancy": "abc"})
    assert bad.status_code == 200
    assert (
        login(users["tmx_leader"])
        .post(f"/business/buildings/{b.pk}/profile/", {"occupancy": "1"})
        .status_code
        == 403
    )


def test_liaison_visit_and_an_issue_turned_into_a_request(biz, users):
    a = biz["A"]
    client = login(users["tmx_leader"])  # leaders record visits to their buildings
    response = client.post(
        f"/business/buildings/{a.pk}/visits/",
        {
            "date": timezone.localdate().isoformat(),
            "enterprises": [biz["firms"]["A2"].pk],
            "issues": "停车位不足\n\n希望开展人才招聘会",
            "note": "走访两家企业",
        },
    )
    assert response.status_code == 302
    visit = LiaisonVisit.objects.get()
    assert visit.issues == ["停车位不足", "希望开展人才招聘会"]
    assert list(visit.enterprises.all()) == [biz["firms"]["A2"]]
    officer = login(users["tmx_business"])
    page = officer.get(f"/business/buildings/{a.pk}/").content.decode()
    assert f"/business/visits/{visit.pk}/issues/1/request/" in page
    # filled in for one press: the enterprise visited and the difficulty / other type
    assert re.search(rf'<option value="{biz["firms"]["A2"].pk}" selected>', page)
    assert re.search(rf'<option value="{biz["other_type"].pk}" selected>', page)
    post = {
        f"i{visit.pk}-1-enterprise": biz["firms"]["A2"].pk,
        f"i{visit.pk}-1-rtype": biz["other_type"].pk,
    }
    response = officer.post(f"/business/visits/{visit.pk}/issues/1/request/", post)
    filed = EnterpriseRequest.objects.latest("id")
    assert response.status_code == 302
    assert (filed.liaison_visit, filed.title, filed.enterprise) == (
        visit,
        "希望开展人才招聘会",
        biz["firms"]["A2"],
    )
    # pressing again files nothing new; the page links the request instead of the button
    officer.post(f"/business/visits/{visit.pk}/issues/1/request/", post)
    assert EnterpriseRequest.objects.filter(liaison_visit=visit).count() == 1
    page = officer.get(f"/business/buildings/{a.pk}/").content.decode()
    assert f"/business/visits/{visit.pk}/issues/1/request/" not in page
    assert filed.number in page
    # a leader reads but does not file requests
    assert client.post(f"/business/visits/{visit.pk}/issues/0/request/", post).status_code == 403


def test_vacancy_viewing_and_outcome(biz, users):
    a = biz["A"]
    client = login(users["tmx_business"])
    response = client.post(
        f"/business/buildings/{a.pk}/vacancies/",
        {
            "floor": "20",
            "area": "150",
            "rent_min": "8",
            "rent_max": "9",
            "available_from": "2024-07-01",
        },
    )
    assert response.status_code == 302
    vacancy = Vacancy.objects.get()
    inverted = client.post(
        f"/business/buildings/{a.pk}/vacancies/",
        {
            "floor": "21",
            "area": "150",
            "rent_min": "9",
            "rent_max": "8",
            "available_from": "2024-07-01",
        },
    )
    assert "租金上限不能低于下限。" in inverted.content.decode()
    response = client.post(
        f"/business/buildings/{a.pk}/viewings/",
        {"vacancy": vacancy.pk, "date": "2024-07-02", "enterprise": biz["firms"]["D1"].pk},
    )
    assert response.status_code == 302
    viewing = Viewing.objects.get()
    assert viewing.enterprise == biz["firms"]["D1"] and viewing.guide == users["tmx_business"]
    nobody = client.post(
        f"/business/buildings/{a.pk}/viewings/", {"vacancy": vacancy.pk, "date": "2024-07-02"}
    )
    assert "请选择企业或填写意向企业名称。" in nobody.content.decode()
    response = client.post(
        f"/business/viewings/{viewing.pk}/outcome/", {f"o{viewing.pk}-outcome": "moved_in"}
    )
    assert response.status_code == 302
    viewing.refresh_from_db()
    vacancy.refresh_from_db()
    assert viewing.outcome == ViewingOutcome.MOVED_IN and vacancy.status == VacancyStatus.LET
    firm_page = client.get(f"/business/enterprises/{biz['firms']['D1'].pk}/").content.decode()
    assert "已入驻" in firm_page


# --- enterprises ----------------------------------------------------------------------------
def test_enterprise_page_and_profile_edit(biz, users):
    firm = biz["firms"]["A1"]
    client = login(users["tmx_business"])
    body = client.get(f"/business/enterprises/{firm.pk}/").content.decode()
    assert biz["own"].number in body and "凯德星贸广场" in body
    response = client.post(
        f"/business/enterprises/{firm.pk}/profile/",
        {
            "industry": "软件和信息服务",
            "white_collar_count": "120",
            "registered_here": "on",
            "operating_here": "on",
            "is_key": "on",
            "moved_in": "2021-03-01",
        },
    )
    assert response.status_code == 302
    profile = EnterpriseProfile.objects.get(enterprise=firm)
    assert (profile.industry, profile.white_collar_count, profile.is_key) == (
        "软件和信息服务",
        120,
        True,
    )
    bad = client.post(
        f"/business/enterprises/{firm.pk}/profile/",
        {"white_collar_count": "1", "moved_in": "2021-03-01", "moved_out": "2020-01-01"},
    )
    assert "迁出日期不能早于入驻日期。" in bad.content.decode()
    # the contact reads their own enterprise, without its profile form
    own = login(users["enterprise1"]).get(f"/business/enterprises/{firm.pk}/").content.decode()
    assert biz["own"].number in own and "/profile/" not in own


# --- councils -------------------------------------------------------------------------------
def test_meeting_with_two_decisions_makes_two_action_items(biz, users):
    council = biz["council1"]
    client = login(users["tmx_business"])
    response = client.post(
        f"/business/councils/{council.pk}/meetings/",
        {
            "kind": "seminar",
            "date": "2024-05-06",
            "title": "停车难专题研讨",
            "attendees": "王召集\n李秘书",
            "experts": "交通专家",
            "d-TOTAL_FORMS": "3",
            "d-INITIAL_FORMS": "0",
            "d-0-title": "协调错峰停车",
            "d-0-owner": "城管中队",
            "d-0-deadline": "2024-06-30",
            "d-1-title": "增设非机动车位",
            "d-1-owner": "物业",
            "d-1-deadline": "2024-07-31",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.attendees == ["王召集", "李秘书"] and meeting.experts == ["交通专家"]
    items = list(ActionItem.objects.filter(meeting=meeting).order_by("deadline"))
    assert [(i.title, i.owner, i.deadline) for i in items] == [
        ("协调错峰停车", "城管中队", date(2024, 6, 30)),
        ("增设非机动车位", "物业", date(2024, 7, 31)),
    ]
    page = client.get(f"/business/councils/{council.pk}/").content.decode()
    assert page.count('class="action late"') == 2  # both past their deadlines
    half = client.post(
        f"/business/councils/{council.pk}/meetings/",
        {
            "kind": "regular",
            "date": "2024-05-07",
            "title": "例会",
            "d-TOTAL_FORMS": "1",
            "d-INITIAL_FORMS": "0",
            "d-0-title": "只有事项",
        },
    )
    assert half.status_code == 200
    assert "请填写事项、责任单位和完成时限。" in half.content.decode()
    assert Meeting.objects.count() == 1


def test_action_item_states_and_closing_needs_a_result(biz, users):
    council = biz["council1"]
    officer = users["tmx_business"]
    meeting = services.meeting_record(
        actor=officer,
        council=council,
        kind="regular",
        day=date(2024, 5, 6),
        title="例会",
        decisions=[{"title": "修缮门禁", "owner": "物业", "deadline": date(2099, 1, 1)}],
    )
    item = meeting.action_items.get()
    client = login(officer)
    url = f"/business/actions/{item.pk}/move/"
    page = client.get(f"/business/councils/{council.pk}/").content.decode()
    offered = set(re.findall(rf'name="a{item.pk}-to_state" value="(\w+)"', page))
    assert offered == {ActionState.IN_PROGRESS, ActionState.DONE, ActionState.CANCELLED}
    refused = client.post(url, {f"a{item.pk}-to_state": "done"})
    assert refused.status_code == 200
    assert "办结议定事项时必须填写办理结果。" in refused.content.decode()
    item.refresh_from_db()
    assert item.state == ActionState.OPEN
    by_htmx = client.post(url, {f"a{item.pk}-to_state": "done"}, HTTP_HX_REQUEST="true")
    assert "<html" not in by_htmx.content.decode()
    assert "办结议定事项时必须填写办理结果。" in by_htmx.content.decode()
    moved = client.post(url, {f"a{item.pk}-to_state": "in_progress"}, HTTP_HX_REQUEST="true")
    assert "推进中" in moved.content.decode()
    done = client.post(url, {f"a{item.pk}-to_state": "done", f"a{item.pk}-result": "已更换门禁"})
    assert done.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.result) == (ActionState.DONE, "已更换门禁")
    assert item.closed_at is not None
    again = client.post(url, {f"a{item.pk}-to_state": "cancelled"})
    assert "不能改为" in again.content.decode()


def test_adding_a_member_unit(biz, users):
    council = biz["council1"]
    client = login(users["tmx_business"])
    page = client.get(f"/business/councils/{council.pk}/").content.decode()
    assert "苏河咨询有限公司" in page  # an enterprise of a covered building is offered
    assert "环球金融有限公司" not in page  # C is covered by the other council only
    response = client.post(
        f"/business/councils/{council.pk}/members/",
        {"kind": "enterprise", "enterprise": biz["firms"]["A2"].pk, "role": "副召集人"},
    )
    assert response.status_code == 302
    member = CouncilMember.objects.get()
    assert (member.enterprise, member.role) == (biz["firms"]["A2"], "副召集人")
    empty = client.post(f"/business/councils/{council.pk}/members/", {"kind": "other"})
    assert "请选择企业或填写单位名称。" in empty.content.decode()


# --- liaison list and policies --------------------------------------------------------------
def test_liaison_list_is_the_leaders_own_by_default(biz, users, tree):
    officer = users["tmx_business"]
    services.liaison_assign(
        actor=officer, building=biz["A"], leader=users["tmx_leader"], department="营商办"
    )
    services.liaison_assign(
        actor=officer, building=biz["B"], leader=users["tmx_admin"], department="党建办"
    )
    services.liaison_visit_record(
        actor=officer, building=biz["B"], day=timezone.localdate(), visitors=[users["tmx_admin"]]
    )
    leader = login(users["tmx_leader"])
    mine = leader.get("/business/liaison/").content.decode()
    assert "凯德星贸广场" in mine and "苏河湾中心" not in mine
    assert "待走访" in mine
    everyone = leader.get("/business/liaison/?mine=0").content.decode()
    assert "凯德星贸广场" in everyone and "苏河湾中心" in everyone
    due = leader.get("/business/liaison/?mine=0&due=1").content.decode()
    assert shown_rows(due) == 1 and "凯德星贸广场" in due
    office = login(officer).get("/business/liaison/").content.decode()
    assert shown_rows(office) == 2  # not a leader: all by default


def test_policy_library_search_and_detail(biz, users):
    for who in ("tmx_business", "enterprise1"):
        client = login(users[who])
        found = client.get("/business/policies/?q=人才").content.decode()
        assert "天目西路街道人才安居政策" in found, who
        assert shown_rows(client.get("/business/policies/?q=不存在").content.decode()) == 1
        detail = client.get(f"/business/policies/{biz['doc'].pk}/").content.decode()
        assert "符合条件的企业人才可申请租房补贴。" in detail
        assert f"/business/requests/?policy={biz['doc'].pk}" in detail
    assert login(users["bz_admin"]).get(f"/business/policies/{biz['doc'].pk}/").status_code == 404


# --- dashboard ------------------------------------------------------------------------------
def test_dashboard_coverage_equals_the_fixtures_records(biz, users):
    client = login(users["tmx_business"])
    body = client.get("/business/dashboard/").content.decode()
    assert _figure(body, "councils") == "2"
    assert _figure(body, "buildings") == "3"  # B, shared by both councils, counted once
    assert _figure(body, "enterprises") == "5"  # C2 moved out, D1 not covered
    assert _figure(body, "white_collar") == "1500"
    assert "覆盖楼宇 = 至少被一个楼务会覆盖的楼宇数（去重）" in body
    # each figure links to the rows it counts
    assert 'href="/business/councils/" class="figure" data-figure="councils"' in body
    buildings = client.get("/business/buildings/?covered=1").content.decode()
    assert shown_rows(buildings) == 3 and "未覆盖大厦" not in buildings
    firms = client.get("/business/enterprises/?covered=1").content.decode()
    assert shown_rows(firms) == 5
    assert "已迁出有限公司" not in firms and "未覆盖有限公司" not in firms
    councils = client.get("/business/councils/").content.decode()
    assert shown_rows(councils) == 2


def test_dashboard_request_figures_and_chart_data(biz, users):
    officer = users["tmx_business"]
    advance(biz["own"], officer, RequestStatus.ACKNOWLEDGED, RequestStatus.RESOLVED)
    services.request_rate(actor=users["enterprise1"], request=biz["own"], rating=5)
    response = login(officer).get("/business/dashboard/")
    body = response.content.decode()
    assert _figure(body, "requests") == "2"
    assert _figure(body, "ack") == "100.0%"  # one acknowledged in time; the other not yet due
    assert _figure(body, "satisfaction") == "5.0"
    assert 'href="/business/requests/?rated=1"' in body
    rated = login(officer).get("/business/requests/?rated=1").content.decode()
    assert shown_rows(rated) == 1 and biz["own"].number in rated
    assert '<script id="business-dashboard-data" type="application/json">' in body
    monthly = response.context["chart_data"]["monthly"]
    assert len(monthly["months"]) == 12
    this_month = timezone.localdate().strftime("%Y-%m")
    assert monthly["months"][-1] == this_month
    counts = {t["name"]: t["cells"][-1]["count"] for t in monthly["types"]}
    assert counts == {"政策咨询": 1, "困难诉求/其他": 1}
    cell = monthly["types"][0]["cells"][-1]
    listing = login(officer).get(cell["url"]).content.decode()
    assert shown_rows(listing) == cell["count"]


def test_dashboard_overdue_actions_and_viewings(biz, users):
    officer = users["tmx_business"]
    services.meeting_record(
        actor=officer,
        council=biz["council1"],
        kind="regular",
        day=date(2024, 5, 6),
        title="例会",
        decisions=[
            {"title": "逾期事项", "owner": "物业", "deadline": date(2024, 6, 1)},
            {"title": "未到期事项", "owner": "物业", "deadline": date(2099, 6, 1)},
        ],
    )
    vacancy = services.vacancy_create(
        actor=officer,
        building=biz["A"],
        floor=5,
        area=Decimal("100.0"),
        rent_min=Decimal("6.00"),
        rent_max=Decimal("7.00"),
        available_from=date(2024, 1, 1),
    )
    services.vacancy_create(
        actor=officer,
        building=biz["B"],
        floor=6,
        area=Decimal("90.0"),
        rent_min=Decimal("6.00"),
        rent_max=Decimal("7.00"),
        available_from=date(2024, 1, 1),
    )
    first = services.viewing_book(
        actor=officer, vacancy=vacancy, day=date(2024, 2, 1), prospect_name="甲"
    )
    second = services.viewing_book(
        actor=officer, vacancy=vacancy, day=date(2024, 2, 2), prospect_name="乙"
    )
    services.viewing_record_outcome(actor=officer, viewing=first, outcome="declined")
    services.viewing_record_outcome(actor=officer, viewing=second, outcome="moved_in")
    client = login(officer)
    body = client.get("/business/dashboard/").content.decode()
    assert _figure(body, "overdue_actions") == "1"
    assert "逾期事项" in body and "未到期事项" not in body
    assert _figure(body, "open_vacancies") == "1"
    assert _figure(body, "viewings") == "50.0%"
    overdue = client.get("/business/actions/?overdue=1").content.decode()
    assert shown_rows(overdue) == 1 and "逾期事项" in overdue
    moved = client.get("/business/viewings/?outcome=moved_in").content.decode()
    assert shown_rows(moved) == 1
    open_list = client.get("/business/vacancies/?open=1").content.decode()
    assert shown_rows(open_list) == 1


# --- query counts ---------------------------------------------------------------------------
def _queries(client: Client, url: str) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries], response.content.decode()


def _add_buildings(tree, users, n: int) -> None:
    """Buildings touching every relation the directory shows: profile, liaison leader,
    enterprises, open vacancies, coordinates."""
    officer = users["tmx_business"]
    for _ in range(n):
        i = next(_seq)
        building = make_building(
            tree.sub_a, f"测试楼{i}", longitude=Decimal("121.4"), latitude=Decimal("31.2")
        )
        make_building_profile(officer, building, is_key=bool(i % 2), grade="B")
        services.liaison_assign(
            actor=officer, building=building, leader=users["tmx_leader"], department="营商办"
        )
        make_firm(building, f"楼内企业{i}", actor=officer, white_collar=10)
        services.vacancy_create(
            actor=officer,
            building=building,
            floor=3,
            area=Decimal("80.0"),
            rent_min=Decimal("5.00"),
            rent_max=Decimal("6.00"),
            available_from=date(2024, 1, 1),
        )


def _add_firms(tree, users, n: int) -> None:
    officer = users["tmx_business"]
    building = make_building(tree.sub_a, f"企业楼{next(_seq)}")
    for _ in range(n):
        i = next(_seq)
        contact = make_person(tree.sub_a, f"联系人{i}")
        make_firm(building, f"批量企业{i}", actor=officer, white_collar=i, contact=contact)


def _add_requests(biz, users, n: int) -> None:
    officer = users["tmx_business"]
    firms = list(biz["firms"].values())
    for _ in range(n):
        i = next(_seq)
        r = make_request(
            officer,
            firms[i % len(firms)],
            biz["policy_type"] if i % 2 else biz["other_type"],
            received_at=timezone.now() - timedelta(days=i % 20),
            title=f"批量诉求{i}",
        )
        if i % 3 == 0:
            advance(r, officer, RequestStatus.ACKNOWLEDGED)


@pytest.mark.parametrize(
    ("url", "grow", "baseline"),
    [
        ("/business/buildings/", "buildings", 4),
        ("/business/enterprises/", "firms", 7),
        ("/business/requests/", "requests", 2),
    ],
)
def test_list_query_count_is_constant(biz, users, tree, url, grow, baseline):
    def add(n: int) -> None:
        if grow == "buildings":
            _add_buildings(tree, users, n)
        elif grow == "firms":
            _add_firms(tree, users, n)
        else:
            _add_requests(biz, users, n)

    client = login(users["tmx_business"])
    add(3)
    _queries(client, url)  # warm-up: session, content types, translations
    few, body = _queries(client, url)
    assert shown_rows(body) == baseline + 3
    add(27)
    many, body = _queries(client, url)
    assert shown_rows(body) == baseline + 30
    assert len(many) == len(few), "\n".join(many)


def test_district_leader_reaches_the_business_dashboard_from_the_menu(tree, users):
    from tests.conftest import login

    client = login(users["ja_leader"])
    assert 'href="/business/dashboard/"' in client.get("/", follow=True).content.decode()
    assert client.get("/business/dashboard/").status_code == 200
    assert client.get("/business/").status_code == 302


def test_dashboard_reads_the_rollups_in_a_constant_number_of_queries(biz, users):
    """The request figures come from the roll-ups: more requests, not one query more."""
    client = login(users["tmx_business"])
    _add_requests(biz, users, 3)
    _queries(client, "/business/dashboard/")  # warm-up
    few, _body = _queries(client, "/business/dashboard/")
    before = client.get("/business/dashboard/").context["figures"][0]["value"]
    _add_requests(biz, users, 30)
    many, _body = _queries(client, "/business/dashboard/")
    assert client.get("/business/dashboard/").context["figures"][0]["value"] == before + 30
    assert len(many) == len(few), "\n".join(many)
    # the requests themselves are read only for what is due now (overdue, due soon)
    reading = [q for q in many if 'FROM "business_enterpriserequest"' in q]
    assert len(reading) == 2, "\n".join(reading)
    assert all("COUNT(*)" in q for q in reading), "\n".join(reading)
