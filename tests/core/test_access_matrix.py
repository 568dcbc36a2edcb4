"""The access-control matrix: who may list, open, edit and export which records.

Out-of-scope objects answer 404 (never 403) on pages and API alike; lists and exports leave
them out. Each out-of-scope assertion names the specific record that must not be reachable,
so that it fails if the central policy stopped scoping.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from openpyxl import load_workbook

from jiedao.core.models import Enterprise, OfficeBuilding, Person, PiiReveal
from tests.conftest import bearer, login
from tests.factories import (
    BuildingFactory,
    CompoundFactory,
    credit_code,
    id_number,
    make_enterprise,
    make_person,
    mobile,
)

pytestmark = pytest.mark.django_db


@dataclass
class Records:
    people: dict[str, Person]
    enterprises: dict[str, Enterprise]
    buildings: dict[str, OfficeBuilding]


@pytest.fixture
def rec(tree, users) -> Records:
    """People, firms and places spread over both subdistricts.

    Roll-up counts this makes (used by the leader's tests):
      天目西路街道 (sub_a): committees 2, compounds 3, buildings 1, people 5, enterprises 2
      北站街道 (sub_b):     committees 1, compounds 1, buildings 2, people 1, enterprises 1
    """
    people = {
        "committee_a": make_person(tree.committee_a, "华新甲"),
        "resident": make_person(tree.committee_a, "居民戊", user=users["resident1"]),
        "committee_b": make_person(tree.committee_b, "蕃瓜乙"),
        "sub_a": make_person(tree.sub_a, "街道丁"),
        "contact": make_person(tree.sub_a, "联系人己", user=users["enterprise1"]),
        "committee_c": make_person(tree.committee_c, "海昌丙"),
    }
    buildings = {
        "sub_a": BuildingFactory(org_unit=tree.sub_a, name="天目大厦"),
        "sub_b": BuildingFactory(org_unit=tree.sub_b, name="北站大厦"),
        "sub_b2": BuildingFactory(org_unit=tree.sub_b, name="海昌大厦"),
    }
    enterprises = {
        "own": make_enterprise(tree.sub_a, "自家科技有限公司", contact=people["contact"]),
        "sub_a": make_enterprise(tree.sub_a, "天目贸易有限公司", building=buildings["sub_a"]),
        "sub_b": make_enterprise(tree.sub_b, "北站物流有限公司", building=buildings["sub_b"]),
    }
    CompoundFactory(org_unit=tree.committee_a, name="华新小区")
    CompoundFactory(org_unit=tree.committee_a, name="华新二村")
    CompoundFactory(org_unit=tree.committee_b, name="蕃瓜弄小区")
    CompoundFactory(org_unit=tree.committee_c, name="海昌小区")
    return Records(people, enterprises, buildings)


# --- helpers ---------------------------------------------------------------------------------
def api(user) -> Client:
    """A client whose every request carries a fresh Bearer token of `user`."""
    return Client(**bearer(user))


def api_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def export_names(response) -> list[str]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return [row[0] for row in rows[1:]]


def table_rows(html: str) -> dict[str, list[str]]:
    """The rows of the home page's roll-up table, keyed by their first cell."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def json_patch(client: Client, url: str, payload: dict):
    return client.patch(url, data=json.dumps(payload), content_type="application/json")


def json_post(client: Client, url: str, payload: dict):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def person_page_ok(client: Client, person: Person) -> bool:
    return client.get(f"/people/{person.pk}/").status_code == 200


# --- committee worker of committee A ---------------------------------------------------------
OTHERS = ["committee_b", "committee_c", "sub_a"]


def test_worker_people_list_page_shows_only_own_committee(rec, users):
    # when
    html = login(users["hx_worker"]).get("/people/").content.decode()
    # then
    assert "华新甲" in html
    assert f"/people/{rec.people['committee_a'].pk}/" in html
    for key in OTHERS:
        other = rec.people[key]
        assert other.name not in html
        assert f"/people/{other.pk}/" not in html


@pytest.mark.parametrize("other", OTHERS)
def test_worker_search_does_not_find_other_committees_people(rec, users, other):
    person = rec.people[other]
    html = login(users["hx_worker"]).get("/people/", {"q": person.name}).content.decode()
    # (the search box echoes the name typed; the table must not list the person)
    assert f"/people/{person.pk}/" not in html
    assert f'<a href="/people/{person.pk}/">{person.name}</a>' not in html
    assert "没有记录。" in html


def test_worker_search_finds_own_committees_people(rec, users):
    person = rec.people["committee_a"]
    html = login(users["hx_worker"]).get("/people/", {"q": person.name}).content.decode()
    assert f'<a href="/people/{person.pk}/">{person.name}</a>' in html


def test_worker_people_api_list_shows_only_own_committee(rec, users):
    response = api(users["hx_worker"]).get("/api/v1/people")
    assert api_ids(response) == {rec.people["committee_a"].pk, rec.people["resident"].pk}
    assert response.json()["count"] == 2


@pytest.mark.parametrize("other", OTHERS)
def test_worker_api_search_does_not_find_other_committees_people(rec, users, other):
    person = rec.people[other]
    response = api(users["hx_worker"]).get("/api/v1/people", {"q": person.name})
    assert person.pk not in api_ids(response)


def test_worker_export_contains_only_own_committee_rows(rec, users):
    # when
    response = login(users["hx_worker"]).get("/people/?export=xlsx")
    # then
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert sorted(export_names(response)) == sorted(["华新甲", "居民戊"])


def test_worker_export_with_search_for_other_name_is_empty(rec, users):
    response = login(users["hx_worker"]).get("/people/", {"q": "蕃瓜乙", "export": "xlsx"})
    assert export_names(response) == []


# The probes a worker might try on one person: pages and API, reads and writes.
def _page_detail(user, person, tree):
    return login(user).get(f"/people/{person.pk}/")


def _page_edit_get(user, person, tree):
    return login(user).get(f"/people/{person.pk}/edit/")


def _page_edit_post(user, person, tree):
    return login(user).post(
        f"/people/{person.pk}/edit/",
        {"org_unit": tree.committee_a.pk, "name": "被改名", "address": "别处"},
    )


def _page_reveal(user, person, tree):
    return login(user).post(
        f"/people/{person.pk}/reveal/", {"field": "phone", "reason": "核对联系方式"}
    )


def _api_get(user, person, tree):
    return api(user).get(f"/api/v1/people/{person.pk}")


def _api_patch(user, person, tree):
    return json_patch(api(user), f"/api/v1/people/{person.pk}", {"name": "被改名"})


def _api_reveal(user, person, tree):
    return json_post(
        api(user),
        f"/api/v1/people/{person.pk}/reveal",
        {"field": "phone", "reason": "核对联系方式"},
    )


PAGE_PROBES = {
    "page_detail": _page_detail,
    "page_edit_get": _page_edit_get,
    "page_edit_post": _page_edit_post,
    "page_reveal": _page_reveal,
}
API_PROBES = {
    "api_get": _api_get,
    "api_patch": _api_patch,
    "api_reveal": _api_reveal,
}
PROBES = {**PAGE_PROBES, **API_PROBES}


def _assert_untouched(person: Person) -> None:
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.name == person.name
    assert fresh.address == person.address
    assert fresh.org_unit_id == person.org_unit_id
    assert not PiiReveal.objects.filter(person=person).exists()


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize("probe", PROBES)
def test_worker_gets_404_for_person_outside_committee(rec, users, tree, probe, other):
    # given
    person = rec.people[other]
    # when
    response = PROBES[probe](users["hx_worker"], person, tree)
    # then
    assert response.status_code == 404
    assert person.name not in response.content.decode()
    if probe in API_PROBES:
        assert response.json()["code"] == "not_found"
    _assert_untouched(person)


@pytest.mark.parametrize("probe", PROBES)
def test_worker_can_use_every_probe_on_own_committee_person(rec, users, tree, probe):
    """The control for the 404s above: the same requests succeed inside the scope."""
    response = PROBES[probe](users["hx_worker"], rec.people["committee_a"], tree)
    assert response.status_code in (200, 302), response.content


def test_worker_page_edit_of_own_committee_person_saves(rec, users, tree):
    person = rec.people["committee_a"]
    response = _page_edit_post(users["hx_worker"], person, tree)
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).name == "被改名"


@pytest.mark.parametrize("target", ["committee_b", "committee_c", "sub_a"])
def test_worker_cannot_create_person_in_other_org_via_api(users, tree, target):
    # given
    org = getattr(tree, target)
    before = Person.objects.count()
    # when
    response = json_post(
        api(users["hx_worker"]),
        "/api/v1/people",
        {"org_unit_id": org.pk, "name": "越权登记", "id_number": id_number(), "phone": mobile()},
    )
    # then
    assert response.status_code in (403, 404)
    assert response.json()["code"] in ("forbidden", "not_found")
    assert Person.objects.count() == before
    assert not Person.objects.filter(name="越权登记").exists()


@pytest.mark.parametrize("target", ["committee_b", "committee_c"])
def test_worker_cannot_create_person_in_other_committee_via_page(users, tree, target):
    org = getattr(tree, target)
    response = login(users["hx_worker"]).post(
        "/people/new/",
        {"org_unit": org.pk, "name": "越权登记", "id_number": id_number(), "phone": mobile()},
    )
    assert response.status_code == 200  # the form again, with an error on org_unit
    assert not Person.objects.filter(name="越权登记").exists()


def test_worker_can_create_person_in_own_committee_via_api(users, tree):
    """The control for the refusals above."""
    response = json_post(
        api(users["hx_worker"]),
        "/api/v1/people",
        {"org_unit_id": tree.committee_a.pk, "name": "本会登记", "id_number": id_number()},
    )
    assert response.status_code == 201, response.content
    assert Person.objects.get(name="本会登记").org_unit == tree.committee_a


@pytest.mark.parametrize(
    "url", ["/enterprises/", "/enterprises/?export=xlsx", "/api/v1/enterprises"]
)
def test_worker_sees_no_enterprises(rec, users, url):
    client = api(users["hx_worker"]) if url.startswith("/api/") else login(users["hx_worker"])
    response = client.get(url)
    if url.startswith("/api/"):
        assert api_ids(response) == set()
    else:
        assert response.status_code == 404
        for enterprise in rec.enterprises.values():
            assert enterprise.name.encode() not in response.content


@pytest.mark.parametrize("key", ["own", "sub_a", "sub_b"])
def test_worker_cannot_open_enterprises(rec, users, key):
    enterprise = rec.enterprises[key]
    assert login(users["hx_worker"]).get(f"/enterprises/{enterprise.pk}/").status_code == 404
    response = api(users["hx_worker"]).get(f"/api/v1/enterprises/{enterprise.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- district leader -------------------------------------------------------------------------
EXPECTED_ROLLUPS = {
    "天目西路街道": {
        "committees": 2,
        "compounds": 3,
        "buildings": 1,
        "people": 5,
        "enterprises": 2,
    },
    "北站街道": {"committees": 1, "compounds": 1, "buildings": 2, "people": 1, "enterprises": 1},
}
ROLLUP_KEYS = ["committees", "compounds", "buildings", "people", "enterprises"]


def test_leader_home_page_shows_rollups_of_both_subdistricts(rec, users):
    # a district leader lands on the district's report card (tests/core/test_report_card.py);
    # the platform administrator's home keeps the per-subdistrict counts
    assert login(users["ja_leader"]).get("/")["Location"] == "/report/JA/"
    # when
    html = login(users["admin"]).get("/").content.decode()
    # then
    rows = table_rows(html)
    for name, expected in EXPECTED_ROLLUPS.items():
        assert rows[name] == [str(expected[k]) for k in ROLLUP_KEYS]


def test_leader_api_rollups_of_both_subdistricts(rec, users, tree):
    response = api(users["ja_leader"]).get("/api/v1/rollups")
    assert response.status_code == 200
    by_name = {r["name"]: r for r in response.json()}
    assert set(by_name) == set(EXPECTED_ROLLUPS)
    assert by_name["天目西路街道"]["org_unit_id"] == tree.sub_a.pk
    assert by_name["北站街道"]["org_unit_id"] == tree.sub_b.pk
    for name, expected in EXPECTED_ROLLUPS.items():
        assert {k: by_name[name][k] for k in ROLLUP_KEYS} == expected


def test_rollups_follow_the_records(rec, users, tree):
    """Counts are computed, not stored: one more person in sub_b shows at once."""
    make_person(tree.committee_c, "新来者")
    by_name = {r["name"]: r for r in api(users["ja_leader"]).get("/api/v1/rollups").json()}
    assert by_name["北站街道"]["people"] == 2
    assert by_name["天目西路街道"]["people"] == 5


def test_subdistrict_admin_rollups_cover_only_their_subdistrict(rec, users):
    response = api(users["tmx_admin"]).get("/api/v1/rollups")
    assert [r["name"] for r in response.json()] == ["天目西路街道"]


@pytest.mark.parametrize("url", ["/people/", "/people/?export=xlsx", "/people/?q=华新"])
def test_leader_has_no_people_list_page(rec, users, url):
    response = login(users["ja_leader"]).get(url)
    assert response.status_code == 404
    for person in rec.people.values():
        assert person.name.encode() not in response.content


def test_leader_people_api_list_is_empty(rec, users):
    response = api(users["ja_leader"]).get("/api/v1/people")
    assert api_ids(response) == set()
    assert response.json()["count"] == 0


@pytest.mark.parametrize("key", ["committee_a", "committee_b", "committee_c"])
@pytest.mark.parametrize("probe", PROBES)
def test_leader_can_neither_open_nor_edit_any_person(rec, users, tree, probe, key):
    person = rec.people[key]
    response = PROBES[probe](users["ja_leader"], person, tree)
    assert response.status_code == 404
    assert person.name not in response.content.decode()
    _assert_untouched(person)


@pytest.mark.parametrize("key", ["sub_a", "sub_b"])
def test_leader_cannot_edit_enterprises(rec, users, key):
    # given
    enterprise = rec.enterprises[key]
    page = login(users["ja_leader"])
    # when
    edit_get = page.get(f"/enterprises/{enterprise.pk}/edit/")
    edit_post = page.post(
        f"/enterprises/{enterprise.pk}/edit/",
        {"org_unit": enterprise.org_unit_id, "name": "被改名", "credit_code": credit_code()},
    )
    api_put = api(users["ja_leader"]).put(
        f"/api/v1/enterprises/{enterprise.pk}",
        data=json.dumps(
            {"org_unit_id": enterprise.org_unit_id, "name": "被改名", "credit_code": credit_code()}
        ),
        content_type="application/json",
    )
    # then
    assert edit_get.status_code in (403, 404)
    assert edit_post.status_code in (403, 404)
    assert api_put.status_code in (403, 404)
    assert api_put.json()["code"] in ("forbidden", "not_found")
    fresh = Enterprise.objects.get(pk=enterprise.pk)
    assert (fresh.name, fresh.credit_code) == (enterprise.name, enterprise.credit_code)


@pytest.mark.parametrize("org", ["sub_a", "committee_a", "sub_b", "committee_c"])
def test_leader_cannot_create_via_api(users, tree, org):
    unit = getattr(tree, org)
    client = api(users["ja_leader"])
    person = json_post(
        client,
        "/api/v1/people",
        {"org_unit_id": unit.pk, "name": "领导登记", "id_number": id_number()},
    )
    enterprise = json_post(
        client,
        "/api/v1/enterprises",
        {"org_unit_id": unit.pk, "name": "领导企业", "credit_code": credit_code()},
    )
    assert person.status_code in (403, 404)
    assert enterprise.status_code in (403, 404)
    assert person.json()["code"] in ("forbidden", "not_found")
    assert not Person.objects.filter(name="领导登记").exists()
    assert not Enterprise.objects.filter(name="领导企业").exists()


def test_leader_create_pages_are_refused(users):
    page = login(users["ja_leader"])
    assert page.get("/people/new/").status_code == 403
    assert page.get("/enterprises/new/").status_code == 403


# --- platform admin --------------------------------------------------------------------------
def test_platform_admin_sees_every_person_on_page_api_and_export(rec, users):
    everyone = {p.pk for p in rec.people.values()}
    html = login(users["admin"]).get("/people/").content.decode()
    for person in rec.people.values():
        assert f"/people/{person.pk}/" in html
    assert api_ids(api(users["admin"]).get("/api/v1/people")) == everyone
    names = export_names(login(users["admin"]).get("/people/?export=xlsx"))
    assert sorted(names) == sorted(p.name for p in rec.people.values())


@pytest.mark.parametrize("key", ["committee_a", "committee_b", "sub_a", "committee_c"])
def test_platform_admin_opens_any_person(rec, users, key):
    person = rec.people[key]
    assert login(users["admin"]).get(f"/people/{person.pk}/edit/").status_code == 200
    assert api(users["admin"]).get(f"/api/v1/people/{person.pk}").json()["name"] == person.name


def test_platform_admin_sees_every_enterprise(rec, users):
    everyone = {e.pk for e in rec.enterprises.values()}
    assert api_ids(api(users["admin"]).get("/api/v1/enterprises")) == everyone


# --- subdistrict admin -----------------------------------------------------------------------
SUB_A_PEOPLE = ["committee_a", "resident", "committee_b", "sub_a", "contact"]


def test_subdistrict_admin_lists_both_committees_but_not_other_subdistrict(rec, users):
    # when
    html = login(users["tmx_admin"]).get("/people/").content.decode()
    ids = api_ids(api(users["tmx_admin"]).get("/api/v1/people"))
    names = export_names(login(users["tmx_admin"]).get("/people/?export=xlsx"))
    # then
    assert ids == {rec.people[k].pk for k in SUB_A_PEOPLE}
    assert sorted(names) == sorted(rec.people[k].name for k in SUB_A_PEOPLE)
    for key in SUB_A_PEOPLE:
        assert f"/people/{rec.people[key].pk}/" in html
    assert "海昌丙" not in html
    assert "海昌丙" not in names


@pytest.mark.parametrize("key", ["committee_a", "committee_b"])
def test_subdistrict_admin_opens_and_edits_both_committees(rec, users, key):
    person = rec.people[key]
    page = login(users["tmx_admin"])
    assert page.get(f"/people/{person.pk}/").status_code == 200
    assert page.get(f"/people/{person.pk}/edit/").status_code == 200
    response = json_patch(
        api(users["tmx_admin"]), f"/api/v1/people/{person.pk}", {"address": "新址"}
    )
    assert response.status_code == 200, response.content
    assert Person.objects.get(pk=person.pk).address == "新址"


@pytest.mark.parametrize("probe", PROBES)
def test_subdistrict_admin_gets_404_for_other_subdistrict(rec, users, tree, probe):
    person = rec.people["committee_c"]
    response = PROBES[probe](users["tmx_admin"], person, tree)
    assert response.status_code == 404
    assert person.name not in response.content.decode()
    _assert_untouched(person)


def test_subdistrict_admin_enterprises_exclude_other_subdistrict(rec, users):
    other = rec.enterprises["sub_b"]
    ids = api_ids(api(users["tmx_admin"]).get("/api/v1/enterprises"))
    assert ids == {rec.enterprises["own"].pk, rec.enterprises["sub_a"].pk}
    html = login(users["tmx_admin"]).get("/enterprises/").content.decode()
    assert other.name not in html
    assert login(users["tmx_admin"]).get(f"/enterprises/{other.pk}/").status_code == 404
    assert login(users["tmx_admin"]).get(f"/enterprises/{other.pk}/edit/").status_code == 404
    response = api(users["tmx_admin"]).get(f"/api/v1/enterprises/{other.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_subdistrict_admin_cannot_open_other_subdistricts_building(rec, users):
    other = rec.buildings["sub_b"]
    page = login(users["tmx_admin"])
    assert page.get(f"/places/buildings/{other.pk}/").status_code == 404
    assert other.name not in page.get("/places/buildings/").content.decode()
    assert page.get(f"/places/buildings/{rec.buildings['sub_a'].pk}/").status_code == 200


# --- resident --------------------------------------------------------------------------------
def test_resident_sees_only_own_person_record(rec, users):
    # given
    own = rec.people["resident"]
    # when
    html = login(users["resident1"]).get("/people/").content.decode()
    ids = api_ids(api(users["resident1"]).get("/api/v1/people"))
    # then
    assert ids == {own.pk}
    assert f"/people/{own.pk}/" in html
    for key, person in rec.people.items():
        if key != "resident":
            assert person.name not in html


def test_resident_opens_own_record(rec, users):
    own = rec.people["resident"]
    assert login(users["resident1"]).get(f"/people/{own.pk}/").status_code == 200
    assert api(users["resident1"]).get(f"/api/v1/people/{own.pk}").json()["id"] == own.pk


@pytest.mark.parametrize("key", ["committee_a", "committee_b", "committee_c", "contact"])
@pytest.mark.parametrize("probe", PROBES)
def test_resident_gets_404_for_anyone_else(rec, users, tree, probe, key):
    """Even a neighbour in the resident's own committee is out of reach."""
    person = rec.people[key]
    response = PROBES[probe](users["resident1"], person, tree)
    assert response.status_code == 404
    _assert_untouched(person)


def test_resident_may_read_but_not_edit_or_export_own_record(rec, users, tree):
    own = rec.people["resident"]
    page = login(users["resident1"])
    assert page.get(f"/people/{own.pk}/edit/").status_code == 403
    assert (
        json_patch(api(users["resident1"]), f"/api/v1/people/{own.pk}", {"name": "x"}).status_code
        == 403
    )
    assert page.get("/people/?export=xlsx").status_code == 403
    assert Person.objects.get(pk=own.pk).name == own.name


# --- enterprise contact ----------------------------------------------------------------------
def test_enterprise_contact_sees_only_own_enterprise(rec, users):
    own = rec.enterprises["own"]
    ids = api_ids(api(users["enterprise1"]).get("/api/v1/enterprises"))
    html = login(users["enterprise1"]).get("/enterprises/").content.decode()
    assert ids == {own.pk}
    assert own.name in html
    assert rec.enterprises["sub_a"].name not in html
    assert rec.enterprises["sub_b"].name not in html
    assert login(users["enterprise1"]).get(f"/enterprises/{own.pk}/").status_code == 200


@pytest.mark.parametrize("key", ["sub_a", "sub_b"])
def test_enterprise_contact_gets_404_for_other_enterprises(rec, users, key):
    other = rec.enterprises[key]
    page = login(users["enterprise1"])
    assert page.get(f"/enterprises/{other.pk}/").status_code == 404
    assert page.get(f"/enterprises/{other.pk}/edit/").status_code == 404
    response = api(users["enterprise1"]).get(f"/api/v1/enterprises/{other.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_enterprise_contact_sees_no_people(rec, users):
    assert login(users["enterprise1"]).get("/people/").status_code == 404
    assert api_ids(api(users["enterprise1"]).get("/api/v1/people")) == set()
    other = rec.people["committee_a"]
    assert login(users["enterprise1"]).get(f"/people/{other.pk}/").status_code == 404


def test_enterprise_contact_cannot_edit_own_enterprise(rec, users):
    own = rec.enterprises["own"]
    page = login(users["enterprise1"])
    response = page.post(
        f"/enterprises/{own.pk}/edit/",
        {"org_unit": own.org_unit_id, "name": "被改名", "credit_code": own.credit_code},
    )
    assert response.status_code == 403
    assert Enterprise.objects.get(pk=own.pk).name == own.name


# --- expert ----------------------------------------------------------------------------------
def test_expert_sees_no_people(rec, users, tree):
    page = login(users["expert1"])
    assert page.get("/people/").status_code == 404
    assert page.get("/people/?export=xlsx").status_code == 404
    assert api_ids(api(users["expert1"]).get("/api/v1/people")) == set()
    for person in rec.people.values():
        assert page.get(f"/people/{person.pk}/").status_code == 404
        assert api(users["expert1"]).get(f"/api/v1/people/{person.pk}").status_code == 404


# --- unauthenticated -------------------------------------------------------------------------
@pytest.fixture
def some_person(tree):
    return make_person(tree.committee_a, "匿名测")


PAGE_URLS = [
    "/",
    "/people/",
    "/people/?export=xlsx",
    "/people/{pk}/",
    "/people/{pk}/edit/",
    "/enterprises/",
    "/places/compounds/",
    "/places/buildings/",
    "/imports/",
    "/audit/",
]


@pytest.mark.parametrize("url", PAGE_URLS)
def test_anonymous_page_request_redirects_to_login(some_person, url):
    url = url.format(pk=some_person.pk)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert some_person.name.encode() not in response.content


def test_anonymous_reveal_redirects_to_login(some_person):
    response = Client().post(
        f"/people/{some_person.pk}/reveal/", {"field": "phone", "reason": "核对信息"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not PiiReveal.objects.exists()


API_REQUESTS = [
    ("get", "/api/v1/me"),
    ("get", "/api/v1/people"),
    ("get", "/api/v1/people/{pk}"),
    ("patch", "/api/v1/people/{pk}"),
    ("post", "/api/v1/people/{pk}/reveal"),
    ("post", "/api/v1/people"),
    ("get", "/api/v1/enterprises"),
    ("get", "/api/v1/rollups"),
    ("get", "/api/v1/compounds"),
]


@pytest.mark.parametrize(("method", "url"), API_REQUESTS)
def test_anonymous_api_request_gets_401_json(some_person, method, url):
    url = url.format(pk=some_person.pk)
    client = Client()
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, data="{}", content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "unauthenticated"
    assert body["message"]
    assert some_person.name not in response.content.decode()
    assert Person.objects.get(pk=some_person.pk).name == "匿名测"
