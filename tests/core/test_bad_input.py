"""Junk sent to every form and API endpoint never gives a 500; invalid identifiers get a
message in Chinese and save nothing.

The test client re-raises any exception a view lets escape, so a 500 fails these tests.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiedao.core import pii
from jiedao.core.models import Enterprise, ImportJob, Person, PiiReveal
from tests.conftest import bearer, login
from tests.factories import BuildingFactory, credit_code, id_number, make_enterprise, make_person

HUGE = "长" * 20_000
HUGE_INT = "9" * 40
NUL = "张\x00三"
JUNK_STRINGS = ["", " ", "abc", HUGE, NUL, "<script>alert(1)</script>", "'; DROP TABLE x; --"]
JUNK_IDS = ["abc", "-1", "0", "1.5", "%00", HUGE_INT, "1e9", "９"]


def no_500(response) -> None:
    assert response.status_code < 500, response.content[:500]


def _bad_id() -> str:
    good = id_number()
    return good[:-1] + ("1" if good[-1] != "1" else "2")


def _bad_code() -> str:
    good = credit_code()
    return good[:-1] + ("0" if good[-1] != "0" else "1")


@pytest.fixture
def world(tree, users):
    person = make_person(tree.committee_a, "张三")
    building = BuildingFactory(org_unit=tree.sub_a)
    enterprise = make_enterprise(tree.sub_a, contact=person, building=building)
    return {"person": person, "enterprise": enterprise, "building": building}


def _counts() -> tuple[int, int, int, int]:
    return (
        Person.objects.count(),
        Enterprise.objects.count(),
        ImportJob.objects.count(),
        PiiReveal.objects.count(),
    )


# --- person forms -------------------------------------------------------------------------------
PERSON_JUNK = [
    {},
    {"org_unit": "abc", "name": "张三", "id_number": "x"},
    {"org_unit": HUGE_INT, "name": "张三", "id_number": "x"},
    {"org_unit": "-1", "name": HUGE, "id_number": HUGE, "phone": HUGE, "address": HUGE},
    {"org_unit": "", "name": NUL, "id_number": NUL, "phone": NUL, "address": NUL},
    {"name": ["a", "b"], "id_number": ["1", "2"]},
]


@pytest.mark.parametrize("data", PERSON_JUNK)
def test_person_create_survives_junk(tree, users, data):
    before = _counts()
    response = login(users["tmx_admin"]).post("/people/new/", data)
    no_500(response)
    assert response.status_code == 200
    assert _counts() == before


@pytest.mark.parametrize("data", PERSON_JUNK)
def test_person_edit_survives_junk(world, users, data):
    person = world["person"]
    stamp = Person.objects.get(pk=person.pk).updated_at
    response = login(users["tmx_admin"]).post(f"/people/{person.pk}/edit/", data)
    no_500(response)
    assert Person.objects.get(pk=person.pk).updated_at == stamp


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "bad", "身份证号应为18位。"),
        ("id_number", "checksum", "身份证号校验位不正确。"),
        ("id_number", "31010619901301123X", "身份证号"),
        ("phone", "12345", "不是有效的中国大陆手机或固定电话号码。"),
        ("phone", "abcdefg", "电话号码格式不正确。"),
        ("id_number", "", "必填"),
    ],
)
def test_person_create_with_invalid_identifier_says_why_in_chinese(
    tree, users, field, value, message
):
    # given
    data = {
        "org_unit": tree.committee_a.pk,
        "name": "王五",
        "id_number": id_number(),
        "phone": "13812345678",
    }
    data[field] = _bad_id() if value == "checksum" else value
    before = _counts()
    # when
    response = login(users["tmx_admin"]).post("/people/new/", data)
    # then
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, []))
    assert message in response.content.decode()
    assert _counts() == before


def test_person_edit_with_invalid_identifier_changes_nothing(world, users):
    person = world["person"]
    before = Person.objects.filter(pk=person.pk).values().get()
    client = login(users["tmx_admin"])
    for field, value in (("id_number", _bad_id()), ("phone", "12345")):
        data = {"org_unit": person.org_unit_id, "name": "张三", field: value}
        response = client.post(f"/people/{person.pk}/edit/", data)
        assert response.status_code == 200
        assert response.context["form"].errors[field]
    assert Person.objects.filter(pk=person.pk).values().get() == before


def test_person_create_into_an_org_out_of_reach_is_refused(tree, users):
    before = _counts()
    response = login(users["hx_worker"]).post(
        "/people/new/",
        {"org_unit": tree.committee_c.pk, "name": "王五", "id_number": id_number()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["org_unit"]
    assert _counts() == before


# --- enterprise forms ---------------------------------------------------------------------------
ENTERPRISE_JUNK = [
    {},
    {"org_unit": "abc", "name": "x", "credit_code": "x", "building": "abc", "floor": "abc"},
    {"org_unit": HUGE_INT, "name": HUGE, "credit_code": HUGE, "building": HUGE_INT},
    {"name": NUL, "credit_code": NUL, "floor": "1e400"},
    {"name": "甲", "credit_code": "x", "floor": HUGE_INT},
    {"name": "甲", "credit_code": "x", "floor": "-99999"},
]


@pytest.mark.parametrize("data", ENTERPRISE_JUNK)
def test_enterprise_create_survives_junk(world, users, data):
    before = _counts()
    response = login(users["tmx_admin"]).post("/enterprises/new/", data)
    no_500(response)
    assert response.status_code == 200
    assert _counts() == before


@pytest.mark.parametrize("data", ENTERPRISE_JUNK)
def test_enterprise_edit_survives_junk(world, users, data):
    enterprise = world["enterprise"]
    before = Enterprise.objects.filter(pk=enterprise.pk).values().get()
    response = login(users["tmx_admin"]).post(f"/enterprises/{enterprise.pk}/edit/", data)
    no_500(response)
    assert Enterprise.objects.filter(pk=enterprise.pk).values().get() == before


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("checksum", "统一社会信用代码校验位不正确。"),
        ("91310106", "统一社会信用代码应为18位。"),
        ("91310106MAIOSVZ000", "统一社会信用代码"),
        ("", "必填"),
    ],
)
def test_enterprise_with_invalid_credit_code_says_why_in_chinese(tree, users, code, message):
    before = _counts()
    response = login(users["tmx_business"]).post(
        "/enterprises/new/",
        {
            "org_unit": tree.sub_a.pk,
            "name": "甲公司",
            "credit_code": _bad_code() if code == "checksum" else code,
        },
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["credit_code"])
    assert _counts() == before


def test_enterprise_with_a_duplicate_credit_code_is_refused(world, tree, users):
    before = _counts()
    response = login(users["tmx_business"]).post(
        "/enterprises/new/",
        {
            "org_unit": tree.sub_a.pk,
            "name": "重复公司",
            "credit_code": world["enterprise"].credit_code,
        },
    )
    assert response.status_code == 200
    assert "该统一社会信用代码已登记。" in response.content.decode()
    assert _counts() == before


def test_enterprise_with_a_building_out_of_reach_is_refused(world, tree, users):
    theirs = BuildingFactory(org_unit=tree.sub_b)
    before = _counts()
    response = login(users["tmx_business"]).post(
        "/enterprises/new/",
        {
            "org_unit": tree.sub_a.pk,
            "name": "甲公司",
            "credit_code": credit_code(),
            "building": theirs.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["building"]
    assert _counts() == before


# --- reveal -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"field": "id_number"},
        {"field": "password", "reason": "看看"},
        {"field": HUGE, "reason": HUGE},
        {"field": "phone", "reason": HUGE},
        {"field": "phone", "reason": NUL},
        {"field": ["phone", "id_number"], "reason": ["a", "b"]},
    ],
)
def test_reveal_survives_junk_and_reveals_nothing(world, users, data):
    person = world["person"]
    clear = pii.decrypt(person.phone_encrypted)
    response = login(users["tmx_clerk"]).post(f"/people/{person.pk}/reveal/", data)
    no_500(response)
    assert clear not in response.content.decode()
    assert not PiiReveal.objects.exists()


@pytest.mark.parametrize("pk", JUNK_IDS)
def test_junk_ids_in_urls_are_not_found(world, users, pk):
    client = login(users["admin"])
    for url in (
        f"/people/{pk}/",
        f"/people/{pk}/edit/",
        f"/enterprises/{pk}/",
        f"/enterprises/{pk}/edit/",
        f"/places/compounds/{pk}/",
        f"/places/buildings/{pk}/",
        f"/imports/{pk}/",
    ):
        response = client.get(url)
        no_500(response)
        assert response.status_code == 404, url
    for url in (f"/people/{pk}/reveal/", f"/imports/{pk}/confirm/"):
        response = client.post(url, {"field": "phone", "reason": "核对"})
        no_500(response)
        assert response.status_code == 404, url


def test_wrong_methods_are_refused(world, users):
    client = login(users["tmx_clerk"])
    person = world["person"]
    assert client.get(f"/people/{person.pk}/reveal/").status_code == 405
    assert client.get("/imports/1/confirm/").status_code == 405
    assert client.delete(f"/people/{person.pk}/").status_code == 405
    assert client.put("/people/new/").status_code == 405


# --- imports ------------------------------------------------------------------------------------
def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "nonsense", "org_unit": "abc"},
        {"kind": "residents", "org_unit": HUGE_INT},
        {"kind": HUGE, "org_unit": NUL},
        {"kind": "residents", "org_unit": "-1", "file": "not a file"},
        {"kind": "residents", "file": _file("a" * 1000 + ".csv", b"a,b\n")},
        {"kind": "residents", "file": _file("../../etc/passwd.csv", b"x,y\n1,2\n")},
        {"kind": "residents", "file": _file("名单.xlsx", b"PK\x03\x04junk")},
        {"kind": "residents", "file": _file("名单.csv", b"\xff\xfe\x00\x00" * 100)},
        {"kind": "residents", "file": _file("名单.csv", b'"unterminated,\n' + b"x" * 5000)},
        {"kind": "residents", "file": _file("名单.csv", b"a,b\n" + b"1,\x00\n" * 3000)},
    ],
)
def test_import_upload_survives_junk(tree, users, data):
    data = dict(data)
    data.setdefault("org_unit", tree.committee_a.pk)
    before = Person.objects.count()
    response = login(users["hx_worker"]).post("/imports/", data)
    no_500(response)
    assert Person.objects.count() == before
    if response.status_code == 302:  # accepted as a file: the preview must have refused it
        job = ImportJob.objects.get()
        assert job.status == "invalid"
        assert job.message or job.errors


def test_import_upload_with_junk_cells_reports_rows(tree, users):
    rows = "姓名,身份证号,电话,地址\n" + "\n".join(
        [
            f"{HUGE[:300]},{id_number()},13812345678,x",
            f"张三,{HUGE_INT},{HUGE_INT},x",
            f"李四,{id_number()},13812345678,{HUGE[:500]}",
            f"王五,{id_number()},'; DROP TABLE x; --,y",
        ]
    )
    response = login(users["hx_worker"]).post(
        "/imports/",
        {
            "kind": "residents",
            "org_unit": tree.committee_a.pk,
            "file": _file("r.csv", rows.encode()),
        },
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert {e["row"] for e in job.errors} == {2, 3, 4, 5}
    assert Person.objects.count() == 0


@pytest.mark.parametrize("data", [{}, {"confirm": HUGE}, {"status": "done"}])
def test_import_confirm_survives_junk(tree, users, data, django_capture_on_commit_callbacks):
    client = login(users["hx_worker"])
    client.post(
        "/imports/",
        {"kind": "residents", "org_unit": tree.committee_a.pk, "file": _file("r.csv", b"a\n1\n")},
    )
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/confirm/", data)
    no_500(response)
    job.refresh_from_db()
    assert job.status == "invalid"


# --- login and language -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": HUGE, "password": HUGE},
        {"username": NUL, "password": NUL},
        {"username": "admin", "password": "wrong"},
        {"username": ["a", "b"], "password": ""},
        {"username": "admin", "password": "x", "next": "https://evil.example/"},
    ],
)
def test_login_survives_junk(users, data):
    response = Client().post("/accounts/login/", data)
    no_500(response)
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


def test_login_page_with_junk_next(db):
    for next_url in ("https://evil.example/", "//evil.example", HUGE[:2000], NUL):
        no_500(Client().get("/accounts/login/", {"next": next_url}))


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"language": "xx"},
        {"language": HUGE},
        {"language": NUL, "next": NUL},
        {"language": "en", "next": "https://evil.example/"},
        {"language": "en", "next": HUGE},
    ],
)
def test_set_language_survives_junk(db, data):
    response = Client().post("/i18n/setlang/", data)
    no_500(response)
    if response.status_code == 302:
        assert "evil.example" not in response["Location"]


# --- list pages with junk query parameters ------------------------------------------------------
LIST_URLS = ["/people/", "/enterprises/", "/places/compounds/", "/places/buildings/"]
JUNK_QUERIES = [
    {"page": "abc"},
    {"page": "-1"},
    {"page": HUGE_INT},
    {"q": HUGE},
    {"q": NUL},
    {"q": "%"},
    {"q": "_"},
    {"q": "\\"},
    {"q": "zs' OR 1=1 --"},
    {"page": "abc", "q": HUGE, "export": "pdf"},
    {"export": "xlsx", "q": NUL},
]


@pytest.mark.parametrize("url", LIST_URLS)
def test_list_pages_survive_junk_query_params(world, users, url):
    client = login(users["tmx_admin"])
    for query in JUNK_QUERIES:
        no_500(client.get(url, query))
        no_500(client.get(url, query, HTTP_HX_REQUEST="true"))


@pytest.mark.parametrize("url", ["/", "/org/", "/org/geojson/", "/imports/", "/audit/"])
def test_other_pages_survive_junk_query_params(world, users, url):
    client = login(users["admin"])
    for query in JUNK_QUERIES:
        no_500(client.get(url, query))


def test_search_with_like_wildcards_finds_only_literal_matches(world, users):
    body = login(users["tmx_admin"]).get("/people/", {"q": "%"}).content.decode()
    assert "张三" not in body


# --- the API ------------------------------------------------------------------------------------
def api(user, method: str, url: str, body: object = None, raw: bytes | None = None):
    client = Client()
    kwargs = bearer(user)
    if raw is not None:
        return getattr(client, method)(url, raw, content_type="application/json", **kwargs)
    if body is None:
        return getattr(client, method)(url, **kwargs)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json", **kwargs)


GET_ENDPOINTS = [
    "/api/v1/me",
    "/api/v1/org-units",
    "/api/v1/rollups",
    "/api/v1/people",
    "/api/v1/enterprises",
    "/api/v1/compounds",
    "/api/v1/buildings",
]
JUNK_API_QUERIES = [
    "?limit=abc&offset=xyz",
    "?limit=-5&offset=-5",
    f"?limit={HUGE_INT}&offset={HUGE_INT}",
    f"?q={'长' * 5000}",
    "?q=%00",
    "?q=%25&limit=0",
    "?page=abc&q[]=1&q[]=2",
]


@pytest.mark.parametrize("url", GET_ENDPOINTS)
def test_api_lists_survive_junk_query_params(world, users, url):
    for query in JUNK_API_QUERIES:
        response = api(users["tmx_admin"], "get", url + query)
        no_500(response)
        assert response["Content-Type"].startswith("application/json")


def test_api_pagination_bounds(world, users):
    ok = api(users["tmx_admin"], "get", "/api/v1/people?limit=1000&offset=2147483647")
    assert ok.status_code == 200
    assert ok.json()["items"] == []
    for query in ("limit=1001", "limit=0", "offset=-1", "offset=2147483648"):
        response = api(users["tmx_admin"], "get", f"/api/v1/people?{query}")
        assert response.status_code == 422, query
    assert len(api(users["tmx_admin"], "get", "/api/v1/people").json()["items"]) == 1


@pytest.mark.parametrize("pk", JUNK_IDS)
def test_api_junk_ids_are_refused(world, users, pk):
    user = users["admin"]
    for method, url, body in (
        ("get", f"/api/v1/people/{pk}", None),
        ("patch", f"/api/v1/people/{pk}", {"name": "x"}),
        ("post", f"/api/v1/people/{pk}/reveal", {"field": "phone", "reason": "核对"}),
        ("get", f"/api/v1/enterprises/{pk}", None),
        (
            "put",
            f"/api/v1/enterprises/{pk}",
            {"org_unit_id": 1, "name": "x", "credit_code": credit_code()},
        ),
    ):
        response = api(user, method, url, body)
        no_500(response)
        assert response.status_code in (404, 422), (method, url, response.status_code)
    assert not PiiReveal.objects.exists()


RAW_JUNK = [
    b"",
    b"not json",
    b"{",
    b"[]",
    b"null",
    b"42",
    b'"string"',
    b'{"name": }',
    b"\xff\xfe\x00",
    json.dumps({"a": [[[[[[[[[[]]]]]]]]]]}).encode(),
]
OBJECT_JUNK = [
    {},
    {"org_unit_id": "abc", "name": 1, "id_number": [], "phone": {}, "address": None},
    {"org_unit_id": HUGE_INT, "name": "张三", "credit_code": "x"},
    {"org_unit_id": int(HUGE_INT), "name": "张三", "credit_code": "x"},
    {"org_unit_id": -1, "name": HUGE, "id_number": HUGE, "phone": HUGE, "address": HUGE},
    {"org_unit_id": 1.5, "name": NUL, "id_number": NUL, "phone": NUL, "credit_code": NUL},
    {"org_unit_id": True, "name": None, "building_id": "x", "floor": "九"},
    {"org_unit_id": 1, "name": "x", "credit_code": "x", "building_id": int(HUGE_INT)},
    {"org_unit_id": 1, "name": "x", "credit_code": "x", "floor": 10**12},
    {"field": "password", "reason": "x"},
    {"field": HUGE, "reason": HUGE},
    {"field": None, "reason": None},
]


def _write_endpoints(world, tree) -> list[tuple[str, str]]:
    person, enterprise = world["person"], world["enterprise"]
    return [
        ("post", "/api/v1/people"),
        ("patch", f"/api/v1/people/{person.pk}"),
        ("post", f"/api/v1/people/{person.pk}/reveal"),
        ("post", "/api/v1/enterprises"),
        ("put", f"/api/v1/enterprises/{enterprise.pk}"),
    ]


def _snapshot():
    return (
        list(Person.objects.order_by("pk").values()),
        list(Enterprise.objects.order_by("pk").values()),
        PiiReveal.objects.count(),
    )


@pytest.mark.parametrize("raw", RAW_JUNK)
def test_api_writes_survive_malformed_json(world, tree, users, raw):
    before = _snapshot()
    for method, url in _write_endpoints(world, tree):
        response = api(users["admin"], method, url, raw=raw)
        no_500(response)
        if method != "patch":  # a patch whose body names no field may answer 200
            assert 400 <= response.status_code < 500, (url, response.status_code)
    assert _snapshot() == before


@pytest.mark.parametrize("body", OBJECT_JUNK, ids=range(len(OBJECT_JUNK)))
def test_api_writes_survive_wrong_types_and_huge_values(world, tree, users, body):
    before = _snapshot()
    for method, url in _write_endpoints(world, tree):
        response = api(users["admin"], method, url, body)
        no_500(response)
        if response.status_code < 400:
            # a partial update with nothing usable may succeed, but must change nothing bad
            assert method == "patch", (url, body)
        else:
            assert response["Content-Type"].startswith("application/json")
            assert "message" in response.json()
    people, enterprises, reveals = _snapshot()
    assert len(people) == len(before[0])
    assert len(enterprises) == len(before[1])
    assert reveals == before[2]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"id_number": "bad"}, "id_number", "身份证号应为18位。"),
        ({"id_number": "checksum"}, "id_number", "身份证号校验位不正确。"),
        ({"phone": "12345"}, "phone", "不是有效的中国大陆手机或固定电话号码。"),
        ({"name": ""}, "name", "请填写姓名。"),
    ],
)
def test_api_person_with_invalid_identifier_says_why_in_chinese(
    tree, users, payload, field, message
):
    body = {"org_unit_id": tree.committee_a.pk, "name": "王五", "id_number": id_number()}
    body.update(payload)
    if body.get("id_number") == "checksum":
        body["id_number"] = _bad_id()
    before = _snapshot()
    response = api(users["tmx_admin"], "post", "/api/v1/people", body)
    assert response.status_code == 422
    assert response.json()["fields"][field] == [message]
    assert message in response.json()["message"]
    assert _snapshot() == before


def test_api_writes_with_nul_characters_never_fail(world, tree, users):
    # PostgreSQL refuses NUL in text: a value carrying one must be cleaned or refused
    person, enterprise = world["person"], world["enterprise"]
    user = users["tmx_admin"]
    responses = [
        api(
            user,
            "post",
            "/api/v1/people",
            {
                "org_unit_id": tree.committee_a.pk,
                "name": NUL,
                "id_number": id_number(),
                "address": "华新路\x001号",
            },
        ),
        api(user, "patch", f"/api/v1/people/{person.pk}", {"name": NUL, "address": NUL}),
        api(
            user,
            "post",
            "/api/v1/enterprises",
            {"org_unit_id": tree.sub_a.pk, "name": "甲\x00公司", "credit_code": credit_code()},
        ),
        api(
            user,
            "put",
            f"/api/v1/enterprises/{enterprise.pk}",
            {
                "org_unit_id": tree.sub_a.pk,
                "name": "乙\x00公司",
                "credit_code": enterprise.credit_code,
            },
        ),
        api(user, "post", f"/api/v1/people/{person.pk}/reveal", {"field": "phone", "reason": NUL}),
    ]
    for response in responses:
        no_500(response)
    for name in Person.objects.values_list("name", flat=True):
        assert "\x00" not in name
    for name in Enterprise.objects.values_list("name", flat=True):
        assert "\x00" not in name


def test_import_with_nul_characters_in_cells_never_fails(tree, users):
    head = "姓名,身份证号,电话,地址,楼宇\n" + "".join(
        f"居民{i},{id_number()},13812345678,华新路{i}号,\n" for i in range(120)
    )
    tail = f"张\x00三,{id_number()},13812345678,华新\x00路,大\x00厦\n"
    content = (head + tail).encode()
    assert len(head.encode()) > 4096  # past the part the reader sniffs for binary content
    for kind, org in (("residents", tree.committee_a), ("enterprises", tree.sub_a)):
        response = login(users["tmx_admin"]).post(
            "/imports/", {"kind": kind, "org_unit": org.pk, "file": _file("r.csv", content)}
        )
        no_500(response)
    assert Person.objects.count() == 0


def test_api_person_patch_with_invalid_identifier_changes_nothing(world, users):
    person = world["person"]
    before = _snapshot()
    for body in ({"id_number": _bad_id()}, {"phone": "12345"}, {"name": "  "}):
        response = api(users["tmx_admin"], "patch", f"/api/v1/people/{person.pk}", body)
        assert response.status_code == 422, body
        assert response.json()["message"]
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("checksum", "统一社会信用代码校验位不正确。"),
        ("91310106", "统一社会信用代码应为18位。"),
        ("", "请填写统一社会信用代码。"),
    ],
)
def test_api_enterprise_with_invalid_credit_code_says_why_in_chinese(
    world, tree, users, code, message
):
    before = _snapshot()
    code = _bad_code() if code == "checksum" else code
    body = {"org_unit_id": tree.sub_a.pk, "name": "甲公司", "credit_code": code}
    for method, url in (
        ("post", "/api/v1/enterprises"),
        ("put", f"/api/v1/enterprises/{world['enterprise'].pk}"),
    ):
        response = api(users["tmx_admin"], method, url, body)
        assert response.status_code == 422
        assert response.json()["fields"]["credit_code"] == [message]
    assert _snapshot() == before


def test_api_without_or_with_a_junk_token_is_unauthenticated(world):
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": "Bearer jd_" + "x" * 5000},
        {"HTTP_AUTHORIZATION": "Basic YWRtaW46YWRtaW4="},
        {"HTTP_AUTHORIZATION": NUL},
    ):
        response = Client().get("/api/v1/people", **headers)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "unauthenticated"


def test_api_unknown_paths_and_methods(world, users):
    for method, url in (
        ("get", "/api/v1/nothing-here"),
        ("delete", f"/api/v1/people/{world['person'].pk}"),
        ("put", "/api/v1/people"),
    ):
        no_500(api(users["admin"], method, url))


def test_api_docs_survive_junk(db):
    for url in ("/api/v1/docs", "/api/v1/openapi.json", "/api/v1/docs?x=%00"):
        no_500(Client().get(url))
