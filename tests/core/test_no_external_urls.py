"""No page loads anything from another host: every script, style sheet, font and image is
served from the platform itself (the office's network may have no internet)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from jiedao.core import services
from jiedao.core.models import Household, ImportJob, ResidentialBlock
from tests.conftest import login
from tests.factories import BuildingFactory, CompoundFactory, make_enterprise, make_person

# An attribute or CSS reference whose value starts with a scheme-ful or protocol-relative URL.
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|poster|srcset|data|formaction|xlink:href)\s*=\s*["']?\s*"""
    r"""|url\(\s*["']?\s*|@import\s+["'])"""
    r"""(?:https?:)?//""",
    re.IGNORECASE,
)
LOCAL_REF = re.compile(r"""\b(?:src|href)\s*=\s*["'](/static/[^"'?#]+)""", re.IGNORECASE)
VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"


@pytest.fixture
def demo_like(tree, users):
    compound = CompoundFactory(org_unit=tree.committee_a, name="展望小区")
    ResidentialBlock.objects.create(compound=compound, number="1号", floors=6, dwellings=24)
    household = Household.objects.create(
        org_unit=tree.committee_a, compound=compound, address="展望小区1号101室"
    )
    data = services.PersonData.clean(
        name="张三", id_number="310106199001011236", phone="13812345678", address="展望小区1号101室"
    )
    person = services.person_create(actor=users["tmx_admin"], org_unit=tree.committee_a, data=data)
    person.household = household
    person.save()
    neighbour = make_person(tree.committee_a, "李四")
    neighbour.household = household
    neighbour.save()
    building = BuildingFactory(org_unit=tree.sub_a, name="凯德星贸广场", floors=30)
    enterprise = make_enterprise(tree.sub_a, contact=person, building=building, floor=12)
    job = ImportJob.objects.create(
        kind="residents",
        org_unit=tree.committee_a,
        created_by=users["admin"],
        file_name="roll.csv",
        content=b"x",
        status="invalid",
        total_rows=2,
        summary={"created": 1, "updated": 0, "unchanged": 0},
        errors=[{"row": 3, "column": "电话", "message": "电话号码格式不正确。"}],
    )
    tree.committee_a.boundary = {
        "type": "Polygon",
        "coordinates": [[[121.44, 31.24], [121.45, 31.24], [121.45, 31.25], [121.44, 31.24]]],
    }
    tree.committee_a.save()
    admin_user = users["admin"]  # the demo's platform admin is also a Django superuser
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return {
        "person": person,
        "enterprise": enterprise,
        "compound": compound,
        "building": building,
        "job": job,
    }


def app_pages(objs) -> list[str]:
    p, e, c, b, j = (objs[k].pk for k in ("person", "enterprise", "compound", "building", "job"))
    return [
        "/",
        "/people/",
        "/people/?q=zs",
        "/people/new/",
        f"/people/{p}/",
        f"/people/{p}/edit/",
        "/enterprises/",
        "/enterprises/new/",
        f"/enterprises/{e}/",
        f"/enterprises/{e}/edit/",
        "/places/compounds/",
        f"/places/compounds/{c}/",
        "/places/buildings/",
        f"/places/buildings/{b}/",
        "/org/",
        "/imports/",
        f"/imports/{j}/",
        "/audit/",
        "/api/v1/docs",
        "/admin/",
    ]


class _SuperRequest:
    class user:  # a stand-in for request.user
        is_active = is_staff = is_superuser = True

        @staticmethod
        def has_perm(perm: str, obj: object = None) -> bool:
            return True


def admin_pages(objs) -> list[str]:
    urls = []
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if admin.site._registry[model].has_add_permission(_SuperRequest()):
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
    return urls


def assert_local_only(url: str, body: str) -> None:
    found = EXTERNAL.findall(body)
    assert not found, f"{url} refers to another host: {found[:5]}"
    for path in LOCAL_REF.findall(body):
        relative = path.removeprefix(settings.STATIC_URL)
        assert finders.find(relative), f"{url} refers to a static file that is not there: {path}"


def test_pattern_catches_external_references():
    for html in (
        '<script src="https://cdn.example.com/htmx.js"></script>',
        "<link rel=stylesheet href='http://cdn.example.com/pico.css'>",
        '<img src="//cdn.example.com/x.png">',
        "<div style=\"background: url('https://x.example/a.png')\"></div>",
        '<style>@import "https://fonts.example.com/css";</style>',
        "<style>body { background: url(//x.example/a.png) }</style>",
        '<form action="https://evil.example/">',
    ):
        assert EXTERNAL.search(html), html
    for html in (
        '<script src="/static/vendor/htmx/htmx.min.js"></script>',
        '<a href="/people/?q=zs">',
        "<a href='#top'>",
        'url("data:image/svg+xml,%3Csvg")',
        "<p>see https://example.com in text</p>",
    ):
        assert not EXTERNAL.search(html), html


def test_every_page_refers_only_to_its_own_host(demo_like, users):
    client = login(users["admin"])
    urls = app_pages(demo_like) + admin_pages(demo_like)
    assert len(urls) > 30
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_local_only(url, response.content.decode())


def test_pages_of_other_roles_refer_only_to_their_own_host(demo_like, users):
    person = demo_like["person"]
    for name, urls in {
        "tmx_clerk": ["/", "/people/", f"/people/{person.pk}/"],
        "hx_worker": ["/", "/imports/", f"/people/{person.pk}/"],
        "ja_leader": ["/report/JA/", "/report/TMX/", "/org/"],
        "resident1": ["/"],
    }.items():
        client = login(users[name])
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (name, url)
            assert_local_only(url, response.content.decode())


def test_partials_and_error_pages_refer_only_to_their_own_host(demo_like, users):
    person = demo_like["person"]
    clerk = login(users["tmx_clerk"])
    reveal = clerk.post(f"/people/{person.pk}/reveal/", {"field": "phone", "reason": "核对"})
    assert reveal.status_code == 200
    assert_local_only("reveal", reveal.content.decode())
    partial = clerk.get("/people/", {"q": "zs"}, HTTP_HX_REQUEST="true")
    assert_local_only("list partial", partial.content.decode())
    not_found = clerk.get("/people/999999/")
    assert not_found.status_code == 404
    assert_local_only("404", not_found.content.decode())
    forbidden = login(users["tmx_leader"]).post(
        f"/people/{person.pk}/reveal/", {"field": "phone", "reason": "核对"}
    )
    assert forbidden.status_code == 403
    assert_local_only("403", forbidden.content.decode())


def test_login_page_refers_only_to_its_own_host(db):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert_local_only("/accounts/login/", response.content.decode())
    admin_login = Client().get("/admin/login/")
    assert admin_login.status_code == 200
    assert_local_only("/admin/login/", admin_login.content.decode())


def test_api_docs_load_swagger_from_this_host(db):
    body = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert_local_only("/api/v1/docs", body)
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-init.js"):
        assert finders.find(f"ninja/{name}"), name


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("htmx/htmx.min.js", "htmx"),
        ("pico/pico.min.css", "pico"),
        ("echarts/echarts.min.js", "echarts"),
    ],
)
def test_vendored_libraries_are_in_the_repository(path, marker):
    # given
    file = VENDOR / path
    # then: present, non-trivial, with its licence, and found by the static finders
    assert file.is_file(), file
    assert file.stat().st_size > 10_000
    assert marker in file.read_text(encoding="utf-8", errors="replace")[:200_000].lower()
    assert any(p.name.startswith("LICENSE") for p in file.parent.iterdir())
    assert finders.find(f"vendor/{path}")


def test_base_template_uses_the_vendored_files(users):
    body = login(users["admin"]).get("/").content.decode()
    assert "/static/vendor/pico/pico.min.css" in body
    assert "/static/vendor/htmx/htmx.min.js" in body
    org = login(users["admin"]).get("/org/").content.decode()
    assert "/static/vendor/echarts/echarts.min.js" in org


def test_own_static_files_refer_to_no_other_host():
    own = Path(settings.BASE_DIR) / "static" / "jiedao"
    files = [*own.rglob("*.css"), *own.rglob("*.js"), VENDOR / "pico" / "pico.min.css"]
    assert files
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert not EXTERNAL.search(text), file
        assert not re.search(r"""fetch\(\s*["'](?:https?:)?//""", text), file
