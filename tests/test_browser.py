"""The interface in a real browser (Playwright driving Debian's Chromium) on a phone screen."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from jiedao.accounts.models import Role
from tests.factories import UserFactory, make_person

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(live_server):
    if not CHROMIUM.exists():
        if os.environ.get("JIEDAO_REQUIRE_BROWSER") == "1":
            pytest.fail("JIEDAO_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        yield page, requested
        context.close()
        browser.close()


def test_committee_worker_on_a_phone(tree, browser_page, live_server):
    # given a committee worker and residents of two committees
    page, requested = browser_page
    worker = UserFactory.with_role(Role.COMMITTEE_WORKER, tree.committee_a, username="hx")
    make_person(tree.committee_a, "张三")
    make_person(tree.committee_b, "李四")
    # when they log in on a 375-px-wide screen
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", worker.username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/people/")
    # then the list shows their own resident, masked, and not the other committee's
    body = page.inner_text("main")
    assert "张三" in body
    assert "李四" not in body
    assert "****" in body
    # and typing pinyin initials filters the list through htmx without a reload
    page.fill("input[name=q]", "ls")
    page.wait_for_timeout(800)
    assert "张三" not in page.inner_text("#list-table")
    page.fill("input[name=q]", "zs")
    page.wait_for_selector("#list-table >> text=张三")
    # the page fits the phone: nothing wider than the viewport
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1
    page.screenshot(path=str(Path(os.environ.get("JIEDAO_VAR_DIR", "var")) / "phone-people.png"))
    # and no request left our own server
    host = urlparse(live_server.url).netloc
    external = [u for u in requested if urlparse(u).netloc not in (host, "")]
    assert external == []


def test_language_switch_to_english(tree, browser_page, live_server):
    page, _requested = browser_page
    user = UserFactory.with_role(Role.SUBDISTRICT_ADMIN, tree.sub_a, username="adm")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "居民" in page.inner_text("header")
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert "Residents" in page.inner_text("header")


def test_clerk_files_a_ticket_at_the_window_on_a_phone(tree, browser_page, live_server):
    """The desk: find the applicant by pinyin initials, pick the item, save — a handful of
    keystrokes and clicks — and the ticket, its first transition and the trip exist."""
    from jiedao.affairs.models import Ticket, TicketStatus
    from tests.affairs.factories import make_item, make_point

    page, requested = browser_page
    clerk = UserFactory.with_role(Role.SERVICE_CLERK, tree.sub_a, username="clerk")
    item = make_item(tree.city, "HJ-02", "户籍证明开具", time_limit_days=1)
    make_point(tree.sub_a, "天目西路街道社区事务受理服务中心", items=[item], staff=[clerk])
    applicant = make_person(tree.committee_a, "张三")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", clerk.username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    # when
    page.goto(f"{live_server.url}/affairs/")
    page.fill("input[name=applicant_q]", "zs")
    page.screenshot(path=str(Path(os.environ.get("JIEDAO_VAR_DIR", "var")) / "phone-desk.png"))
    page.click(f"label:has(input[name=applicant][value='p:{applicant.pk}'])")
    assert page.is_checked(f"input[name=applicant][value='p:{applicant.pk}']")
    page.select_option("select[name=item]", value=str(item.pk))
    page.click("form >> text=登记办件")
    page.wait_for_url(f"{live_server.url}/affairs/tickets/*/")
    # then
    ticket = Ticket.objects.get()
    assert ticket.applicant_person_id == applicant.pk
    assert ticket.status == TicketStatus.SUBMITTED
    assert ticket.trips.count() == 1
    assert ticket.number in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    host = urlparse(live_server.url).netloc
    assert [u for u in requested if urlparse(u).netloc not in (host, "")] == []
