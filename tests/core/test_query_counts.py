"""List pages and API lists run a constant number of queries, however many rows they show."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiedao.core.models import ImportJob, ResidentialBlock
from tests.conftest import bearer, login
from tests.factories import BuildingFactory, CompoundFactory, make_enterprise, make_person

pytestmark = pytest.mark.django_db

_seq = itertools.count()


# --- row makers: each row touches every relation its list shows ---------------------------
def add_people(tree, users, n):
    for _ in range(n):
        i = next(_seq)
        org = tree.committee_a if i % 2 else tree.committee_b
        make_person(org, f"居民{i}")


def add_enterprises(tree, users, n):
    for _ in range(n):
        i = next(_seq)
        building = BuildingFactory(org_unit=tree.sub_a)
        contact = make_person(tree.sub_a, f"联系人{i}")
        make_enterprise(
            tree.sub_a, f"企业{i}有限公司", building=building, contact=contact, floor=i % 20
        )


def add_compounds(tree, users, n):
    for _ in range(n):
        i = next(_seq)
        org = tree.committee_a if i % 2 else tree.committee_b
        compound = CompoundFactory(org_unit=org)
        ResidentialBlock.objects.create(compound=compound, number=f"{i}号")
        ResidentialBlock.objects.create(compound=compound, number=f"{i}号甲")


def add_buildings(tree, users, n):
    for _ in range(n):
        building = BuildingFactory(org_unit=tree.sub_a)
        make_enterprise(tree.sub_a, f"楼内企业{next(_seq)}", building=building)


def add_import_jobs(tree, users, n):
    # Jobs by two different users, so that each row's creator is a different object.
    for _ in range(n):
        i = next(_seq)
        creator = users["tmx_admin"] if i % 2 else users["hx_worker"]
        ImportJob.objects.create(
            kind="residents",
            org_unit=tree.committee_a,
            created_by=creator,
            file_name=f"导入{i}.xlsx",
            content=b"not read by the list",
        )


# (url, user, row maker, rows the page/API shows for 30 rows)
PAGES = [
    ("/people/", "tmx_admin", add_people, 30),
    ("/enterprises/", "tmx_admin", add_enterprises, 30),
    ("/places/compounds/", "tmx_admin", add_compounds, 30),
    ("/places/buildings/", "tmx_admin", add_buildings, 30),
    ("/imports/", "tmx_admin", add_import_jobs, 20),  # the page shows the 20 latest jobs
]
API_LISTS = [
    ("/api/v1/people", "tmx_admin", add_people),
    ("/api/v1/enterprises", "tmx_admin", add_enterprises),
    ("/api/v1/compounds", "tmx_admin", add_compounds),
    ("/api/v1/buildings", "tmx_admin", add_buildings),
]


def count_queries(client: Client, url: str):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return [q["sql"] for q in ctx.captured_queries], response


def _shown_rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>")


@pytest.mark.parametrize(("url", "who", "add_rows", "shown"), PAGES, ids=[p[0] for p in PAGES])
def test_list_page_query_count_is_constant(tree, users, url, who, add_rows, shown):
    # given
    client = login(users[who])
    add_rows(tree, users, 3)
    count_queries(client, url)  # warm-up: session, content types, translations
    few, response = count_queries(client, url)
    assert _shown_rows(response.content.decode()) == 3
    # when
    add_rows(tree, users, 27)
    many, response = count_queries(client, url)
    # then
    assert _shown_rows(response.content.decode()) == shown
    assert len(many) == len(few), "\n".join(many)


@pytest.mark.parametrize(("url", "who", "add_rows"), API_LISTS, ids=[a[0] for a in API_LISTS])
def test_api_list_query_count_is_constant(tree, users, url, who, add_rows):
    # given
    client = Client(**bearer(users[who]))
    add_rows(tree, users, 3)
    count_queries(client, url)  # warm-up: the token's first use records last_used_at
    few, response = count_queries(client, url)
    assert response.json()["count"] == 3
    # when
    add_rows(tree, users, 27)
    many, response = count_queries(client, url)
    # then
    assert response.json()["count"] == 30
    assert len(response.json()["items"]) == 30
    assert len(many) == len(few), "\n".join(many)


def test_people_export_query_count_is_constant(tree, users):
    client = login(users["tmx_admin"])
    add_people(tree, users, 3)
    count_queries(client, "/people/?export=xlsx")
    few, _response = count_queries(client, "/people/?export=xlsx")
    add_people(tree, users, 27)
    many, _response = count_queries(client, "/people/?export=xlsx")
    assert len(many) == len(few), "\n".join(many)
