"""Open311 GeoReport v2 at /open311/v2/: JSON and XML, filing with an api_key, tracking,
the spec's error format, no personal data in public answers, junk never a 500."""

from __future__ import annotations

import hashlib
import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jiedao.affairs import open311
from jiedao.affairs.models import (
    Channel,
    Open311Client,
    PointKind,
    ServicePoint,
    Ticket,
    TicketStatus,
    TicketTransition,
)
from jiedao.core import pii
from jiedao.core.models import Person
from tests.affairs.factories import advance, make_item, make_ticket
from tests.factories import make_person

BASE = "/open311/v2/"
HOUSING = {
    "code": "housing",
    "label": "居住类型",
    "datatype": "singlevaluelist",
    "required": True,
    "values": [{"key": "rent", "name": "租赁"}, {"key": "own", "name": "自有"}],
}
FLOORS = {"code": "floors", "label": "楼层", "datatype": "number", "required": False}
PETS = {
    "code": "pets",
    "label": "宠物",
    "datatype": "multivaluelist",
    "required": False,
    "values": [{"key": "cat", "name": "猫"}, {"key": "dog", "name": "狗"}],
}
PHONE = "13812345678"


def centre(org: Any, name: str, **kwargs: Any) -> ServicePoint:
    return ServicePoint.objects.create(org_unit=org, kind=PointKind.CENTRE, name=name, **kwargs)


@pytest.fixture
def world(tree: Any, users: Any) -> dict[str, Any]:
    permit = make_item(
        tree.city,
        "JZZ-01",
        "居住证办理",
        name_en="Residence permit",
        group="户籍与居住",
        online=True,
        materials=["身份证", "照片"],
        attributes=[HOUSING, FLOORS, PETS],
        time_limit_days=7,
    )
    certificate = make_item(tree.city, "HJ-02", "户籍证明开具", group="户籍与居住")
    local = make_item(tree.sub_a, "TMX-01", "天目西路专办事项")
    other = make_item(tree.sub_b, "BZ-01", "北站专办事项")
    retired = make_item(tree.city, "OLD-01", "已停用事项", active=False)
    point_a = centre(
        tree.sub_a,
        "天目西路街道社区事务受理服务中心",
        address="天目中路100号",
        latitude=Decimal("31.246000"),
        longitude=Decimal("121.458000"),
    )
    point_b = centre(tree.sub_b, "北站街道社区事务受理服务中心", address="海宁路1号")
    applicant = make_person(tree.committee_a, "张三", phone=PHONE)
    client, key = open311.open311_client_create(name="小程序", org_unit=tree.sub_a)
    return {
        "permit": permit,
        "certificate": certificate,
        "local": local,
        "other": other,
        "retired": retired,
        "point_a": point_a,
        "point_b": point_b,
        "applicant": applicant,
        "client": client,
        "key": key,
        "clerk": users["tmx_clerk"],
        "bz_admin": users["bz_admin"],
    }


def get(path: str, **params: Any) -> Any:
    headers = params.pop("headers", {})
    return Client().get(BASE + path, params, **headers)


def post(path: str, data: dict[str, Any]) -> Any:
    return Client().post(BASE + path, data)


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314  (our own answer, not untrusted input)


def body(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def assert_error(response: Any, status: int, fmt: str = "json") -> list[str]:
    """The spec's error format, with the HTTP status repeated in each error's code."""
    assert response.status_code == status, response.content[:500]
    if fmt == "json":
        errors = body(response)
        assert isinstance(errors, list) and errors
        assert all(set(e) == {"code", "description"} for e in errors)
        assert all(e["code"] == status and e["description"] for e in errors)
        return [e["description"] for e in errors]
    root = xml(response)
    assert root.tag == "errors"
    errors = root.findall("error")
    assert errors
    assert all(e.findtext("code") == str(status) and e.findtext("description") for e in errors)
    return [e.findtext("description") or "" for e in errors]


def filing(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {
        "api_key": world["key"],
        "service_code": "JZZ-01",
        "attribute[housing]": "rent",
        "phone": PHONE,
        "last_name": "张",
        "first_name": "三",
        "description": "需要办理居住证",
        "lat": "31.2460",
        "long": "121.4580",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


# --- discovery and services ------------------------------------------------------------------
def test_discovery_in_json_and_xml(world: dict[str, Any]) -> None:
    data = body(get("discovery.json"))
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert data["changeset"] and data["contact"] and data["key_service"]

    root = xml(get("discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert set(formats) == {"text/xml", "application/json"}
    assert root.findtext("endpoints/endpoint/type") == "production"


def test_services_list_in_json(world: dict[str, Any]) -> None:
    services = body(get("services.json", jurisdiction_id="TMX"))
    by_code = {s["service_code"]: s for s in services}
    # The city's catalogue and the subdistrict's own items; not another's, not retired ones.
    assert set(by_code) == {"JZZ-01", "HJ-02", "TMX-01"}
    permit = by_code["JZZ-01"]
    assert permit["service_name"] == "居住证办理"
    assert permit["metadata"] is True
    assert permit["type"] == "realtime"
    assert permit["group"] == "户籍与居住"
    assert "Residence permit" in permit["keywords"]
    assert by_code["HJ-02"]["metadata"] is False

    other = {s["service_code"] for s in body(get("services.json", jurisdiction_id="BZ"))}
    assert other == {"JZZ-01", "HJ-02", "BZ-01"}


def test_services_list_in_xml(world: dict[str, Any]) -> None:
    root = xml(get("services.xml", jurisdiction_id="TMX"))
    assert root.tag == "services"
    services = {s.findtext("service_code"): s for s in root.findall("service")}
    assert set(services) == {"JZZ-01", "HJ-02", "TMX-01"}
    assert services["JZZ-01"].findtext("metadata") == "true"
    assert services["HJ-02"].findtext("metadata") == "false"
    assert services["JZZ-01"].findtext("service_name") == "居住证办理"


def test_service_names_follow_the_request_language(world: dict[str, Any]) -> None:
    services = body(
        get("services.json", jurisdiction_id="TMX", headers={"HTTP_ACCEPT_LANGUAGE": "en"})
    )
    names = {s["service_code"]: s["service_name"] for s in services}
    assert names["JZZ-01"] == "Residence permit"
    assert names["HJ-02"] == "户籍证明开具"  # no English name: the Chinese one


def test_service_definition_in_json(world: dict[str, Any]) -> None:
    data = body(get("services/JZZ-01.json", jurisdiction_id="TMX"))
    assert data["service_code"] == "JZZ-01"
    housing, floors, pets = data["attributes"]
    assert housing == {
        "variable": True,
        "code": "housing",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "单选",
        "order": 1,
        "description": "居住类型",
        "values": [{"key": "rent", "name": "租赁"}, {"key": "own", "name": "自有"}],
    }
    assert (floors["code"], floors["datatype"], floors["required"], floors["order"]) == (
        "floors",
        "number",
        False,
        2,
    )
    assert pets["datatype"] == "multivaluelist" and pets["order"] == 3


def test_service_definition_in_xml(world: dict[str, Any]) -> None:
    root = xml(get("services/JZZ-01.xml", jurisdiction_id="TMX"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "JZZ-01"
    first = root.findall("attributes/attribute")[0]
    assert first.findtext("code") == "housing"
    assert first.findtext("variable") == "true"
    assert first.findtext("required") == "true"
    assert first.findtext("order") == "1"
    assert [v.findtext("key") for v in first.findall("values/value")] == ["rent", "own"]
    assert [v.findtext("name") for v in first.findall("values/value")] == ["租赁", "自有"]

    empty = xml(get("services/HJ-02.xml", jurisdiction_id="TMX"))
    assert empty.findall("attributes/attribute") == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404(world: dict[str, Any], fmt: str) -> None:
    assert_error(get(f"services/NOPE.{fmt}", jurisdiction_id="TMX"), 404, fmt)
    # Another subdistrict's item and a retired one are unknown here too.
    assert_error(get(f"services/BZ-01.{fmt}", jurisdiction_id="TMX"), 404, fmt)
    assert_error(get(f"services/OLD-01.{fmt}", jurisdiction_id="TMX"), 404, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_jurisdiction_is_required_and_must_exist(world: dict[str, Any], fmt: str) -> None:
    for path in (f"services.{fmt}", f"services/JZZ-01.{fmt}", f"requests.{fmt}"):
        assert_error(get(path), 400, fmt)
        assert_error(get(path, jurisdiction_id="NOWHERE"), 404, fmt)
        # A committee is no jurisdiction: only subdistricts are.
        assert_error(get(path, jurisdiction_id="TMX-HX"), 404, fmt)


# --- filing a request ------------------------------------------------------------------------
def test_post_creates_an_online_ticket_at_the_centre(world: dict[str, Any]) -> None:
    people = Person.objects.count()
    response = post("requests.json", filing(world, **{"attribute[pets][]": ["cat", "dog"]}))
    assert response.status_code == 200, response.content
    (answer,) = body(response)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] is None
    ticket = Ticket.objects.get(number=answer["service_request_id"])
    assert ticket.number.startswith("TMX-")
    assert ticket.channel == Channel.ONLINE
    assert ticket.handler is None
    assert ticket.point == world["point_a"]
    assert ticket.org_unit == world["point_a"].org_unit
    assert ticket.status == TicketStatus.SUBMITTED
    assert ticket.item == world["permit"]
    assert ticket.attributes == {"housing": "rent", "pets": ["cat", "dog"]}
    assert "需要办理居住证" in ticket.notes
    # The resident is found by the phone's blind index: nobody new.
    assert ticket.applicant_person == world["applicant"]
    assert Person.objects.count() == people
    assert "身份证" in answer["service_notice"] and "7" in answer["service_notice"]
    first = TicketTransition.objects.get(ticket=ticket)
    assert first.to_status == TicketStatus.SUBMITTED and "小程序" in first.note
    assert not ticket.trips.exists()  # filed online: no trip to the centre


def test_post_in_xml(world: dict[str, Any]) -> None:
    root = xml(post("requests.xml", filing(world)))
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert Ticket.objects.filter(number=number, channel=Channel.ONLINE).exists()
    assert root.find("request/account_id") is not None
    assert root.findtext("request/service_notice")


def test_post_with_a_new_phone_registers_the_applicant(world: dict[str, Any]) -> None:
    response = post(
        "requests.json", filing(world, phone="13900001111", last_name="李", first_name="四")
    )
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(number=body(response)[0]["service_request_id"])
    person = ticket.applicant_person
    assert person is not None and person != world["applicant"]
    assert person.name == "李四"
    assert person.org_unit == world["client"].org_unit
    assert person.phone_hash == pii.blind_index("13900001111")
    assert person.phone_masked == "139****1111"
    assert person.id_number_hash == ""


def test_post_with_a_new_phone_and_no_name_is_refused(world: dict[str, Any]) -> None:
    before = (Ticket.objects.count(), Person.objects.count())
    response = post(
        "requests.json", filing(world, phone="13900001111", last_name="", first_name="")
    )
    assert_error(response, 400)
    assert (Ticket.objects.count(), Person.objects.count()) == before


def test_post_matches_phone_only_within_the_clients_subdistrict(
    world: dict[str, Any], tree: Any
) -> None:
    stranger = make_person(tree.committee_c, "张三", phone="13700002222")
    response = post("requests.json", filing(world, phone="13700002222"))
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(number=body(response)[0]["service_request_id"])
    assert ticket.applicant_person != stranger
    assert ticket.applicant_person is not None
    assert ticket.applicant_person.org_unit == tree.sub_a


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_or_missing_key_is_403(world: dict[str, Any], fmt: str) -> None:
    for key in ("o311_wrong", "", "Bearer x", "o311_" + "x" * 500):
        assert_error(post(f"requests.{fmt}", filing(world, api_key=key)), 403, fmt)
    assert_error(post(f"requests.{fmt}", filing(world, api_key=None)), 403, fmt)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_inactive_key_is_403(world: dict[str, Any], fmt: str) -> None:
    Open311Client.objects.filter(pk=world["client"].pk).update(active=False)
    assert_error(post(f"requests.{fmt}", filing(world)), 403, fmt)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_required_attribute_is_400(world: dict[str, Any], fmt: str) -> None:
    people = Person.objects.count()
    response = post(
        f"requests.{fmt}", filing(world, **{"attribute[housing]": None}, phone="13900001111")
    )
    (description,) = assert_error(response, 400, fmt)
    assert "居住类型" in description
    assert not Ticket.objects.exists()
    assert Person.objects.count() == people  # the new applicant was not kept either


def test_invalid_attribute_values_are_400(world: dict[str, Any]) -> None:
    for extra in (
        {"attribute[housing]": "castle"},
        {"attribute[floors]": "many"},
        {"attribute[floors]": "nan"},
        {"attribute[floors]": "1e999"},
        {"attribute[pets][]": ["cat", "lion"]},
    ):
        assert_error(post("requests.json", filing(world, **extra)), 400)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_on_post_is_404(world: dict[str, Any], fmt: str) -> None:
    for code in ("NOPE", "BZ-01", "OLD-01"):
        assert_error(post(f"requests.{fmt}", filing(world, service_code=code)), 404, fmt)
    assert_error(post(f"requests.{fmt}", filing(world, service_code="")), 400, fmt)
    assert not Ticket.objects.exists()


def test_post_files_only_into_the_keys_subdistrict(world: dict[str, Any]) -> None:
    assert_error(post("requests.json", filing(world, jurisdiction_id="BZ")), 403)
    assert_error(post("requests.json", filing(world, jurisdiction_id="NOWHERE")), 404)
    assert not Ticket.objects.exists()
    response = post("requests.json", filing(world, jurisdiction_id="TMX"))
    assert response.status_code == 200


def test_post_without_a_centre_is_400(world: dict[str, Any], tree: Any) -> None:
    _client, key = open311.open311_client_create(name="热线", org_unit=tree.sub_b)
    ServicePoint.objects.filter(pk=world["point_b"].pk).update(kind=PointKind.HELP_POINT)
    response = post("requests.json", filing(world, api_key=key, phone="13900001111"))
    assert_error(response, 400)
    assert not Ticket.objects.exists()


# --- tracking requests -----------------------------------------------------------------------
@pytest.fixture
def tickets(world: dict[str, Any]) -> dict[str, Ticket]:
    now = timezone.now()
    clerk = world["clerk"]
    person = world["applicant"]
    open_ = make_ticket(
        actor=clerk,
        item=world["permit"],
        point=world["point_a"],
        person=person,
        attributes={"housing": "own"},
        notes="张三 13812345678 私事",
        submitted_at=now - timedelta(days=10),
    )
    done = make_ticket(
        actor=clerk,
        item=world["certificate"],
        point=world["point_a"],
        person=person,
        submitted_at=now - timedelta(days=40),
    )
    advance(done, clerk, TicketStatus.ACCEPTED, TicketStatus.COMPLETED)
    rejected = make_ticket(
        actor=clerk,
        item=world["certificate"],
        point=world["point_a"],
        person=person,
        submitted_at=now - timedelta(days=20),
    )
    advance(rejected, clerk, TicketStatus.REJECTED)
    old = make_ticket(
        actor=clerk,
        item=world["certificate"],
        point=world["point_a"],
        person=person,
        submitted_at=now - timedelta(days=200),
    )
    elsewhere = make_ticket(
        actor=world["bz_admin"],
        item=world["certificate"],
        point=world["point_b"],
        submitted_at=now - timedelta(days=5),
    )
    return {"open": open_, "done": done, "rejected": rejected, "old": old, "elsewhere": elsewhere}


def numbers(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:500]
    return {r["service_request_id"] for r in body(response)}


def test_requests_default_to_the_last_90_days_of_the_jurisdiction(
    tickets: dict[str, Ticket],
) -> None:
    found = numbers(get("requests.json", jurisdiction_id="TMX"))
    assert found == {tickets[k].number for k in ("open", "done", "rejected")}
    assert numbers(get("requests.json", jurisdiction_id="BZ")) == {tickets["elsewhere"].number}


def test_requests_filter_by_status(tickets: dict[str, Ticket]) -> None:
    open_ = numbers(get("requests.json", jurisdiction_id="TMX", status="open"))
    closed = numbers(get("requests.json", jurisdiction_id="TMX", status="closed"))
    both = numbers(get("requests.json", jurisdiction_id="TMX", status="open,closed"))
    repeated = numbers(get("requests.json", jurisdiction_id="TMX", status=["open", "closed"]))
    assert open_ == {tickets["open"].number}
    assert closed == {tickets["done"].number, tickets["rejected"].number}
    assert both == repeated == open_ | closed


def test_requests_filter_by_service_code_and_dates(tickets: dict[str, Ticket]) -> None:
    assert numbers(get("requests.json", jurisdiction_id="TMX", service_code="JZZ-01")) == {
        tickets["open"].number
    }
    assert numbers(get("requests.json", jurisdiction_id="TMX", service_code="JZZ-01,HJ-02")) == {
        tickets[k].number for k in ("open", "done", "rejected")
    }
    now = timezone.now()
    start = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=15)).isoformat()
    assert numbers(get("requests.json", jurisdiction_id="TMX", start_date=start, end_date=end)) == {
        tickets["rejected"].number
    }
    old_start = (now - timedelta(days=210)).date().isoformat()
    assert numbers(get("requests.json", jurisdiction_id="TMX", start_date=old_start)) == {
        tickets["old"].number
    }
    assert numbers(get("requests.json", jurisdiction_id="TMX", end_date=end)) == {
        tickets[k].number for k in ("done", "rejected")
    }


def test_requests_by_id_override_other_filters_but_not_the_jurisdiction(
    tickets: dict[str, Ticket],
) -> None:
    ids = ",".join(tickets[k].number for k in ("old", "open", "elsewhere"))
    found = numbers(
        get("requests.json", jurisdiction_id="TMX", service_request_id=ids, status="closed")
    )
    assert found == {tickets["old"].number, tickets["open"].number}
    # Ids that match nothing give nothing, not the default list.
    assert (
        numbers(get("requests.json", jurisdiction_id="TMX", service_request_id="X" * 100)) == set()
    )


def test_requests_in_xml(tickets: dict[str, Ticket]) -> None:
    root = xml(get("requests.xml", jurisdiction_id="TMX", status="closed"))
    assert root.tag == "service_requests"
    rows = {r.findtext("service_request_id"): r for r in root.findall("request")}
    assert set(rows) == {tickets["done"].number, tickets["rejected"].number}
    done = rows[tickets["done"].number]
    assert done.findtext("status") == "closed"
    assert done.findtext("status_notes") == "已办结"
    assert rows[tickets["rejected"].number].findtext("status_notes") == "不予受理"
    assert done.findtext("service_code") == "HJ-02"


def test_one_request_in_json_and_xml(world: dict[str, Any], tickets: dict[str, Ticket]) -> None:
    ticket = tickets["open"]
    (row,) = body(get(f"requests/{ticket.number}.json", jurisdiction_id="TMX"))
    assert row["service_request_id"] == ticket.number
    assert row["status"] == "open" and row["status_notes"] == "已提交"
    assert row["service_name"] == "居住证办理" and row["service_code"] == "JZZ-01"
    assert row["agency_responsible"] == "天目西路街道社区事务受理服务中心"
    assert row["address"] == "天目中路100号"
    assert (row["lat"], row["long"]) == (31.246, 121.458)
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"].startswith(ticket.due_date.isoformat())
    assert "description" not in row

    root = xml(get(f"requests/{ticket.number}.xml", jurisdiction_id="TMX"))
    assert root.findtext("request/service_request_id") == ticket.number
    assert root.findtext("request/status") == "open"
    assert root.findtext("request/lat") == "31.246"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_other_subdistricts_requests_are_not_visible(tickets: dict[str, Ticket], fmt: str) -> None:
    number = tickets["elsewhere"].number
    assert_error(get(f"requests/{number}.{fmt}", jurisdiction_id="TMX"), 404, fmt)
    assert_error(get(f"requests/NOPE.{fmt}", jurisdiction_id="TMX"), 404, fmt)
    listed = get(f"requests.{fmt}", jurisdiction_id="TMX", service_request_id=number)
    assert number.encode() not in listed.content
    assert get(f"requests/{number}.{fmt}", jurisdiction_id="BZ").status_code == 200


def test_no_personal_data_in_any_public_answer(
    world: dict[str, Any], tickets: dict[str, Ticket]
) -> None:
    filed = post("requests.json", filing(world, description="我叫张三，电话13812345678"))
    number = body(filed)[0]["service_request_id"]
    person = world["applicant"]
    secrets = [person.name, PHONE, person.phone_masked, "138", "私事", "需要办理", "own", "rent"]
    paths = [
        ("requests.json", {}),
        ("requests.xml", {}),
        ("requests.json", {"status": "open"}),
        (f"requests/{number}.json", {}),
        (f"requests/{number}.xml", {}),
        (f"requests/{tickets['open'].number}.json", {}),
    ]
    for path, params in paths:
        response = get(path, jurisdiction_id="TMX", **params)
        assert response.status_code == 200
        text = response.content.decode()
        assert number in text or tickets["open"].number in text
        for secret in secrets:
            assert secret not in text, (path, secret)


def test_request_list_queries_do_not_grow_with_rows(
    world: dict[str, Any], tickets: dict[str, Ticket], django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        make_ticket(
            actor=world["clerk"],
            item=world["permit"],
            point=world["point_a"],
            person=world["applicant"],
            attributes={"housing": "rent"},
        )
    with django_assert_max_num_queries(3):
        rows = body(get("requests.json", jurisdiction_id="TMX"))
    assert len(rows) == 8


# --- keys ------------------------------------------------------------------------------------
def test_key_is_stored_hashed(world: dict[str, Any]) -> None:
    key = world["key"]
    client = Open311Client.objects.get(pk=world["client"].pk)
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client.prefix == key[:12]
    stored = " ".join(str(v) for v in Open311Client.objects.values_list().get(pk=client.pk))
    assert key not in stored
    assert open311.open311_client_authenticate(key) == client


def test_management_command_issues_a_key(tree: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", "12345热线", "BZ", stdout=out, stderr=err)
    key = out.getvalue().strip()
    client = Open311Client.objects.get(name="12345热线")
    assert client.org_unit == tree.sub_b and client.active
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in err.getvalue()
    assert open311.open311_client_authenticate(key) == client


@pytest.mark.parametrize("code", ["NOWHERE", "TMX-HX", "SH"])
def test_management_command_wants_a_subdistrict(tree: Any, code: str) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("open311_key", "x", code, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Open311Client.objects.exists()


# --- junk ------------------------------------------------------------------------------------
HUGE = "长" * 20_000
JUNK = ["", " ", "abc", HUGE, "张\x00三", "<x>&amp;</x>", "'; DROP TABLE x; --", "9" * 40, "\x01"]
BAD_DATES = [
    "yesterday",
    "2024-13-01",
    "2024-02-30T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "2024-01-01T25:00:00",
    "2024-01-01T00:00:00+25:00",
    HUGE,
    "\x00",
]


def no_500(response: Any) -> None:
    assert response.status_code < 500, response.content[:500]


def test_bad_dates_are_400(tickets: dict[str, Ticket]) -> None:
    for raw in BAD_DATES:
        for name in ("start_date", "end_date"):
            response = get("requests.json", jurisdiction_id="TMX", **{name: raw})
            no_500(response)
            if raw not in ("9999-12-31T23:59:59Z",):
                assert_error(response, 400)
    # A range longer than 90 days, or backwards.
    assert_error(
        get(
            "requests.json",
            jurisdiction_id="TMX",
            start_date="2024-01-01T00:00:00Z",
            end_date="2024-06-01T00:00:00Z",
        ),
        400,
    )
    assert_error(
        get("requests.json", jurisdiction_id="TMX", start_date="2024-06-01", end_date="2024-01-01"),
        400,
    )
    assert_error(get("requests.xml", jurisdiction_id="TMX", status="pending"), 400, "xml")


def test_junk_in_every_get_never_500s(tickets: dict[str, Ticket]) -> None:
    for junk in JUNK:
        for name in ("jurisdiction_id", "service_request_id", "service_code", "status"):
            params = {"jurisdiction_id": "TMX", name: junk}
            no_500(get("requests.json", **params))
            no_500(get("requests.xml", **params))
        no_500(get("services.json", jurisdiction_id=junk))
        no_500(get("services.xml", jurisdiction_id=junk))
    for path in (
        "services/%00.json",
        f"services/{'x' * 5000}.xml",
        "requests/%00.xml",
        f"requests/{'9' * 5000}.json",
        "requests/..json",
        "services/a.b.json",
    ):
        no_500(get(path, jurisdiction_id="TMX"))
    many = ",".join(str(n) for n in range(2000))
    assert_error(get("requests.json", jurisdiction_id="TMX", service_request_id=many), 400)


def test_junk_posts_never_500(world: dict[str, Any]) -> None:
    fields = [
        "service_code",
        "phone",
        "first_name",
        "last_name",
        "description",
        "lat",
        "long",
        "address_string",
        "jurisdiction_id",
        "attribute[housing]",
        "attribute[floors]",
        "attribute[pets][]",
        "attribute[]",
        "attribute[[x]]",
    ]
    for junk in JUNK:
        for field in fields:
            no_500(post("requests.json", filing(world, **{field: junk})))
            no_500(post("requests.xml", filing(world, **{field: junk})))
    assert_error(post("requests.json", filing(world, lat="31.2", long=None)), 400)
    assert_error(post("requests.json", filing(world, lat="200", long="121")), 400)
    assert_error(post("requests.json", filing(world, description="x" * 4001)), 400)
    # Raw bodies that are not a form.
    client = Client()
    for content_type, raw in (("application/json", b'{"api_key": 1}'), ("text/plain", b"\xff\xfe")):
        no_500(client.post(BASE + "requests.json", raw, content_type=content_type))


@pytest.mark.parametrize(
    "path",
    [
        "services.html",
        "services.",
        "discovery.yaml",
        "requests.csv",
        "services/JZZ-01.txt",
        "requests/X.pdf",
    ],
)
def test_unknown_format_is_404_in_xml(world: dict[str, Any], path: str) -> None:
    assert_error(get(path, jurisdiction_id="TMX"), 404, "xml")
    assert_error(Client().post(BASE + path, {}), 404, "xml")


def test_wrong_method_is_405_in_the_spec_format(world: dict[str, Any]) -> None:
    response = Client().post(BASE + "services.json", {"jurisdiction_id": "TMX"})
    assert_error(response, 405)
    assert response["Allow"] == "GET"
    assert_error(Client().delete(BASE + "requests.xml"), 405, "xml")
    assert Client().head(BASE + "services.json?jurisdiction_id=TMX").status_code == 200


def test_an_item_the_centre_does_not_handle_is_refused(world: dict[str, Any]) -> None:
    # given a centre that lists its items, without the residence permit
    world["point_a"].items.add(world["certificate"])
    # when a client files a residence permit
    errors = assert_error(post("requests.json", filing(world)), 400)
    # then nothing is filed and the reason is given
    assert any("不办理" in e for e in errors)
    assert not Ticket.objects.exists()
