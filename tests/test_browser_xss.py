"""No script that staff or residents type into a name ever runs in anyone's browser.

Records in every module carry HTML in their names (people, enterprises, buildings, service
points, tickets, request types and requests, councils, livelihood projects placed on the map,
survey choices, renewal projects and households, org units). In Chromium, every chart's
tooltip is opened, by the mouse and through ECharts, on every dashboard, map and chart page;
and every page is crawled as each role. An injected tag would set `window.__xss`, open a
dialog, or load `/xss/<field>`; none may happen, and no element may appear inside a chart.
"""

from __future__ import annotations

import html
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape

from jiedao.affairs.models import Channel, PointKind, TicketStatus
from jiedao.core.models import Compound, OrgKind, OrgUnit
from jiedao.evaluations import services as evaluations
from jiedao.evaluations.models import EvalChannel
from jiedao.livelihood import services as lh
from jiedao.livelihood.models import PartyKind, ProgrammeKind, QuestionKind, Stage
from jiedao.renewal.models import Phase
from tests.affairs.factories import advance as ticket_advance
from tests.affairs.factories import make_item, make_point, make_ticket
from tests.business.factories import make_building, make_council, make_firm, make_request, make_type
from tests.conftest import browser_login
from tests.factories import make_person
from tests.hotline.factories import dispatch as hotline_dispatch
from tests.hotline.factories import make_category, receive
from tests.livelihood import factories as lhf
from tests.renewal.factories import make_household, set_answers
from tests.renewal.factories import make_project as make_renewal_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESCAPE_JS = Path(settings.BASE_DIR) / "static" / "jiedao" / "escape.js"


# --- hostile names -----------------------------------------------------------------------------
def img(tag: str) -> str:
    """An image that fails to load `/xss/<tag>` and then runs its handler."""
    return f"<img src=/xss/{tag} onerror=window.__xss=1>"


SCRIPT = "<script>window.__xss=1</script>"
BREAKOUT = "\"'><svg onload=alert(1)>"  # out of an attribute, whichever quote it uses
SHORT = "<svg/onload=__xss=1>"  # for 20-character fields
# How each of them starts: found in a page's HTML, one of them is markup there, not text.
MARKUP = ("<img src=/xss/", "<script>window.__xss", "<svg onload=", "<svg/onload=")


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass
class World:
    charts: dict[str, str]  # each page with charts → what they show
    survey: int  # the closed survey whose charts show hostile choices


@pytest.fixture
def hostile(tree, users) -> World:
    """The `tree` with HTML in the names of records of every module, visible to every role."""
    office = users["tmx_admin"]
    # org units: an area and a committee with hostile names, every committee on the map
    area_x = OrgUnit(code="TMX-X", kind=OrgKind.AREA, name=img("area"), parent=tree.sub_a)
    area_x.save()
    committee_x = OrgUnit(
        code="TMX-XX",
        kind=OrgKind.COMMITTEE,
        name=img("committee"),
        parent=area_x,
        boundary=square(121.46, 31.24),
    )
    committee_x.save()
    for org, lon in ((tree.committee_a, 121.44), (tree.committee_b, 121.45)):
        org.boundary = square(lon, 31.24)
        org.save()

    # people, compounds, buildings, enterprises (one of them the enterprise contact's)
    resident = make_person(tree.committee_a, img("person"), user=users["resident1"])
    make_person(tree.committee_a, SCRIPT)
    make_person(committee_x, BREAKOUT)
    contact = make_person(tree.committee_a, img("contact"), user=users["enterprise1"])
    compound = Compound.objects.create(
        org_unit=tree.committee_a, name=img("compound"), address=BREAKOUT
    )
    building = make_building(
        tree.sub_a,
        img("building"),
        address=SCRIPT,
        longitude=Decimal("121.445"),
        latitude=Decimal("31.245"),
    )
    make_building(committee_x, BREAKOUT, longitude=Decimal("121.465"), latitude=Decimal("31.245"))
    firm = make_firm(building, img("enterprise"), contact=contact, floor=3)
    make_firm(building, SCRIPT, actor=users["tmx_business"], white_collar=40)

    # business: a request type, requests, a council
    rtype = make_type("xss", img("rtype"))
    for title in (img("request"), SCRIPT, BREAKOUT):
        make_request(users["tmx_business"], firm, rtype, title=title, description=SCRIPT)
    make_council(users["tmx_business"], tree.sub_a, [building], name=img("council"))

    # government services: an item, points (one in the hostile area), tickets, some completed
    item = make_item(tree.city, "XSS-1", img("item"))
    centre = make_point(tree.sub_a, img("point"), items=[item], staff=[users["tmx_clerk"]])
    help_point = make_point(committee_x, BREAKOUT, kind=PointKind.HELP_POINT, items=[item])
    week_ago = timezone.now() - timedelta(days=7)
    for point, person in ((centre, resident), (help_point, None)):
        ticket = make_ticket(
            actor=office, item=item, point=point, person=person, notes=SCRIPT, submitted_at=week_ago
        )
        ticket = ticket_advance(ticket, office, TicketStatus.ACCEPTED, TicketStatus.COMPLETED)
        # 好差评: a bad review with a hostile comment, followed up with a hostile note
        bad = evaluations.evaluation_enter(
            actor=users["tmx_clerk"],
            case=ticket,
            channel=EvalChannel.HOTLINE,
            rating=evaluations.Rating(1, {}, SCRIPT),
        )
        evaluations.rectification_move(
            actor=office, rectification=bad.rectification, to_status="contacted", note=BREAKOUT
        )
    # 12345: a hostile catalogue entry and order, dispatched to a committee, on the map
    category = make_category("xss", img("category"))
    call = receive(
        users["tmx_hotline"],
        tree.sub_a,
        category,
        caller_name=img("caller"),
        address=SCRIPT,
        text=BREAKOUT,
        longitude=Decimal("121.445"),
        latitude=Decimal("31.245"),
    )
    hotline_dispatch(call, users["tmx_hotline"], tree.committee_a)
    make_ticket(actor=office, item=item, point=centre, person=resident, channel=Channel.ONLINE)
    make_ticket(
        actor=office, item=item, point=centre, person=None, notes=BREAKOUT, channel=Channel.PHONE
    )

    # livelihood: published projects on the map, a closed survey with hostile choices, a review
    officer = users["tmx_livelihood"]
    programme = lhf.make_programme(tree.sub_a, ProgrammeKind.BEAUTIFUL_BLOCK, brand=SHORT)
    lhf.make_fund(programme, tree.sub_a)
    on_map = lhf.make_project(
        programme,
        tree.committee_a,
        actor=officer,
        title=img("project"),
        place_name=SCRIPT,
        description=BREAKOUT,
        proposer_name=img("proposer"),
        longitude="121.445",
        latitude="31.245",
        published=True,
    )
    lh.party_add(actor=officer, project=on_map, kind=PartyKind.VOLUNTEER, name=img("party"))
    on_map = lhf.walk_to(on_map, Stage.OPINION_SURVEY, office=officer)
    choices = [img("choice"), SCRIPT, BREAKOUT]
    closed = lhf.open_survey(
        on_map,
        officer,
        [
            {"kind": QuestionKind.SINGLE, "text": img("question"), "choices": choices},
            {"kind": QuestionKind.MULTIPLE, "text": SCRIPT, "choices": choices},
            {"kind": QuestionKind.SCALE, "text": BREAKOUT, "scale_min": 1, "scale_max": 5},
        ],
    )
    lh.survey_close(actor=officer, survey=closed)
    lh.review_assign(actor=officer, project=on_map, expert=users["expert1"])
    in_x = lhf.make_project(
        programme,
        committee_x,
        actor=officer,
        title=SCRIPT,
        longitude="121.465",
        latitude="31.245",
        published=True,
    )
    lhf.walk_to(in_x, Stage.SITE_SURVEY, office=officer)
    # an open survey the resident can answer, from their page
    self_governance = lhf.make_programme(tree.sub_a, ProgrammeKind.SELF_GOVERNANCE)
    asked = lhf.make_project(
        self_governance, tree.committee_a, actor=officer, title=BREAKOUT, published=True
    )
    asked = lhf.walk_to(asked, Stage.OPINION_SURVEY, office=officer)
    lhf.open_survey(
        asked,
        officer,
        [{"kind": QuestionKind.SINGLE, "text": SCRIPT, "choices": [img("open-choice"), "同意"]}],
    )

    # urban renewal: a project on a hostile compound, households with hostile rooms
    renewal = make_renewal_project(
        tree.committee_a,
        compound,
        name=img("renewal"),
        team=SCRIPT,
        phase=Phase.CONSULTATION,
        started_on=date(2025, 1, 1),
        households=3,
    )
    make_household(renewal, block=SHORT, room=SHORT, contact=resident)
    set_answers(renewal, agree=2, disagree=1)

    return World(
        charts={
            "/affairs/dashboard/": "points, areas and channels",
            "/business/dashboard/": "requests by type and month",
            "/business/buildings/": "the building map",
            "/livelihood/": "the committees' map and project points",
            "/livelihood/dashboard/": "projects, budget and participation",
            f"/livelihood/surveys/{closed.pk}/": "a closed survey's answers",
            f"/renewal/projects/{renewal.pk}/": "the burn-up",
            "/org/": "the org map",
            "/hotline/dashboard/": "12345 orders by month and category, the hot-spot map",
        },
        survey=closed.pk,
    )


# --- watching the browser ----------------------------------------------------------------------
# Runs before any page script: records every element that appears inside a chart (ECharts
# itself only adds <div>, <span> and <canvas>; tooltips show text).
WATCH_CHARTS = """
(() => {
  window.__injected = [];
  window.__chartText = "";
  const BAD = /^(IMG|SVG|SCRIPT|IFRAME|OBJECT|EMBED|VIDEO|AUDIO|IMAGE|STYLE|LINK|FORM|INPUT|A)$/i;
  const inChart = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    return el !== null && el.closest("[_echarts_instance_]") !== null;
  };
  const check = (node) => {
    if (inChart(node)) window.__chartText += node.textContent + "\\n";  // what tooltips said
    if (node.nodeType !== 1) return;
    for (const el of [node, ...node.querySelectorAll("*")]) {
      if (BAD.test(el.tagName) && el.closest("[_echarts_instance_]")) {
        window.__injected.push(el.outerHTML.slice(0, 200));
      }
    }
  };
  new MutationObserver((records) => {
    for (const r of records) r.addedNodes.forEach(check);
  }).observe(document, { childList: true, subtree: true });
})();
"""

# Opens the tooltip of every data item of every series of every chart on the page, through
# ECharts' own action, and returns what the tooltips said.
SHOW_EVERY_TIP = """
() => {
  const out = { charts: 0, tips: 0, text: "" };
  if (!window.echarts) return out;
  for (const dom of document.querySelectorAll("[_echarts_instance_]")) {
    const chart = echarts.getInstanceByDom(dom);
    const option = chart && chart.getOption();
    if (!option) continue;  // not drawn yet (a map waiting for its GeoJSON)
    out.charts += 1;
    (option.series || []).forEach((series, seriesIndex) => {
      const n = Math.min((series.data || []).length, 60);
      for (let dataIndex = 0; dataIndex < n; dataIndex += 1) {
        chart.dispatchAction({ type: "showTip", seriesIndex, dataIndex });
        out.tips += 1;
        out.text += "\\n" + dom.textContent;
      }
    });
    chart.dispatchAction({ type: "hideTip" });
  }
  return out;
}
"""

STATE = "() => ({ xss: window.__xss, injected: window.__injected || [] })"

# Every chart has drawn: the maps (`data-geojson`) once their GeoJSON has come.
CHARTS_DRAWN = """
() => window.echarts === undefined || (
  Array.from(document.querySelectorAll("[data-geojson]")).every(
    (dom) => dom.hidden || echarts.getInstanceByDom(dom) !== undefined
  )
  && Array.from(document.querySelectorAll("[_echarts_instance_]")).every((dom) => {
    const chart = echarts.getInstanceByDom(dom);
    return chart !== undefined && chart.getOption() !== undefined;
  })
)
"""
# ... and has stopped moving (a point still growing in is hard to hover).
CHARTS_STILL = """
() => Array.from(document.querySelectorAll("[_echarts_instance_]")).every(
  (dom) => echarts.getInstanceByDom(dom).getZr().animation.isFinished()
)
"""
# Ends the charts' opening animations now, at their last frame (zrender's own API).
FAST_FORWARD = """
() => document.querySelectorAll("[_echarts_instance_]").forEach((dom) => {
  const zr = echarts.getInstanceByDom(dom).getZr();
  zr.storage.getRoots().forEach((root) => root.stopAnimation(null, true));
  zr.storage.traverse((el) => { el.stopAnimation(null, true); });
})
"""

# One round trip per crawled page: once its charts have drawn, every tooltip opened, the
# page's state and its links.
CRAWL_PAGE = f"""
async () => {{
  for (let waited = 0; !({CHARTS_DRAWN})() && waited < 10000; waited += 25) {{
    await new Promise((resolve) => setTimeout(resolve, 25));
  }}
  const tips = ({SHOW_EVERY_TIP})();
  const hrefs = (selector) => Array.from(document.querySelectorAll(selector), (a) => a.href);
  return {{
    ...({STATE})(),
    tips: tips.tips,
    nav: hrefs("header nav a[href]"),
    links: hrefs("a[href]"),
  }};
}}
"""

# Brings chart `k` into view and returns where the mouse should go over it: a grid across
# the whole chart (map regions, axes, legends) and the centre of each drawn data item.
HOVER_TARGETS = """
(k) => {
  const dom = document.querySelectorAll("[_echarts_instance_]")[k];
  dom.scrollIntoView({ block: "center" });
  const r = dom.getBoundingClientRect();
  const points = [];
  for (let i = 1; i < 7; i += 1) {
    for (let j = 1; j < 4; j += 1) points.push([r.left + r.width * i / 7, r.top + r.height * j / 4]);
  }
  const chart = echarts.getInstanceByDom(dom);
  const model = chart && chart.getModel && chart.getModel();  // not public API: best effort
  for (const series of model ? model.getSeries() : []) {
    const data = series.getData();
    for (let i = 0; i < Math.min(data.count(), 30); i += 1) {
      const l = data.getItemLayout(i);
      let p = null;
      if (Array.isArray(l)) p = l;  // line, scatter
      else if (l && l.width !== undefined) p = [l.x + l.width / 2, l.y + l.height / 2];  // bar
      else if (l && l.cx !== undefined) {  // pie
        const a = (l.startAngle + l.endAngle) / 2, rr = (l.r0 + l.r) / 2;
        p = [l.cx + rr * Math.cos(a), l.cy + rr * Math.sin(a)];
      }
      if (p && isFinite(p[0]) && isFinite(p[1])) points.push([r.left + p[0], r.top + p[1]]);
    }
  }
  return points;
}
"""


@dataclass
class Watch:
    """What a page did that only an injected script would: dialogs, errors, probe requests."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)
    xss: list[str] = field(default_factory=list)

    def attach(self, context: Any) -> None:
        context.add_init_script(WATCH_CHARTS)
        context.on("page", self._page)

    def _page(self, page: Any) -> None:
        def dialog(d: Any) -> None:
            self.dialogs.append(f"{page.url}: {d.type} {d.message!r}")
            d.dismiss()

        def console(msg: Any) -> None:
            # A link that the role may not open answers 403/404, which Chromium logs as a
            # failed resource; a probe image's failure is caught by `probes` instead.
            if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                self.errors.append(f"{page.url}: console: {msg.text}")

        page.on("dialog", dialog)
        page.on("console", console)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on(
            "request",
            lambda r: (
                self.probes.append(f"{page.url} → {r.url}")
                if urlparse(r.url).path.startswith("/xss/")
                else None
            ),
        )

    def check_page(self, page: Any) -> None:
        """After a page has done its work: no flag set, nothing injected into a chart."""
        self.record(page.url, page.evaluate(STATE))

    def record(self, url: str, state: dict[str, Any]) -> None:
        if state["xss"] is not None:
            self.xss.append(f"{url}: window.__xss = {state['xss']!r}")
        self.xss.extend(f"{url}: injected {html}" for html in state["injected"])

    def assert_clean(self) -> None:
        for name in ("xss", "dialogs", "probes", "errors"):
            found = getattr(self, name)
            assert not found, f"{name}:\n" + "\n".join(found[:20])


@pytest.fixture
def watched(chromium, live_server):
    """A function giving a signed-in desktop-sized browser context, and the Watch over it."""
    watch = Watch()
    contexts: list[Any] = []

    def open_as(user: Any) -> Any:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        watch.attach(context)
        browser_login(context, live_server.url, user)
        contexts.append(context)
        return context

    yield open_as, watch
    for context in contexts:
        context.close()


def _settle(page: Any, *, still: bool = False) -> None:
    """Wait until every chart has drawn (and with `still`, has finished its animation)."""
    page.wait_for_function(CHARTS_DRAWN, timeout=10_000)
    if still:
        page.evaluate(FAST_FORWARD)
        page.wait_for_function(CHARTS_STILL, timeout=10_000)


# --- the helper itself -------------------------------------------------------------------------
def test_the_shared_helper_escapes_what_reaches_html(chromium):
    page = chromium.new_page()
    page.set_content("<!doctype html><title>t</title>")
    page.add_script_tag(content=ESCAPE_JS.read_text(encoding="utf-8"))
    assert page.evaluate("s => Jiedao.esc(s)", "<a href=\"x\" title='y'>&`</a>") == (
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;"
    )
    assert page.evaluate("[Jiedao.esc(null), Jiedao.esc(undefined), Jiedao.esc(0)]") == [
        "",
        "",
        "0",
    ]
    lines = "p => Jiedao.tip(function (q) { return [q.name, q.value + ' 家']; })(p)"
    assert page.evaluate(lines, {"name": "<b>x</b>", "value": 3}) == "&lt;b&gt;x&lt;/b&gt;<br>3 家"
    one = "p => Jiedao.tip(function (q) { return q.name; })(p)"
    assert page.evaluate(one, {"name": img("tip")}) == escape(img("tip"))
    page.close()


# --- hovering every chart ----------------------------------------------------------------------
def test_no_script_runs_while_hovering_any_chart(hostile, users, watched, live_server):
    open_as, watch = watched
    page = open_as(users["tmx_admin"]).new_page()
    shown: dict[str, str] = {}
    hovered: dict[str, str] = {}
    for url, what in hostile.charts.items():
        response = page.goto(live_server.url + url)
        assert response is not None and response.status == 200, url
        _settle(page, still=True)
        charts = page.locator("[_echarts_instance_]").count()
        assert charts, f"{url} ({what}) drew no chart"
        # the mouse, over a grid across each chart and onto each of its points, bars, slices
        for k in range(charts):
            for x, y in page.evaluate(HOVER_TARGETS, k):
                page.mouse.move(x, y)
        page.mouse.move(0, 0)
        hovered[url] = page.evaluate("() => window.__chartText")
        # and every item's tooltip through ECharts
        tips = page.evaluate(SHOW_EVERY_TIP)
        assert tips["tips"] > 0, url
        shown[url] = tips["text"]
        watch.check_page(page)
    watch.assert_clean()
    # the hostile names did reach the tooltips, as text
    for url in ("/affairs/dashboard/", "/business/buildings/", "/livelihood/", "/org/"):
        assert "<img src=/xss/" in shown[url], url
    assert "<img src=/xss/rtype" in shown["/business/dashboard/"]
    survey = f"/livelihood/surveys/{hostile.survey}/"
    assert "<img src=/xss/choice" in shown[survey]
    # and the mouse did reach them: the points of both maps
    assert "<img src=/xss/building" in hovered["/business/buildings/"]
    assert "<img src=/xss/project" in hovered["/livelihood/"]


# --- crawling every page as each role ----------------------------------------------------------
ROLES = [
    "admin",
    "tmx_admin",
    "tmx_leader",
    "tmx_clerk",
    "tmx_business",
    "hx_worker",
    "ja_leader",
    "expert1",
    "tmx_livelihood",
    "tmx_hotline",
    "resident1",
    "enterprise1",
]
SKIP = re.compile(
    r"^/(accounts/logout|i18n|admin|api|open311|static|media|xss)/"
    r"|export|/imports/template/|/photos/|/geojson/|\.(csv|xlsx|json|png|jpe?g)$"
)
MAX_PAGES = 80  # per role; the busiest role reaches about 60 kinds of page
HREF = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"')


def _kind(path: str) -> str:
    """One page per kind: `/people/12/edit/` and `/people/13/edit/` are the same kind, and so
    are `/report/TMX/` and `/report/TMX-HX/` (org codes are upper case)."""
    return re.sub(r"/(\d+|[A-Z][A-Z0-9-]*)(?=/)", "/<id>", path.split("?")[0])


def _unescaped(body: str) -> list[str]:
    """The hostile names that a page's HTML carries as markup rather than as text."""
    return [start for start in MARKUP if start in body]


@dataclass
class Crawl:
    """One role's crawl: breadth first from the home page, one page of each kind.

    Every menu entry and every kind of detail page (a kind with an id) opens in the browser
    for every role; any other page (a form, a sub-list) opens in the browser for the first
    role that reaches it, and for later roles is only fetched, for its links and its HTML."""

    page: Any
    base: str
    watch: Watch
    rendered_before: set[str]
    rendered: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    nav: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def run(self) -> Crawl:
        origin = urlparse(self.base).netloc
        queue: deque[str] = deque(["/"])
        seen = {"/"}
        while queue and len(self.rendered) + len(self.fetched) < MAX_PAGES:
            url = queue.popleft()
            for href in self.visit(url):
                parts = urlparse(urljoin(self.base + url, href))
                kind = _kind(parts.path)
                if parts.netloc != origin or SKIP.search(parts.path) or "export" in parts.query:
                    continue
                if kind not in seen:
                    seen.add(kind)
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return self

    def visit(self, url: str) -> list[str]:
        kind = _kind(url)
        if url == "/" or kind in self.nav or "<id>" in kind or kind not in self.rendered_before:
            return self.render(url)
        response = self.page.request.get(self.base + url)
        self.fetched.append(url)
        body = response.text()
        if response.status >= 500:
            self.failed.append(f"{url}: {response.status}")
        self.watch.xss.extend(f"{url}: unescaped {start}" for start in _unescaped(body))
        return [html.unescape(h) for h in HREF.findall(body)]

    def render(self, url: str) -> list[str]:
        try:
            response = self.page.goto(self.base + url, wait_until="domcontentloaded")
        except Exception as exc:  # a download, or a page that never loads
            self.failed.append(f"{url}: {exc}")
            return []
        self.rendered.append(url)
        if response is not None and response.status >= 500:
            self.failed.append(f"{url}: {response.status}")
        state = self.page.evaluate(CRAWL_PAGE)
        self.watch.record(self.page.url, state)
        if url == "/":
            self.nav = [urlparse(u).path for u in state["nav"]]
        return state["links"]


def test_no_script_runs_on_any_page_for_any_role(hostile, users, watched, live_server):
    open_as, watch = watched
    crawls: dict[str, Crawl] = {}
    rendered: set[str] = set()
    for name in ROLES:
        page = open_as(users[name]).new_page()
        crawl = crawls[name] = Crawl(page, live_server.url, watch, set(rendered)).run()
        page.context.close()
        rendered |= {_kind(u) for u in crawl.rendered}
        assert crawl.failed == [], name
        assert len(crawl.rendered) + len(crawl.fetched) < MAX_PAGES, f"{name}: crawl cut short"
        # every menu entry was opened (the crawl starts at the home page, whose nav it follows)
        assert crawl.nav, name
        opened = {u.split("?")[0] for u in crawl.rendered}
        assert set(crawl.nav) - opened <= {"/admin/"}, (name, crawl.nav)
    watch.assert_clean()
    # the crawl reached the hostile records' pages, for the roles that may open them
    kinds = {name: {_kind(u) for u in c.rendered} for name, c in crawls.items()}
    for name in ("admin", "tmx_admin", "tmx_leader"):
        assert {
            "/people/<id>/",
            "/enterprises/<id>/",
            "/places/buildings/<id>/",
            "/affairs/tickets/<id>/",
            "/business/requests/<id>/",
            "/renewal/projects/<id>/",
            "/renewal/households/<id>/",
            "/livelihood/projects/<id>/",
            "/livelihood/surveys/<id>/",
            "/evaluations/<id>/",
            "/hotline/orders/<id>/",
        } <= kinds[name], name
    assert {"/people/<id>/", "/affairs/tickets/<id>/"} <= kinds["resident1"]
    assert {"/livelihood/public/surveys/<id>/", "/livelihood/public/projects/<id>/"} <= kinds[
        "resident1"
    ]
    assert {"/enterprises/<id>/", "/business/requests/<id>/"} <= kinds["enterprise1"]
    assert "/livelihood/reviews/<id>/" in kinds["expert1"]
