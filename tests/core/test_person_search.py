"""A whole ID-card or phone number finds its person, through the blind index, wherever people
are searched (the people list, the desk's applicant search, the API); part of one finds
nothing, and nobody outside the user's scope is found."""

from __future__ import annotations

import pytest

from jiedao.core import selectors
from tests.conftest import bearer, login
from tests.factories import make_person

ID = "310106199001011234"


@pytest.fixture
def people(tree):
    from stdnum.cn import ric

    body = ID[:17]
    id_no = body + ric.calc_check_digit(body + "0")
    zhang = make_person(tree.committee_a, "张三", id_no=id_no, phone="13812345678")
    other = make_person(tree.sub_b, "李四", phone="13900001111")
    return {"zhang": zhang, "other": other, "id": id_no}


@pytest.mark.parametrize(
    "q", ["{id}", "{id_lower}", " {id} ", "13812345678", "138 1234 5678", "+86 138-1234-5678"]
)
def test_a_whole_number_finds_the_person(users, people, q):
    text = q.format(id=people["id"], id_lower=people["id"].lower())
    found = list(selectors.person_list(user=users["tmx_clerk"], q=text))
    assert found == [people["zhang"]]


@pytest.mark.parametrize("q", ["1381234", "310106", "13900001111", "12345678901"])
def test_part_of_a_number_or_someone_outside_scope_finds_nobody(users, people, q):
    assert list(selectors.person_list(user=users["tmx_clerk"], q=q)) == []


def test_the_people_page_the_desk_and_the_api_search_by_number(users, people):
    clerk = users["tmx_clerk"]
    client = login(clerk)
    assert "张三" in client.get("/people/", {"q": people["id"]}).content.decode()
    desk = client.get("/affairs/desk/applicants/", {"q": "13812345678"}).content.decode()
    assert "张三" in desk and "13812345678" not in desk  # shown masked
    api = client.get("/api/v1/people", {"q": "13812345678"}, **bearer(clerk)).json()
    assert [p["name"] for p in api["items"]] == ["张三"]
