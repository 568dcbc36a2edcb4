"""The API shell: schema and docs, Bearer tokens, error envelope, masking, audit, health."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.test import Client

from jiedao.accounts.models import ApiToken
from jiedao.accounts.services import token_create, token_revoke
from jiedao.core.models import Enterprise, Person
from tests.conftest import bearer, login
from tests.factories import credit_code, id_number, make_enterprise, make_person

pytestmark = pytest.mark.django_db

MASKED_ID = re.compile(r"^\d{3}\*{11}[\dX]{4}$")
MASKED_MOBILE = re.compile(r"^1\d{2}\*{4}\d{4}$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def post_json(client: Client, url: str, payload, **extra):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, data=body, content_type="application/json", **extra)


def patch_json(client: Client, url: str, payload, **extra):
    return client.patch(url, data=json.dumps(payload), content_type="application/json", **extra)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


def bad_checksum(number: str) -> str:
    """The same ID number with a wrong check character."""
    last = number[-1]
    return number[:-1] + ("1" if last != "1" else "2")


# --- schema and docs -------------------------------------------------------------------------
def test_openapi_schema_lists_people_and_enterprise_paths():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/people/{person_id}/reveal",
        "/api/v1/enterprises",
        "/api/v1/enterprises/{enterprise_id}",
    ):
        assert path in paths
    assert {"get", "post"} <= set(paths["/api/v1/people"])
    assert {"get", "patch"} <= set(paths["/api/v1/people/{person_id}"])


def test_openapi_schema_declares_bearer_auth():
    schemes = Client().get("/api/v1/openapi.json").json()["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_docs_are_served_from_our_own_static_files():
    # when
    response = Client().get("/api/v1/docs")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", html)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), asset
        assert asset.startswith("/static/"), asset
    assert "cdn" not in html.lower()


def test_docs_assets_are_served():
    html = Client().get("/api/v1/docs").content.decode()
    for asset in re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", html):
        response = Client().get(asset)
        assert response.status_code == 200, asset
        response.close()


# --- Bearer tokens ---------------------------------------------------------------------------
def test_valid_bearer_token_authenticates(users):
    response = Client().get("/api/v1/me", **bearer(users["hx_worker"]))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "hx_worker"
    assert body["roles"] == ["committee_worker"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer jd_not-a-real-token",
        "Bearer not-even-our-prefix",
        "Bearer ",
        "Token jd_whatever",
        "Basic dXNlcjpwdw==",
    ],
)
def test_wrong_token_gets_401_json(users, header):
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert_error(response, 401, "unauthenticated")


def test_token_of_someone_else_with_one_char_changed_fails(users):
    token = token_create(user=users["hx_worker"])
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tampered}")
    assert_error(response, 401, "unauthenticated")


def test_revoked_token_gets_401_json(users):
    # given
    token = token_create(user=users["hx_worker"])
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/v1/me", **header).status_code == 200
    # when
    token_revoke(token=ApiToken.objects.get(user=users["hx_worker"]))
    # then
    assert_error(Client().get("/api/v1/me", **header), 401, "unauthenticated")
    assert_error(Client().get("/api/v1/people", **header), 401, "unauthenticated")


def test_token_of_deactivated_user_gets_401(users):
    user = users["hx_worker"]
    header = bearer(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(Client().get("/api/v1/me", **header), 401, "unauthenticated")


def test_tokens_are_stored_hashed(users):
    # when
    token = token_create(user=users["tmx_admin"], name="脚本")
    # then
    row = ApiToken.objects.get(user=users["tmx_admin"])
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    for value in ApiToken.objects.values().get(pk=row.pk).values():
        assert token not in str(value)
    assert not ApiToken.objects.filter(key_hash=token).exists()
    assert not ApiToken.objects.filter(prefix=token).exists()


def test_token_command_prints_a_working_token(users):
    # given
    out = io.StringIO()
    # when
    call_command("token", "tmx_admin", stdout=out)
    token = out.getvalue().strip()
    # then
    assert token
    assert "\n" not in token
    row = ApiToken.objects.get(user=users["tmx_admin"])
    assert row.name == "cli"
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["username"] == "tmx_admin"


def test_token_command_refuses_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("token", "nobody", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_token_command_refuses_inactive_user(users):
    users["hx_worker"].is_active = False
    users["hx_worker"].save(update_fields=["is_active"])
    with pytest.raises(CommandError):
        call_command("token", "hx_worker", stdout=io.StringIO())
    assert not ApiToken.objects.filter(user=users["hx_worker"]).exists()


def test_session_login_also_works_for_the_api(users):
    response = login(users["hx_worker"]).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "hx_worker"


# --- masking ---------------------------------------------------------------------------------
@pytest.fixture
def clear_person(tree):
    number = id_number()
    person = make_person(tree.committee_a, "王五", id_no=number, phone="13812345678")
    return person, number, "13812345678"


def _assert_masked(item: dict, number: str, phone: str) -> None:
    assert MASKED_ID.match(item["id_number"]), item["id_number"]
    assert item["id_number"].startswith(number[:3])
    assert item["id_number"].endswith(number[-4:])
    assert item["phone"] == "138****5678"
    assert MASKED_MOBILE.match(item["phone"])


def test_api_person_detail_is_masked(users, clear_person):
    person, number, phone = clear_person
    response = Client().get(f"/api/v1/people/{person.pk}", **bearer(users["hx_worker"]))
    assert response.status_code == 200
    _assert_masked(response.json(), number, phone)
    assert number not in response.content.decode()
    assert phone not in response.content.decode()


def test_api_person_list_is_masked(users, clear_person):
    person, number, phone = clear_person
    response = Client().get("/api/v1/people", **bearer(users["hx_worker"]))
    [item] = response.json()["items"]
    assert item["id"] == person.pk
    _assert_masked(item, number, phone)
    assert number not in response.content.decode()
    assert phone not in response.content.decode()


def test_api_create_and_patch_answer_masked(users, tree):
    # given
    client = Client(**bearer(users["hx_worker"]))
    number = id_number()
    # when
    created = post_json(
        client,
        "/api/v1/people",
        {
            "org_unit_id": tree.committee_a.pk,
            "name": "赵六",
            "id_number": number,
            "phone": "13912345678",
        },
    )
    patched = patch_json(client, f"/api/v1/people/{created.json()['id']}", {"phone": "13700001111"})
    # then
    assert created.status_code == 201
    assert MASKED_ID.match(created.json()["id_number"])
    assert created.json()["phone"] == "139****5678"
    assert patched.status_code == 200
    assert patched.json()["phone"] == "137****1111"
    for response in (created, patched):
        text = response.content.decode()
        assert number not in text
        assert "13912345678" not in text
        assert "13700001111" not in text


def test_api_enterprise_contact_phone_is_masked(users, tree, clear_person):
    person, _number, phone = clear_person
    enterprise = make_enterprise(tree.sub_a, "钱七有限公司", contact=person)
    response = Client().get(f"/api/v1/enterprises/{enterprise.pk}", **bearer(users["tmx_admin"]))
    assert response.status_code == 200
    assert response.json()["contact_name"] == "王五"
    assert response.json()["contact_phone"] == "138****5678"
    assert phone not in response.content.decode()


def test_api_reveal_gives_clear_value_and_records_it(users, clear_person):
    person, number, _phone = clear_person
    response = post_json(
        Client(**bearer(users["hx_worker"])),
        f"/api/v1/people/{person.pk}/reveal",
        {"field": "id_number", "reason": "办理业务核对"},
    )
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": number}
    [reveal] = person.reveals.all()
    assert (reveal.user, reveal.field, reveal.reason) == (
        users["hx_worker"],
        "id_number",
        "办理业务核对",
    )


# --- errors ----------------------------------------------------------------------------------
def test_invalid_id_number_gives_422_with_chinese_message(users, tree):
    # when
    response = post_json(
        Client(**bearer(users["hx_worker"])),
        "/api/v1/people",
        {
            "org_unit_id": tree.committee_a.pk,
            "name": "孙八",
            "id_number": bad_checksum(id_number()),
        },
    )
    # then
    body = assert_error(response, 422, "invalid")
    assert CJK.search(body["message"])
    assert "身份证号" in body["message"]
    assert "id_number" in body["fields"]
    assert not Person.objects.filter(name="孙八").exists()


def test_invalid_phone_gives_422_with_field(users, tree):
    response = post_json(
        Client(**bearer(users["hx_worker"])),
        "/api/v1/people",
        {"org_unit_id": tree.committee_a.pk, "name": "孙八", "phone": "12345"},
    )
    body = assert_error(response, 422, "invalid")
    assert list(body["fields"]) == ["phone"]
    assert CJK.search(body["message"])


def test_duplicate_id_number_gives_422(users, tree):
    number = id_number()
    make_person(tree.committee_a, "周九", id_no=number)
    response = post_json(
        Client(**bearer(users["hx_worker"])),
        "/api/v1/people",
        {"org_unit_id": tree.committee_a.pk, "name": "吴十", "id_number": number},
    )
    body = assert_error(response, 422, "invalid")
    assert "id_number" in body["fields"]
    assert Person.objects.filter(id_number_masked__endswith=number[-4:]).count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "缺组织"},
        {"org_unit_id": "不是数字", "name": "张三"},
        {"org_unit_id": 1, "name": ["列表"]},
        [],
    ],
    ids=["missing_field", "wrong_type", "list_for_string", "array_body"],
)
def test_malformed_body_gives_422_validation_error(users, payload):
    before = Person.objects.count()
    response = post_json(Client(**bearer(users["hx_worker"])), "/api/v1/people", payload)
    body = assert_error(response, 422, "validation_error")
    assert body["detail"]
    assert CJK.search(body["message"])
    assert Person.objects.count() == before


def test_unparseable_body_gives_json_error(users):
    response = post_json(Client(**bearer(users["hx_worker"])), "/api/v1/people", "{not json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) >= {"code", "message"}


def test_non_integer_id_in_path_gives_422(users):
    response = Client().get("/api/v1/people/abc", **bearer(users["admin"]))
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/people/987654"),
        ("patch", "/api/v1/people/987654"),
        ("post", "/api/v1/people/987654/reveal"),
        ("get", "/api/v1/enterprises/987654"),
        ("put", "/api/v1/enterprises/987654"),
    ],
)
def test_unknown_id_gives_404_not_found(users, tree, method, url):
    payloads = {
        "patch": {"name": "x"},
        "post": {"field": "phone", "reason": "核对信息"},
        "put": {"org_unit_id": tree.sub_a.pk, "name": "x", "credit_code": credit_code()},
    }
    client = Client(**bearer(users["admin"]))
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(
            url, data=json.dumps(payloads[method]), content_type="application/json"
        )
    body = assert_error(response, 404, "not_found")
    assert CJK.search(body["message"])


def test_unknown_org_unit_on_create_gives_404(users):
    response = post_json(
        Client(**bearer(users["admin"])), "/api/v1/people", {"org_unit_id": 987654, "name": "某人"}
    )
    assert_error(response, 404, "not_found")


# --- health ----------------------------------------------------------------------------------
def test_healthz_answers_without_login(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["status"] == "ok"


# --- audit -----------------------------------------------------------------------------------
def test_api_create_is_audited_with_token_user_as_actor(users, tree):
    # when
    response = post_json(
        Client(**bearer(users["hx_worker"])),
        "/api/v1/people",
        {"org_unit_id": tree.committee_a.pk, "name": "郑一", "id_number": id_number()},
    )
    # then
    assert response.status_code == 201
    person = Person.objects.get(pk=response.json()["id"])
    [entry] = LogEntry.objects.get_for_object(person)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == users["hx_worker"]


def test_api_update_is_audited_with_token_user_as_actor(users, tree):
    # given
    person = make_person(tree.committee_b, "冯二")
    # when
    response = patch_json(
        Client(**bearer(users["tmx_admin"])), f"/api/v1/people/{person.pk}", {"address": "新地址"}
    )
    # then
    assert response.status_code == 200
    entry = LogEntry.objects.get_for_object(person).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == users["tmx_admin"]
    assert "address" in entry.changes_dict
    assert "新地址" in json.dumps(entry.changes_dict, ensure_ascii=False)


def test_api_enterprise_create_is_audited_with_token_user_as_actor(users, tree):
    response = post_json(
        Client(**bearer(users["tmx_business"])),
        "/api/v1/enterprises",
        {"org_unit_id": tree.sub_a.pk, "name": "陈三有限公司", "credit_code": credit_code()},
    )
    assert response.status_code == 201, response.content
    enterprise = Enterprise.objects.get(pk=response.json()["id"])
    [entry] = LogEntry.objects.get_for_object(enterprise)
    assert entry.actor == users["tmx_business"]


def test_audit_entries_of_api_writes_hold_no_clear_personal_data(users, tree):
    number = id_number()
    response = post_json(
        Client(**bearer(users["hx_worker"])),
        "/api/v1/people",
        {
            "org_unit_id": tree.committee_a.pk,
            "name": "褚四",
            "id_number": number,
            "phone": "13812345678",
        },
    )
    person = Person.objects.get(pk=response.json()["id"])
    [entry] = LogEntry.objects.get_for_object(person)
    dumped = json.dumps(entry.changes_dict, ensure_ascii=False)
    assert number not in dumped
    assert "13812345678" not in dumped
    assert "138****5678" in dumped


def test_refused_api_write_leaves_no_audit_entry(users, tree):
    person = make_person(tree.committee_b, "卫五")
    before = LogEntry.objects.count()
    response = patch_json(
        Client(**bearer(users["hx_worker"])), f"/api/v1/people/{person.pk}", {"name": "改"}
    )
    assert response.status_code == 404
    assert LogEntry.objects.count() == before
