"""The report card (成绩单): who reads it, what it shows, the district comparison and export."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from jiedao.affairs.models import Channel, PointKind, TicketStatus
from jiedao.core import figures
from tests.affairs.factories import advance, make_item, make_point, make_ticket
from tests.conftest import login

SH = ZoneInfo("Asia/Shanghai")


def _tickets(tree, users, n: int, *, sub: str = "a") -> None:
    org = tree.sub_a if sub == "a" else tree.sub_b
    actor = users["tmx_clerk"] if sub == "a" else users["bz_admin"]
    item = make_item(org, f"RC-{sub}-{n}")
    point = make_point(org, f"中心{sub}{n}")
    start = datetime(2025, 3, 3, 9, tzinfo=SH)
    for i in range(n):
        t = make_ticket(
            actor=actor, item=item, point=point, channel=Channel.WINDOW, submitted_at=start
        )
        advance(t, actor, TicketStatus.ACCEPTED, TicketStatus.COMPLETED, at=start + timedelta(i))


@pytest.fixture
def card_data(tree, users):
    _tickets(tree, users, 3, sub="a")
    _tickets(tree, users, 2, sub="b")
    make_point(tree.sub_a, "自助1", kind=PointKind.SELF_SERVICE)
    # service points are made by a factory (no service keeps them): count them as the demo does
    figures.rebuild()


def figure_cell(html: str, key: str) -> str:
    row = re.search(rf'<tr data-figure="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert row, key
    cell = re.search(r'class="figure-value"[^>]*>([^<]*)<', row.group(1))
    assert cell, key
    return cell.group(1).strip()


def test_subdistrict_leader_lands_on_their_report_card(card_data, users):
    client = login(users["tmx_leader"])
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/report/TMX/"
    page = client.get("/report/TMX/").content.decode()
    assert "天目西路街道 · 成绩单" in page
    for module in ("政务服务", "营商环境", "城市更新", "幸福民生"):
        assert module in page
    # the window total of completed tickets is the records' (all completed in 2025)
    assert figure_cell(page, "affairs.completed") == "3 件"  # 2025 is in the last five years
    assert figure_cell(page, "affairs.network") == "1+1+0"
    assert 'href="/report/"' in page  # the menu entry


def test_district_leader_sees_every_subdistrict_side_by_side(card_data, users):
    client = login(users["ja_leader"])
    assert client.get("/").status_code == 302
    page = client.get("/report/JA/?end=2025").content.decode()
    assert "各街道比较" in page
    assert 'data-org="TMX"' in page and 'data-org="BZ"' in page
    tmx = re.search(r'<tr data-org="TMX">(.*?)</tr>', page, re.S).group(1)
    bz = re.search(r'<tr data-org="BZ">(.*?)</tr>', page, re.S).group(1)
    total = re.search(r'<tr data-org="JA">(.*?)</tr>', page, re.S).group(1)
    cell = r'data-figure="affairs.completed">([^<]*)<'
    assert re.search(cell, tmx).group(1).strip() == "3 件"
    assert re.search(cell, bz).group(1).strip() == "2 件"
    assert re.search(cell, total).group(1).strip() == "5 件"
    # a district leader may not open the tickets: no drill-down link to them
    assert "/affairs/tickets/" not in page
    # sorted by a column, the order follows the values
    asc = client.get("/report/JA/?end=2025&sort=affairs.completed").content.decode()
    assert asc.index('data-org="BZ"') < asc.index('data-org="TMX"')
    desc = client.get("/report/JA/?end=2025&sort=-affairs.completed").content.decode()
    assert desc.index('data-org="TMX"') < desc.index('data-org="BZ"')


def test_comparison_exports_to_excel(card_data, users):
    response = login(users["ja_leader"]).get("/report/JA/?end=2025&export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    header = rows[0]
    assert header[0] == "街道"
    col = next(i for i, h in enumerate(header) if str(h).startswith("已办结办件"))
    by_name = {r[0]: r[col] for r in rows[1:]}
    assert by_name == {"天目西路街道": 3, "北站街道": 2, "静安区": 5}


@pytest.mark.parametrize("who", ["resident1", "enterprise1", "expert1"])
def test_public_accounts_and_experts_never_see_a_report_card(card_data, users, who):
    client = login(users[who])
    for url in ("/report/", "/report/TMX/", "/report/JA/", "/report/TMX-HX/"):
        assert client.get(url).status_code == 404, url
    assert 'href="/report/"' not in client.get("/").content.decode()


def test_report_cards_are_scoped_to_the_org_tree(card_data, users):
    bz = login(users["bz_admin"])
    assert bz.get("/report/TMX/").status_code == 404
    assert bz.get("/report/JA/").status_code == 404
    assert bz.get("/report/BZ/").status_code == 200
    worker = login(users["hx_worker"])
    assert worker.get("/report/TMX-HX/").status_code == 200
    assert worker.get("/report/TMX/").status_code == 404
    assert worker.get("/report/NOPE/").status_code == 404
    assert login(users["ja_leader"]).get("/report/TMX/").status_code == 200


def test_report_card_queries_do_not_grow_with_the_records(tree, users):
    client = login(users["ja_leader"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/report/JA/").status_code == 200
        return len(ctx.captured_queries)

    _tickets(tree, users, 1, sub="a")
    few = queries()
    _tickets(tree, users, 8, sub="b")
    _tickets(tree, users, 6, sub="a")
    assert queries() == few


def test_a_committees_card_links_up_to_its_subdistrict_not_to_its_area(card_data, users):
    page = login(users["admin"]).get("/report/TMX-HX/").content.decode()
    assert 'href="/report/TMX/"' in page and 'href="/report/JA/"' in page
    assert "/report/TMX-S/" not in page
    assert login(users["admin"]).get("/report/TMX-S/").status_code == 404  # areas have none


def test_api_gives_the_same_figures_as_the_page(card_data, users):
    from tests.conftest import bearer

    client = Client()
    response = client.get("/api/v1/report-cards/JA?end=2025", **bearer(users["ja_leader"]))
    assert response.status_code == 200
    body = response.json()
    assert body["window"] == [2021, 2025]
    completed = next(f for f in body["figures"] if f["key"] == "affairs.completed")
    assert completed["value"] == 5 and completed["by_year"]["2025"] == 5
    rows = {r["code"]: r for r in body["comparison"]}
    assert rows["TMX"]["values"]["affairs.completed"] == 3
    assert rows["BZ"]["values"]["affairs.completed"] == 2
    assert rows["JA"]["values"]["affairs.completed"] == 5
    assert rows["TMX"]["ranks"]["affairs.completed"] == 1
    # the same numbers the page prints
    page = login(users["ja_leader"]).get("/report/JA/?end=2025").content.decode()
    tmx = re.search(r'<tr data-org="TMX">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'data-figure="affairs.completed">3 件', tmx)


@pytest.mark.parametrize("who", ["resident1", "enterprise1", "expert1", "bz_admin"])
def test_api_hides_cards_outside_the_readers_scope(card_data, users, who):
    from tests.conftest import bearer

    response = Client().get("/api/v1/report-cards/TMX", **bearer(users[who]))
    assert response.status_code == 404
    missing = Client().get("/api/v1/report-cards/NOPE", **bearer(users[who]))
    assert missing.status_code == 404 and missing.content == response.content
