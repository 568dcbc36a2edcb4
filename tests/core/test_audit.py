"""The audit trail: every write to a person or an enterprise is logged with who, from where
and what changed; personal values stay masked; the log is append-only."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from jiedao.core import services
from jiedao.core.audit import acting_as, history
from jiedao.core.models import Enterprise, Person
from tests.conftest import bearer, login
from tests.factories import credit_code, make_enterprise, make_person

ID_NO = "310106199001011236"
PHONE = "13812345678"
NEW_PHONE = "13998761234"
ADDR = "10.20.30.40"


def _entries_for(model: type, pk: int) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_pk=str(pk)
        ).order_by("timestamp", "pk")
    )


def _all_log_text() -> str:
    parts = []
    for e in LogEntry.objects.all():
        parts += [
            json.dumps(e.changes, ensure_ascii=False),
            e.changes_text or "",
            json.dumps(e.serialized_data, ensure_ascii=False),
            json.dumps(e.additional_data, ensure_ascii=False),
            e.object_repr,
        ]
    return "\n".join(parts)


@pytest.fixture
def created_person(tree, users):
    """A person registered through the page by tmx_admin from ADDR."""
    client = login(users["tmx_admin"])
    response = client.post(
        "/people/new/",
        {
            "org_unit": tree.committee_a.pk,
            "name": "张三",
            "id_number": ID_NO,
            "phone": PHONE,
            "address": "华新路1号",
        },
        REMOTE_ADDR=ADDR,
    )
    assert response.status_code == 302, response.content.decode()
    return Person.objects.get(name="张三")


# --- people -------------------------------------------------------------------------------------
def test_person_create_is_logged_with_actor_address_and_fields(created_person, users):
    # when
    [entry] = _entries_for(Person, created_person.pk)
    # then
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == users["tmx_admin"]
    assert entry.remote_addr == ADDR
    changes = entry.changes_dict
    assert changes["name"][1] == "张三"
    assert changes["id_number_masked"][1] == "310***********1236"
    assert changes["phone_masked"][1] == "138****5678"
    for column in ("id_number_encrypted", "id_number_hash", "phone_encrypted", "phone_hash"):
        assert column not in changes


def test_person_update_is_logged_with_a_field_diff(created_person, users):
    # when
    response = login(users["tmx_clerk"]).post(
        f"/people/{created_person.pk}/edit/",
        {
            "org_unit": created_person.org_unit_id,
            "name": "张三",
            "id_number": "",
            "phone": NEW_PHONE,
            "address": "华新路2号",
        },
        REMOTE_ADDR="10.9.8.7",
    )
    # then
    assert response.status_code == 302, response.content.decode()
    entry = _entries_for(Person, created_person.pk)[-1]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == users["tmx_clerk"]
    assert entry.remote_addr == "10.9.8.7"
    assert entry.changes_dict["phone_masked"] == ["138****5678", "139****1234"]
    assert entry.changes_dict["address"] == ["华新路1号", "华新路2号"]
    assert "name" not in entry.changes_dict  # unchanged fields are not in the diff
    assert "id_number_masked" not in entry.changes_dict


def test_saving_without_changes_adds_no_entry(created_person, users):
    before = len(_entries_for(Person, created_person.pk))
    response = login(users["tmx_admin"]).post(
        f"/people/{created_person.pk}/edit/",
        {"org_unit": created_person.org_unit_id, "name": "张三", "address": "华新路1号"},
    )
    assert response.status_code == 302
    assert len(_entries_for(Person, created_person.pk)) == before


def test_person_delete_is_logged_with_actor_and_address(tree, users):
    # given
    person = make_person(tree.committee_a, "李四", id_no=ID_NO, phone=PHONE)
    pk = person.pk
    # when
    with acting_as(users["tmx_admin"], remote_addr="10.0.0.9"):
        person.delete()
    # then
    entry = _entries_for(Person, pk)[-1]
    assert entry.action == LogEntry.Action.DELETE
    assert entry.actor == users["tmx_admin"]
    assert entry.remote_addr == "10.0.0.9"
    assert ID_NO not in _all_log_text()
    assert PHONE not in _all_log_text()


def test_api_write_names_the_token_user_as_actor(tree, users):
    # when
    response = login(users["hx_worker"]).post(
        "/api/v1/people",
        {"org_unit_id": tree.committee_a.pk, "name": "王五", "id_number": ID_NO, "phone": PHONE},
        content_type="application/json",
        REMOTE_ADDR=ADDR,
        **bearer(users["hx_worker"]),
    )
    # then
    assert response.status_code == 201, response.content
    [entry] = _entries_for(Person, response.json()["id"])
    assert entry.actor == users["hx_worker"]
    assert entry.remote_addr == ADDR


def test_token_only_api_write_names_the_token_user_as_actor(tree, users):
    # given: a client with no session, only the bearer token
    from django.test import Client

    person = make_person(tree.committee_a, "王五")
    # when
    response = Client().patch(
        f"/api/v1/people/{person.pk}",
        {"address": "新地址8号"},
        content_type="application/json",
        REMOTE_ADDR=ADDR,
        **bearer(users["hx_worker"]),
    )
    # then
    assert response.status_code == 200, response.content
    entry = _entries_for(Person, person.pk)[-1]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == users["hx_worker"]
    assert entry.remote_addr == ADDR
    assert entry.changes_dict["address"][1] == "新地址8号"


def test_history_is_visible_on_the_person_detail_page(created_person, users):
    # given
    login(users["tmx_admin"]).post(
        f"/people/{created_person.pk}/edit/",
        {
            "org_unit": created_person.org_unit_id,
            "name": "张三",
            "phone": NEW_PHONE,
            "address": "华新路1号",
        },
    )
    # when
    body = login(users["tmx_admin"]).get(f"/people/{created_person.pk}/").content.decode()
    # then
    assert "修改记录" in body
    assert "tmx_admin" in body
    assert ADDR in body
    assert "phone_masked" in body
    assert "138****5678" in body
    assert "139****1234" in body
    assert PHONE not in body
    assert NEW_PHONE not in body
    assert ID_NO not in body


# --- enterprises --------------------------------------------------------------------------------
def test_enterprise_create_update_delete_are_logged(tree, users):
    # given
    code = credit_code()
    client = login(users["tmx_business"])
    # when: create
    response = client.post(
        "/enterprises/new/",
        {"org_unit": tree.sub_a.pk, "name": "甲科技有限公司", "credit_code": code, "floor": "3"},
        REMOTE_ADDR=ADDR,
    )
    assert response.status_code == 302, response.content.decode()
    enterprise = Enterprise.objects.get(credit_code=code)
    # when: update
    response = client.post(
        f"/enterprises/{enterprise.pk}/edit/",
        {
            "org_unit": tree.sub_a.pk,
            "name": "甲科技股份有限公司",
            "credit_code": code,
            "floor": "5",
        },
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 302, response.content.decode()
    # when: delete
    pk = enterprise.pk
    with acting_as(users["tmx_admin"], remote_addr="10.2.2.2"):
        Enterprise.objects.get(pk=pk).delete()
    # then
    created, updated, deleted = _entries_for(Enterprise, pk)
    assert created.action == LogEntry.Action.CREATE
    assert created.actor == users["tmx_business"]
    assert created.remote_addr == ADDR
    assert created.changes_dict["credit_code"][1] == code
    assert updated.action == LogEntry.Action.UPDATE
    assert updated.actor == users["tmx_business"]
    assert updated.remote_addr == "10.1.1.1"
    assert updated.changes_dict["name"] == ["甲科技有限公司", "甲科技股份有限公司"]
    assert updated.changes_dict["floor"] == ["3", "5"]
    assert deleted.action == LogEntry.Action.DELETE
    assert deleted.actor == users["tmx_admin"]
    assert deleted.remote_addr == "10.2.2.2"


def test_history_is_visible_on_the_enterprise_detail_page(tree, users):
    # given
    enterprise = make_enterprise(tree.sub_a, name="乙贸易有限公司")
    data = services.EnterpriseData.clean(name="乙贸易集团", credit_code=enterprise.credit_code)
    services.enterprise_update(actor=users["tmx_business"], enterprise=enterprise, data=data)
    # when
    body = login(users["tmx_admin"]).get(f"/enterprises/{enterprise.pk}/").content.decode()
    # then
    assert "修改记录" in body
    assert "tmx_business" in body
    assert "乙贸易集团" in body
    assert history(enterprise).count() == 2


# --- masked in the log --------------------------------------------------------------------------
def test_clear_personal_values_never_enter_the_log(created_person, tree, users):
    # given: a create, an update of both values, an API create and an import-like upsert
    login(users["tmx_admin"]).post(
        f"/people/{created_person.pk}/edit/",
        {
            "org_unit": created_person.org_unit_id,
            "name": "张三",
            "id_number": "310106198502021235",
            "phone": NEW_PHONE,
            "address": "华新路1号",
        },
    )
    data = services.PersonData.clean(name="孙八", id_number="310106197003031231", phone=PHONE)
    services.person_upsert(actor=users["tmx_admin"], org_unit=tree.committee_a, data=data)
    # when
    text = _all_log_text()
    # then
    for clear in (ID_NO, PHONE, NEW_PHONE, "310106198502021235", "310106197003031231"):
        assert clear not in text
    for masked in ("310***********1236", "138****5678", "139****1234", "310***********1235"):
        assert masked in text


# --- append-only --------------------------------------------------------------------------------
def test_log_entries_cannot_be_updated(created_person):
    entry = LogEntry.objects.first()
    entry.changes_text = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    entry.refresh_from_db()
    assert entry.changes_text != "tampered"


def test_log_entries_cannot_be_deleted(created_person):
    count = LogEntry.objects.count()
    entry = LogEntry.objects.first()
    # (each inside its own savepoint: the refusal aborts the surrounding transaction)
    with pytest.raises(PermissionError), transaction.atomic():
        entry.delete()
    with pytest.raises(PermissionError), transaction.atomic():
        LogEntry.objects.all().delete()
    assert LogEntry.objects.count() == count


# --- the audit page -----------------------------------------------------------------------------
def test_audit_page_is_visible_to_the_platform_admin(created_person, users):
    response = login(users["admin"]).get("/audit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "审计日志" in body
    assert "张三" in body
    assert ADDR in body
    assert ID_NO not in body
    assert PHONE not in body


@pytest.mark.parametrize("username", ["tmx_admin", "hx_worker", "tmx_leader", "resident1"])
def test_audit_page_is_not_found_for_other_roles(created_person, users, username):
    assert login(users[username]).get("/audit/").status_code == 404


def test_audit_page_search_and_junk_page(created_person, users):
    client = login(users["admin"])
    assert "张三" in client.get("/audit/", {"q": "tmx_admin"}).content.decode()
    assert "张三" not in client.get("/audit/", {"q": "nobody-at-all"}).content.decode()
    assert client.get("/audit/", {"page": "abc"}).status_code == 200


def test_describe_changes_names_fields_and_choice_labels(tree, users):
    """Timelines read an update as staff do: field names, old and new values."""
    from jiedao.core.audit import action_label, describe_changes, history
    from jiedao.core.models import Person
    from jiedao.core.services import person_edit_data, person_update
    from tests.factories import make_person

    person = make_person(tree.committee_a, "张三", address="旧地址")
    person_update(
        actor=users["hx_worker"],
        person=person,
        data=person_edit_data(person=person, address="新地址"),
    )
    entry = history(person).first()
    text = describe_changes(entry, Person)
    assert action_label(entry) == "记录修改"
    assert "地址: 旧地址 → 新地址" in text
    assert "updated_at" not in text
    assert "身份证号" not in text  # unchanged fields are not listed
