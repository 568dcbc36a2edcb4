"""Editing a person: ID number and phone are never shown in clear, so leaving them out keeps
the stored values; giving new ones replaces them."""

import json

from jiedao.core import pii
from jiedao.core.models import Person
from tests.conftest import bearer, login
from tests.factories import id_number, make_person, mobile


def test_edit_page_with_blank_id_and_phone_keeps_the_stored_values(tree, users):
    # given
    old_id, old_phone = id_number(), mobile()
    person = make_person(tree.committee_a, "张三", id_no=old_id, phone=old_phone)
    # when the worker changes only the address
    response = login(users["hx_worker"]).post(
        f"/people/{person.pk}/edit/",
        {
            "org_unit": tree.committee_a.pk,
            "name": "张三",
            "id_number": "",
            "phone": "",
            "address": "新地址1号",
        },
    )
    # then
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.address == "新地址1号"
    assert pii.decrypt(person.id_number_encrypted) == old_id
    assert pii.decrypt(person.phone_encrypted) == old_phone


def test_edit_page_with_a_new_phone_replaces_it(tree, users):
    person = make_person(tree.committee_a, "张三")
    new_phone = mobile()
    login(users["hx_worker"]).post(
        f"/people/{person.pk}/edit/",
        {
            "org_unit": tree.committee_a.pk,
            "name": "张三",
            "id_number": "",
            "phone": new_phone,
            "address": "",
        },
    )
    person.refresh_from_db()
    assert pii.decrypt(person.phone_encrypted) == new_phone
    assert person.phone_masked == pii.mask_phone(new_phone)


def test_api_patch_leaves_out_fields_it_does_not_name(tree, users):
    # given
    old_id, old_phone = id_number(), mobile()
    person = make_person(tree.committee_a, "张三", id_no=old_id, phone=old_phone, address="旧地址")
    # when
    response = login(users["hx_worker"]).patch(
        f"/api/v1/people/{person.pk}",
        data=json.dumps({"name": "张三丰"}),
        content_type="application/json",
        **bearer(users["hx_worker"]),
    )
    # then
    assert response.status_code == 200, response.content
    person = Person.objects.get(pk=person.pk)
    assert (person.name, person.name_initials, person.address) == ("张三丰", "zsf", "旧地址")
    assert pii.decrypt(person.id_number_encrypted) == old_id
    assert pii.decrypt(person.phone_encrypted) == old_phone


def test_api_patch_with_an_empty_name_is_refused(tree, users):
    person = make_person(tree.committee_a, "张三")
    response = login(users["hx_worker"]).patch(
        f"/api/v1/people/{person.pk}",
        data=json.dumps({"name": ""}),
        content_type="application/json",
        **bearer(users["hx_worker"]),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    person.refresh_from_db()
    assert person.name == "张三"
