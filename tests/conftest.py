"""Fixtures: a small org tree shaped like the demo's, and one user per role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from jiedao.accounts.models import Role, User
from jiedao.accounts.services import token_create
from jiedao.core.models import OrgKind, OrgUnit
from tests.factories import UserFactory


@dataclass
class Tree:
    city: OrgUnit
    district: OrgUnit
    sub_a: OrgUnit  # 天目西路街道
    area_a: OrgUnit
    committee_a: OrgUnit  # 华新居委会
    committee_b: OrgUnit  # another committee of the same subdistrict
    sub_b: OrgUnit  # 北站街道
    committee_c: OrgUnit  # a committee of the other subdistrict


@pytest.fixture
def tree(db: Any) -> Tree:
    def unit(code: str, kind: str, name: str, parent: OrgUnit | None) -> OrgUnit:
        org = OrgUnit(code=code, kind=kind, name=name, parent=parent)
        org.save()
        return org

    city = unit("SH", OrgKind.CITY, "上海市", None)
    district = unit("JA", OrgKind.DISTRICT, "静安区", city)
    sub_a = unit("TMX", OrgKind.SUBDISTRICT, "天目西路街道", district)
    area_a = unit("TMX-S", OrgKind.AREA, "站南片区", sub_a)
    committee_a = unit("TMX-HX", OrgKind.COMMITTEE, "华新居委会", area_a)
    committee_b = unit("TMX-FGN", OrgKind.COMMITTEE, "蕃瓜弄居委会", sub_a)
    sub_b = unit("BZ", OrgKind.SUBDISTRICT, "北站街道", district)
    committee_c = unit("BZ-HS", OrgKind.COMMITTEE, "海昌居委会", sub_b)
    return Tree(city, district, sub_a, area_a, committee_a, committee_b, sub_b, committee_c)


@pytest.fixture
def users(tree: Tree) -> dict[str, User]:
    """One user per demo role, named like the demo logins."""
    spec = {
        "admin": (Role.PLATFORM_ADMIN, tree.city),
        "tmx_admin": (Role.SUBDISTRICT_ADMIN, tree.sub_a),
        "tmx_leader": (Role.SUBDISTRICT_LEADER, tree.sub_a),
        "tmx_clerk": (Role.SERVICE_CLERK, tree.sub_a),
        "tmx_business": (Role.BUSINESS_OFFICER, tree.sub_a),
        "hx_worker": (Role.COMMITTEE_WORKER, tree.committee_a),
        "fgn_worker": (Role.COMMITTEE_WORKER, tree.committee_b),
        "bz_admin": (Role.SUBDISTRICT_ADMIN, tree.sub_b),
        "ja_leader": (Role.DISTRICT_LEADER, tree.district),
        "expert1": (Role.EXPERT, tree.sub_a),
        "expert2": (Role.EXPERT, tree.sub_a),
        "tmx_livelihood": (Role.LIVELIHOOD_OFFICER, tree.sub_a),
        "tmx_hotline": (Role.HOTLINE_OFFICER, tree.sub_a),
        "resident1": (Role.RESIDENT, tree.committee_a),
        "enterprise1": (Role.ENTERPRISE_CONTACT, tree.sub_a),
    }
    return {
        name: UserFactory.with_role(role, org, username=name) for name, (role, org) in spec.items()
    }


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Any:
    """A test's WorkdayOverride rows roll back with it; the calendar's caches must go too, or
    an override made in one test leaks into the next test of the same process."""
    from jiedao.core import workdays

    workdays.forget_overrides()
    yield
    workdays.forget_overrides()


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def keep_demo_steps(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Run only core's and accounts' demo steps and those of `modules` (each module's demo test
    builds what it needs; the whole demo is built once, in tests/core/test_demo.py)."""
    from jiedao.core import demo as core_demo

    wanted = {"core", "accounts", *modules}
    steps = {n: s for n, s in core_demo.STEPS.items() if n.split(".")[0] in wanted}
    assert all(any(n.startswith(f"{m}.") for n in steps) for m in modules), modules
    monkeypatch.setattr(core_demo, "STEPS", steps)


# --- the browser (Playwright driving Debian's Chromium) ----------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless Chromium; skips when it is missing, unless JIEDAO_REQUIRE_BROWSER=1."""
    if not CHROMIUM.exists():
        if os.environ.get("JIEDAO_REQUIRE_BROWSER") == "1":
            pytest.fail("JIEDAO_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are fine.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def browser_login(context: Any, base_url: str, user: User) -> None:
    """Sign `user` in to a browser context by handing it a session cookie (no login form)."""
    client = login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )
