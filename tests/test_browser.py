"""The interface in a real browser (Playwright driving Debian's Chromium) on a phone screen."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from jiedao.accounts.models import Role
from tests.factories import UserFactory, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    yield page, requested
    context.close()


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


def test_resident_answers_a_survey_on_a_phone(tree, browser_page, live_server):
    """A resident opens an open survey of their committee from their page, answers it on a
    375-px screen and sees their own answers; the answer is stored once, online."""
    from jiedao.livelihood import services as lh
    from jiedao.livelihood.models import ProgrammeKind, Response, ResponseChannel, Stage
    from tests.livelihood.factories import make_programme, make_project, open_survey, walk_to

    page, requested = browser_page
    office = UserFactory.with_role(Role.LIVELIHOOD_OFFICER, tree.sub_a, username="lh")
    resident = UserFactory.with_role(Role.RESIDENT, tree.committee_a, username="res")
    make_person(tree.committee_a, "孙丽华", user=resident)
    programme = make_programme(tree.sub_a, ProgrammeKind.SELF_GOVERNANCE, brand="添睦")
    project = make_project(programme, tree.committee_a, actor=office, title="望花园")
    lh.project_publish(actor=office, project=project)
    project = walk_to(project, Stage.OPINION_SURVEY, office=office)
    survey = open_survey(project, office)
    questions = {q.kind: q for q in survey.questions.all()}
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", resident.username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    # when they open the survey from their page and answer it
    page.goto(f"{live_server.url}/livelihood/public/mine/")
    page.click(f"#open-surveys a[href='/livelihood/public/surveys/{survey.pk}/']")
    page.wait_for_url(f"{live_server.url}/livelihood/public/surveys/{survey.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.check(f"input[name=q{questions['single'].pk}][value='同意']")
    page.check(f"input[name=q{questions['multiple'].pk}][value='绿化']")
    page.check(f"input[name=q{questions['multiple'].pk}][value='照明']")
    page.check(f"input[name=q{questions['scale'].pk}][value='4']")
    page.fill(f"textarea[name=q{questions['text'].pk}]", "希望多种月季")
    page.screenshot(path=str(Path(os.environ.get("JIEDAO_VAR_DIR", "var")) / "phone-survey.png"))
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#my-answers")
    # then they see what they submitted, and the answer is stored once, online
    answers = page.inner_text("#my-answers")
    assert "您已提交" in answers and "绿化、照明" in answers and "希望多种月季" in answers
    assert page.query_selector("#survey-form") is None
    response = Response.objects.get(survey=survey)
    assert response.channel == ResponseChannel.ONLINE and response.respondent_id == resident.pk
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    host = urlparse(live_server.url).netloc
    assert [u for u in requested if urlparse(u).netloc not in (host, "")] == []


def test_leader_reads_and_prints_the_report_card_with_its_charts(
    tree, users, chromium, live_server
):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from jiedao.affairs.models import TicketStatus
    from tests.affairs.factories import advance, make_item, make_point, make_ticket
    from tests.conftest import browser_login

    # given completed tickets in two years
    clerk = users["tmx_clerk"]
    item, point = make_item(tree.sub_a, "RC-B"), make_point(tree.sub_a, "中心")
    for year in (2023, 2024, 2024):
        at = datetime(year, 5, 6, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
        ticket = make_ticket(actor=clerk, item=item, point=point, submitted_at=at)
        advance(ticket, clerk, TicketStatus.ACCEPTED, TicketStatus.COMPLETED, at=at + timedelta(1))
    context = chromium.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    browser_login(context, live_server.url, users["ja_leader"])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # when: the district leader opens their home, then the subdistrict's card
    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/report/JA/")
    page.goto(f"{live_server.url}/report/TMX/?end=2024")
    page.wait_for_selector("#report-chart-affairs canvas")
    # then: the chart draws the yearly series (ECharts holds them), and survives the print layout
    series = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('report-chart-affairs'))"
        ".getOption().series.map(s => s.data)"
    )
    assert series[0][3:5] == [1, 2] and sum(series[0]) == 3  # completed in 2023 and 2024
    page.emulate_media(media="print")
    assert page.locator("#report-chart-affairs canvas").is_visible()
    assert not page.locator("header.container nav").is_visible()  # the menu is not printed
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert errors == []
    context.close()


def test_an_applicant_rates_on_a_phone_and_the_centre_calls_back_on_a_phone(
    tree, browser_page, live_server
):
    """The applicant scans the window's QR code and rates on a 375-px screen without an account;
    the 12345 centre records a return visit on its phone page. Nothing leaves the site."""
    from jiedao.affairs.models import TicketStatus
    from jiedao.evaluations import services as ev
    from jiedao.evaluations.models import Evaluation
    from jiedao.hotline.models import ReturnVisit
    from tests.affairs.factories import advance, make_item, make_point, make_ticket
    from tests.conftest import browser_login
    from tests.hotline.factories import make_category, receive, to_replied

    page, requested = browser_page
    clerk = UserFactory.with_role(Role.SERVICE_CLERK, tree.sub_a, username="clerk")
    item = make_item(tree.sub_a, "P-1", "居住证办理")
    ticket = make_ticket(actor=clerk, item=item, point=make_point(tree.sub_a, "受理中心"))
    ticket = advance(ticket, clerk, TicketStatus.ACCEPTED, TicketStatus.COMPLETED)
    _token, raw = ev.token_issue(actor=clerk, case=ticket)
    # when the applicant rates through the link on their phone
    page.goto(f"{live_server.url}/evaluations/rate/{raw}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.check("input[name=level][value='5']")
    page.select_option("select[name=score_attitude]", "5")
    page.click("form.rate-form button[type=submit]")
    page.wait_for_selector("text=您的评价已提交")
    assert Evaluation.objects.get().level == 5
    # and the centre calls the 12345 caller back from its phone page
    centre = UserFactory.with_role(Role.HOTLINE_OFFICER, tree.sub_a, username="centre")
    worker = UserFactory.with_role(Role.COMMITTEE_WORKER, tree.committee_a, username="hxw")
    order = receive(centre, tree.sub_a, make_category(), ticket_number=ticket.number)
    to_replied(order, centre, tree.committee_a, worker)
    browser_login(page.context, live_server.url, centre)
    page.goto(f"{live_server.url}/hotline/orders/{order.pk}/visit/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.check("input[name=satisfaction][value='satisfied']")
    page.check("input[name=resolved][value='1']")
    page.select_option("select[name=service_level]", "4")
    with page.expect_navigation():
        page.click(f"form[action='/hotline/orders/{order.pk}/visit/'] button[type=submit]")
    assert ReturnVisit.objects.filter(order=order).exists()
    assert Evaluation.objects.filter(channel="hotline", level=4).exists()
    host = urlparse(live_server.url).netloc
    assert [u for u in requested if urlparse(u).netloc not in (host, "")] == []


def test_date_fields_keep_their_values_in_chinese(tree, browser_page, live_server):
    """A renewal officer opens a household in zh-CN: its date fields show their dates (an
    input of type date drops a value written as 2026/12/03), and nothing is logged."""
    from datetime import date

    from django.utils import timezone

    from jiedao.renewal.models import Phase
    from tests.conftest import browser_login
    from tests.renewal.factories import make_household, make_project

    page, _requested = browser_page
    warnings: list[str] = []
    page.on("console", lambda msg: warnings.append(msg.text))
    officer = UserFactory.with_role(Role.RENEWAL_OFFICER, tree.sub_a, username="ren")
    project = make_project(tree.committee_a, phase=Phase.CONSULTATION, started_on=date(2025, 1, 1))
    household = make_household(project)
    browser_login(page.context, live_server.url, officer)
    page.goto(f"{live_server.url}/renewal/households/{household.pk}/")
    today = timezone.localdate().isoformat()
    assert page.input_value("input[name=answer-answered_on]") == today
    assert page.input_value("input[name=sign-signed_on]") == today
    assert not [w for w in warnings if "does not conform" in w], warnings
