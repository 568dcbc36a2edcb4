"""Staff pages of the livelihood module: reachable, scoped, every action through its service,
errors shown in Chinese with the user's input kept, exports, constant query counts."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiedao.livelihood import services as s
from jiedao.livelihood.models import (
    Feasibility,
    Fund,
    Milestone,
    MilestoneState,
    Photo,
    PhotoKind,
    ProgrammeKind,
    Project,
    Question,
    Response,
    ResponseAnswer,
    ResponseChannel,
    ReviewAssignment,
    Stage,
    SurveyStatus,
)
from tests.conftest import login
from tests.factories import CompoundFactory
from tests.livelihood.factories import (
    image_bytes,
    make_fund,
    make_programme,
    make_project,
    open_survey,
    walk_to,
)

pytestmark = pytest.mark.django_db

YEAR = date.today().year


@pytest.fixture
def world(tree: Any, users: Any) -> dict[str, Any]:
    """A subdistrict's two programmes, a committee fund and a project in each committee."""
    office = users["tmx_livelihood"]
    bb = make_programme(tree.sub_a, ProgrammeKind.BEAUTIFUL_BLOCK)
    sg = make_programme(tree.sub_a, ProgrammeKind.SELF_GOVERNANCE, brand="添睦")
    fund = make_fund(sg, tree.committee_a, amount="60000")
    garden = make_project(sg, tree.committee_a, actor=office, title="望花园", place_name="展望小区")
    wall = make_project(bb, tree.committee_b, actor=office, title="光复路909号山墙")
    return {"office": office, "bb": bb, "sg": sg, "fund": fund, "garden": garden, "wall": wall}


def _reviewed(world: dict[str, Any], users: Any, experts: list[str]) -> Project:
    """The garden project in expert review, with the named experts' reviews submitted."""
    office = world["office"]
    project = walk_to(world["garden"], Stage.EXPERT_REVIEW, office=office)
    for name in experts:
        a = s.review_assign(actor=office, project=project, expert=users[name])
        s.review_submit(
            actor=users[name],
            assignment=a,
            scores={c.pk: 8 for c in project.programme.criteria.all()},
            feasibility=Feasibility.FEASIBLE,
            cost_estimate="48000",
            reasons="方案可行",
        )
    return project


def _text(response: Any) -> str:
    return response.content.decode()


# --- reachability and scope ----------------------------------------------------------------------
def test_pages_render_for_office_and_committee_worker(world: Any, users: Any) -> None:
    office = world["office"]
    garden = world["garden"]
    draft = s.survey_create(actor=office, project=garden, title="草稿征询")
    opened = open_survey(garden, office)
    closed_project = walk_to(world["wall"], Stage.EXPERT_REVIEW, office=office)
    closed = closed_project.surveys.get()
    a = s.review_assign(actor=office, project=closed_project, expert=users["expert1"])
    urls = [
        reverse("livelihood_overview"),
        reverse("livelihood_dashboard"),
        reverse("livelihood_projects"),
        reverse("livelihood_projects") + "?stage=open&kind=self_governance&q=望",
        reverse("livelihood_projects") + "?stage=done",
        reverse("livelihood_project_new"),
        reverse("livelihood_project", args=[garden.pk]),
        reverse("livelihood_project_edit", args=[garden.pk]),
        reverse("livelihood_survey_new", args=[garden.pk]),
        reverse("livelihood_survey", args=[draft.pk]),
        reverse("livelihood_survey", args=[opened.pk]),
        reverse("livelihood_paper_entry", args=[opened.pk]),
        reverse("livelihood_funds"),
        reverse("livelihood_fund", args=[world["fund"].pk]),
    ]
    client = login(office)
    for url in [
        *urls,
        reverse("livelihood_project", args=[closed_project.pk]),
        reverse("livelihood_survey", args=[closed.pk]),
        reverse("livelihood_reviews"),
        reverse("livelihood_review", args=[a.pk]),
        reverse("livelihood_fund_new"),
    ]:
        assert client.get(url).status_code == 200, url
    page = _text(client.get(reverse("livelihood_overview")))
    assert "添睦" in page and "华新居委会" in page
    worker = login(users["hx_worker"])
    for url in urls:
        assert worker.get(url).status_code == 200, url
    # The committee worker runs their committee's projects, not the office's review desk.
    assert worker.get(reverse("livelihood_reviews")).status_code == 404
    assert worker.get(reverse("livelihood_project", args=[closed_project.pk])).status_code == 404
    # The list's filters answer htmx with the table alone.
    fragment = _text(worker.get(reverse("livelihood_projects") + "?q=望", HTTP_HX_REQUEST="true"))
    assert "<html" not in fragment and "望花园" in fragment and "光复路909号山墙" not in fragment
    # The district leader reads the roll-ups.
    district = login(users["ja_leader"])
    for url in urls[:5]:
        assert district.get(url).status_code == 200, url
    # A leader reads the project page without the forms.
    leader_page = login(users["tmx_leader"]).get(reverse("livelihood_project", args=[garden.pk]))
    assert leader_page.status_code == 200
    assert "stage-form" not in _text(leader_page)
    assert 'id="stage-form"' in _text(worker.get(reverse("livelihood_project", args=[garden.pk])))


def test_out_of_scope_users_get_404(world: Any, users: Any) -> None:
    office = world["office"]
    garden = world["garden"]
    survey = open_survey(garden, office)
    project = _reviewed(world, users, ["expert1"])
    assignment = ReviewAssignment.objects.get(project=project)
    objects = [
        reverse("livelihood_project", args=[garden.pk]),
        reverse("livelihood_project_edit", args=[garden.pk]),
        reverse("livelihood_survey", args=[survey.pk]),
        reverse("livelihood_paper_entry", args=[survey.pk]),
        reverse("livelihood_fund", args=[world["fund"].pk]),
        reverse("livelihood_review", args=[assignment.pk]),
    ]
    bz = login(users["bz_admin"])
    for url in objects:
        assert bz.get(url).status_code == 404, url
    assert bz.post(reverse("livelihood_project_publish", args=[garden.pk])).status_code == 404
    # Their own overview shows nothing of 天目西路街道.
    assert "望花园" not in _text(bz.get(reverse("livelihood_projects")))
    enterprise = login(users["enterprise1"])
    for url in [
        *objects,
        reverse("livelihood_overview"),
        reverse("livelihood_dashboard"),
        reverse("livelihood_projects"),
        reverse("livelihood_funds"),
        reverse("livelihood_reviews"),
        reverse("livelihood_project_new"),
    ]:
        assert enterprise.get(url).status_code == 404, url
    # Another committee's worker does not reach 华新's project.
    fgn = login(users["fgn_worker"])
    assert fgn.get(reverse("livelihood_project", args=[garden.pk])).status_code == 404


def test_leader_may_read_but_not_act(world: Any, users: Any) -> None:
    leader = login(users["tmx_leader"])
    url = reverse("livelihood_project_stage", args=[world["garden"].pk])
    assert leader.post(url, {"to_stage": Stage.SITE_SURVEY}).status_code == 403
    assert (
        leader.get(reverse("livelihood_project_edit", args=[world["garden"].pk])).status_code == 403
    )
    Project.objects.get(pk=world["garden"].pk, stage=Stage.PROPOSED)


# --- experts -------------------------------------------------------------------------------------
def test_expert_sees_only_own_assignments(world: Any, users: Any) -> None:
    office = world["office"]
    project = walk_to(world["garden"], Stage.EXPERT_REVIEW, office=office)
    mine = s.review_assign(actor=office, project=project, expert=users["expert1"])
    theirs = s.review_assign(actor=office, project=project, expert=users["expert2"])
    expert = login(users["expert1"])
    desk = _text(expert.get(reverse("livelihood_reviews")))
    assert reverse("livelihood_review", args=[mine.pk]) in desk
    assert reverse("livelihood_review", args=[theirs.pk]) not in desk
    assert "共 1 项评审" in desk
    assert expert.get(reverse("livelihood_review", args=[theirs.pk])).status_code == 404
    # Their project page leads to their own score sheet; another project is not found.
    response = expert.get(reverse("livelihood_project", args=[project.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("livelihood_review", args=[mine.pk])
    assert expert.get(reverse("livelihood_project", args=[world["wall"].pk])).status_code == 404
    assert expert.get(reverse("livelihood_overview")).status_code == 404
    assert expert.get(reverse("livelihood_funds")).status_code == 404
    # The expert may not act on the project either.
    stage_url = reverse("livelihood_project_stage", args=[project.pk])
    assert expert.post(stage_url, {"to_stage": Stage.APPROVED}).status_code == 404

    # given the score sheet with one score out of range
    criteria = list(project.programme.criteria.all())
    data = {f"c{c.pk}": "9" for c in criteria}
    data.update(feasibility=Feasibility.WITH_CHANGES, cost_estimate="52000", reasons="需加强照明")
    bad = {**data, f"c{criteria[0].pk}": "11"}
    response = expert.post(reverse("livelihood_review", args=[mine.pk]), bad)
    assert response.status_code == 400
    assert "需加强照明" in _text(response)  # what they typed is kept
    # when they correct it
    response = expert.post(reverse("livelihood_review", args=[mine.pk]), data)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.submitted_at is not None and mine.cost_estimate == Decimal("52000.00")
    assert mine.scores.count() == len(criteria)
    # expert2 may read nothing of it and may not submit on it
    other = login(users["expert2"])
    assert other.post(reverse("livelihood_review", args=[mine.pk]), data).status_code == 404

    # then the office sees the combined result, with the expert still pending
    page = _text(login(office).get(reverse("livelihood_project", args=[project.pk])))
    assert 'id="review-summary"' in page
    assert "已提交 1 / 共邀请 2 位专家" in page
    assert 'id="mean-total">90.0<' in page
    assert "52000.00 元" in page
    # the office reads the sheet, read-only
    sheet = _text(login(office).get(reverse("livelihood_review", args=[mine.pk])))
    assert "只读" in sheet and "需加强照明" in sheet


def test_assign_form_offers_experts_of_the_subdistrict(world: Any, users: Any) -> None:
    office = world["office"]
    project = walk_to(world["garden"], Stage.OPINION_SURVEY, office=office)
    client = login(office)
    page = _text(client.get(reverse("livelihood_project", args=[project.pk])))
    assert f'value="{users["expert1"].pk}"' in page
    response = client.post(
        reverse("livelihood_review_assign", args=[project.pk]),
        {"assign-expert": users["expert1"].pk},
    )
    assert response.status_code == 302
    assert ReviewAssignment.objects.filter(project=project, expert=users["expert1"]).exists()
    # a user who is no expert cannot be chosen
    response = client.post(
        reverse("livelihood_review_assign", args=[project.pk]),
        {"assign-expert": users["hx_worker"].pk},
    )
    assert response.status_code == 400
    # the committee worker may not assign
    worker = login(users["hx_worker"])
    url = reverse("livelihood_review_assign", args=[project.pk])
    assert worker.post(url, {"assign-expert": users["expert2"].pk}).status_code == 403


# --- stage moves and approval ----------------------------------------------------------------------
def test_stage_move_and_illegal_move(world: Any, users: Any) -> None:
    garden = world["garden"]
    client = login(users["hx_worker"])
    url = reverse("livelihood_project_stage", args=[garden.pk])
    response = client.post(url, {"to_stage": Stage.SITE_SURVEY})
    assert response.status_code == 302
    garden.refresh_from_db()
    assert garden.stage == Stage.SITE_SURVEY
    # an illegal move is refused with the reason, and nothing changes
    response = client.post(url, {"to_stage": Stage.COMPLETED, "note": "想直接完工"})
    assert response.status_code == 400
    page = _text(response)
    assert "项目当前阶段为“现场踏勘”，不能改为“已完工”。" in page
    assert "想直接完工" in page
    # a move that needs records first says which
    response = client.post(url, {"to_stage": Stage.OPINION_SURVEY})
    assert response.status_code == 400
    assert "请先记录至少一次现场踏勘。" in _text(response)
    # withdrawing needs a reason
    response = client.post(url, {"to_stage": Stage.WITHDRAWN})
    assert response.status_code == 400
    assert "请填写说明（原因或评估结论）。" in _text(response)
    garden.refresh_from_db()
    assert garden.stage == Stage.SITE_SURVEY
    # rejecting is the office's decision
    response = client.post(url, {"to_stage": Stage.REJECTED, "note": "不合适"})
    assert response.status_code == 403
    response = login(world["office"]).post(url, {"to_stage": Stage.REJECTED, "note": "预算过高"})
    assert response.status_code == 302
    garden.refresh_from_db()
    assert garden.stage == Stage.REJECTED and garden.closing_reason == "预算过高"
    page = _text(client.get(reverse("livelihood_project", args=[garden.pk])))
    assert "预算过高" in page and 'class="end"' in page


def test_approve_refuses_overdraw_with_message(world: Any, users: Any, tree: Any) -> None:
    office = world["office"]
    project = _reviewed(world, users, ["expert1"])
    fund = world["fund"]  # 60,000
    other = make_project(world["sg"], tree.committee_a, actor=office, title="楼道微更新")
    other = _walk_other(other, office, users, fund, "45000")
    wrong_year = make_fund(world["sg"], tree.committee_a, year=YEAR - 1, amount="900000")
    wrong_org = make_fund(world["sg"], tree.committee_b, amount="900000")
    client = login(office)
    page = _text(client.get(reverse("livelihood_project", args=[project.pk])))
    # only the funds that may pay for it, each with its balance
    select = re.search(r'<select name="approve-fund".*?</select>', page, re.S)
    assert select is not None
    offered = set(re.findall(r'<option value="(\d+)"', select.group(0)))
    assert offered == {str(fund.pk)} and "余额 15000.00 元" in select.group(0)
    assert str(wrong_year.pk) not in offered and str(wrong_org.pk) not in offered
    url = reverse("livelihood_project_approve", args=[project.pk])
    response = client.post(url, {"approve-fund": fund.pk, "approve-amount": "20000"})
    assert response.status_code == 400
    text = _text(response)
    assert "资金余额不足" in text and "余额 15000.00 元，本项目需 20000.00 元" in text
    assert 'value="20000"' in text  # the amount typed is kept
    project.refresh_from_db()
    assert project.stage == Stage.EXPERT_REVIEW and project.fund_id is None
    # within the balance it is approved
    response = client.post(url, {"approve-fund": fund.pk, "approve-amount": "15000"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED and project.budget_allocated == Decimal("15000.00")
    assert other.stage == Stage.APPROVED
    # a committee worker may not approve
    third = make_project(world["sg"], tree.committee_a, actor=office, title="第三个")
    assert (
        login(users["hx_worker"])
        .post(
            reverse("livelihood_project_approve", args=[third.pk]),
            {"approve-fund": fund.pk, "approve-amount": "1"},
        )
        .status_code
        == 403
    )


def _walk_other(project: Project, office: Any, users: Any, fund: Fund, amount: str) -> Project:
    return walk_to(
        project, Stage.APPROVED, office=office, experts=[users["expert2"]], fund=fund, amount=amount
    )


# --- project form ---------------------------------------------------------------------------------
def test_project_create_and_edit(world: Any, users: Any, tree: Any) -> None:
    worker = login(users["hx_worker"])
    mine = CompoundFactory(org_unit=tree.committee_a, name="展望小区")
    foreign = CompoundFactory(org_unit=tree.committee_b, name="蕃瓜弄小区")
    form_page = _text(worker.get(reverse("livelihood_project_new")))
    assert "添睦" in form_page and "展望小区" in form_page
    data = {
        "programme": world["sg"].pk,
        "org_unit": tree.committee_a.pk,
        "title": "",
        "place_kind": "compound",
        "place_name": "6号楼车棚顶",
        "compound": foreign.pk,
        "proposer_kind": "owners_committee",
        "budget_requested": "30000",
        "year": YEAR,
        "longitude": "121.46",
        "latitude": "31.25",
    }
    response = worker.post(reverse("livelihood_project_new"), data)
    assert response.status_code == 400
    text = _text(response)
    assert "此项为必填项。" in text and "6号楼车棚顶" in text
    # a compound of another committee is refused by the service, under its field
    response = worker.post(reverse("livelihood_project_new"), {**data, "title": "望花园2.0试点"})
    assert response.status_code == 400
    assert "选择一个有效的选项" in _text(response) or "小区不在该居委会辖区内" in _text(response)
    # a committee worker cannot register for another committee
    response = worker.post(
        reverse("livelihood_project_new"),
        {**data, "title": "别人家的", "compound": "", "org_unit": tree.committee_b.pk},
    )
    assert response.status_code == 400
    response = worker.post(
        reverse("livelihood_project_new"), {**data, "title": "车棚顶花园", "compound": mine.pk}
    )
    assert response.status_code == 302
    project = Project.objects.get(title="车棚顶花园")
    assert project.org_unit == tree.committee_a and project.compound == mine
    assert project.longitude == Decimal("121.460000")
    # edit: same title as another project of the committee is refused per field
    url = reverse("livelihood_project_edit", args=[project.pk])
    response = worker.post(url, {**data, "title": "望花园", "compound": ""})
    assert response.status_code == 400
    assert "该居委会已有同名项目。" in _text(response)
    response = worker.post(url, {**data, "title": "车棚顶花园（一期）", "compound": ""})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "车棚顶花园（一期）" and project.compound is None
    assert project.programme == world["sg"]  # programme and committee do not change


# --- project page actions ---------------------------------------------------------------------------
def test_parties_site_survey_publish_and_history(world: Any, users: Any) -> None:
    garden = world["garden"]
    client = login(users["hx_worker"])
    response = client.post(
        reverse("livelihood_party_add", args=[garden.pk]),
        {"party-kind": "owners_committee", "party-name": "展望小区业委会", "party-role": "协调"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("livelihood_party_add", args=[garden.pk]),
        {"party-kind": "volunteer", "party-name": ""},
    )
    assert response.status_code == 400 and "此项为必填项。" in _text(response)
    response = client.post(
        reverse("livelihood_site_survey_add", args=[garden.pk]),
        {"site-date": "2999-01-01", "site-findings": "车棚顶漏水"},
    )
    assert response.status_code == 400
    assert "踏勘日期不能晚于今天。" in _text(response) and "车棚顶漏水" in _text(response)
    response = client.post(
        reverse("livelihood_site_survey_add", args=[garden.pk]),
        {
            "site-date": date.today().isoformat(),
            "site-findings": "车棚顶漏水",
            "site-leaders": "书记",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("livelihood_project_publish", args=[garden.pk]), {"published": "1"}
    )
    assert response.status_code == 302
    garden.refresh_from_db()
    assert garden.published and garden.parties.get().name == "展望小区业委会"
    page = _text(client.get(reverse("livelihood_project", args=[garden.pk])))
    assert "展望小区业委会" in page and "车棚顶漏水" in page and "修改记录" in page
    assert reverse("livelihood_public_project", args=[garden.pk]) in page


def test_milestones_spending_and_progress(world: Any, users: Any) -> None:
    office = world["office"]
    project = _reviewed(world, users, ["expert1"])
    project = s.project_approve(actor=office, project=project, fund=world["fund"], amount="40000")
    worker = login(users["hx_worker"])
    url = reverse("livelihood_milestone_add", args=[project.pk])
    assert worker.post(url, {"ms-title": "设计", "ms-weight": "1"}).status_code == 302
    assert worker.post(url, {"ms-title": "施工", "ms-weight": "3"}).status_code == 302
    response = worker.post(url, {"ms-title": "验收", "ms-weight": "0"})
    assert response.status_code == 400 and "进度权重至少为 1。" in _text(response)
    design = Milestone.objects.get(project=project, title="设计")
    response = worker.post(
        reverse("livelihood_milestone_state", args=[design.pk]), {"state": MilestoneState.DONE}
    )
    assert response.status_code == 302
    page = _text(worker.get(reverse("livelihood_project", args=[project.pk])))
    assert 'id="progress">25%<' in page
    # spending is the office's: the worker may not, and an overdraw is refused with the message
    spend = reverse("livelihood_spending_add", args=[project.pk])
    data = {
        "spend-date": date.today().isoformat(),
        "spend-amount": "30000",
        "spend-description": "材料",
    }
    assert worker.post(spend, data).status_code == 403
    client = login(office)
    assert client.post(spend, data).status_code == 302
    response = client.post(spend, {**data, "spend-amount": "10000.01"})
    assert response.status_code == 400
    assert "超出核定预算：已支出 30000" in _text(response)
    assert "核定 40000.00 元。" in _text(response)
    page = _text(client.get(reverse("livelihood_project", args=[project.pk])))
    assert 'id="remaining">10000.00 元<' in page
    fund_page = _text(client.get(reverse("livelihood_fund", args=[world["fund"].pk])))
    assert 'id="fund-balance">20000.00 元<' in fund_page
    assert 'id="fund-spent">30000.00 元<' in fund_page and "材料" in fund_page


def test_next_version_links_both_ways(world: Any, users: Any) -> None:
    office = world["office"]
    project = walk_to(
        world["garden"],
        Stage.COMPLETED,
        office=office,
        experts=[users["expert1"]],
        fund=world["fund"],
    )
    s.party_add(actor=office, project=project, kind="party_branch", name="展望党支部")
    client = login(users["hx_worker"])
    response = client.post(
        reverse("livelihood_next_version", args=[project.pk]),
        {"next-title": "望花园2.0", "next-year": YEAR},
    )
    assert response.status_code == 302
    new = Project.objects.get(title="望花园2.0")
    assert new.previous == project and new.version == 2
    assert new.parties.get().name == "展望党支部"
    old_page = _text(client.get(reverse("livelihood_project", args=[project.pk])))
    new_page = _text(client.get(reverse("livelihood_project", args=[new.pk])))
    assert reverse("livelihood_project", args=[new.pk]) in old_page
    assert reverse("livelihood_project", args=[project.pk]) in new_page
    # a project not yet completed offers no next version and refuses one
    response = client.post(
        reverse("livelihood_next_version", args=[new.pk]),
        {"next-title": "望花园3.0", "next-year": YEAR},
    )
    assert response.status_code == 400 and "项目完工后才能开展下一版本。" in _text(response)


# --- photos --------------------------------------------------------------------------------------
def test_photo_upload_refuses_a_renamed_non_image(world: Any, users: Any) -> None:
    garden = world["garden"]
    client = login(users["hx_worker"])
    url = reverse("livelihood_photo_upload", args=[garden.pk])
    fake = SimpleUploadedFile("site.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")
    response = client.post(
        url, {"photo-image": fake, "photo-kind": PhotoKind.BEFORE, "photo-spot": "车棚顶"}
    )
    assert response.status_code == 400
    text = _text(response)
    assert "文件不是可识别的图片，请上传 JPG、PNG 或 WebP 格式的照片。" in text
    assert 'value="车棚顶"' in text
    assert not Photo.objects.exists()
    # a real picture goes in; its after-photo pairs with it
    real = SimpleUploadedFile("before.png", image_bytes("PNG"), content_type="image/png")
    response = client.post(
        url, {"photo-image": real, "photo-kind": PhotoKind.BEFORE, "photo-spot": "车棚顶"}
    )
    assert response.status_code == 302
    before = Photo.objects.get()
    after = SimpleUploadedFile(
        "after.jpg", image_bytes("JPEG", gps=True), content_type="image/jpeg"
    )
    response = client.post(
        url, {"photo-image": after, "photo-kind": PhotoKind.AFTER, "photo-before": before.pk}
    )
    assert response.status_code == 302
    after_photo = Photo.objects.get(kind=PhotoKind.AFTER)
    assert after_photo.before == before and after_photo.spot == "车棚顶"
    page = _text(client.get(reverse("livelihood_project", args=[garden.pk])))
    assert reverse("livelihood_photo", args=[before.pk, "thumb"]) in page
    assert reverse("livelihood_photo", args=[after_photo.pk, "thumb"]) in page
    assert 'class="pair"' in page
    # an after-photo without its before-photo is refused under the field
    again = SimpleUploadedFile("x.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    response = client.post(url, {"photo-image": again, "photo-kind": PhotoKind.AFTER})
    assert response.status_code == 400
    assert "改造后照片须对应本项目的一张改造前照片。" in _text(response)


# --- surveys -------------------------------------------------------------------------------------
def test_survey_builder(world: Any, users: Any) -> None:
    garden = world["garden"]
    client = login(users["hx_worker"])
    response = client.post(
        reverse("livelihood_survey_new", args=[garden.pk]), {"survey-title": "车棚顶改花园征询"}
    )
    assert response.status_code == 302
    survey = garden.surveys.get()
    url = reverse("livelihood_survey", args=[survey.pk])
    assert response["Location"] == url
    # opening an empty survey is refused
    client.post(reverse("livelihood_survey_open", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT
    add = reverse("livelihood_question_add", args=[survey.pk])
    question = {
        "kind": "single",
        "text": "是否同意",
        "choices": "同意",
        "scale_min": 1,
        "scale_max": 5,
        "required": "on",
    }
    response = client.post(add, question)
    assert response.status_code == 400
    assert "选择题至少需要两个不重复的选项。" in _text(response) and "是否同意" in _text(response)
    assert client.post(add, {**question, "choices": "同意\n不同意\n"}).status_code == 302
    scale = {**question, "kind": "scale", "text": "满意度", "choices": "", "scale_max": 10}
    assert client.post(add, scale).status_code == 302
    text_q = {**question, "kind": "text", "text": "其他意见", "choices": "", "required": ""}
    assert client.post(add, text_q).status_code == 302
    q1 = Question.objects.get(survey=survey, text="是否同意")
    assert q1.choices == ["同意", "不同意"] and q1.required
    assert Question.objects.get(text="满意度").scale_max == 10
    assert not Question.objects.get(text="其他意见").required
    extra = Question.objects.create(survey=survey, kind="text", text="多余的题", order=9)
    assert client.post(reverse("livelihood_question_delete", args=[extra.pk])).status_code == 302
    assert not Question.objects.filter(pk=extra.pk).exists()
    assert client.post(reverse("livelihood_survey_open", args=[survey.pk])).status_code == 302
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN
    # questions are fixed once open
    assert client.post(add, text_q).status_code == 400
    assert client.post(reverse("livelihood_question_delete", args=[q1.pk])).status_code == 302
    assert Question.objects.filter(pk=q1.pk).exists()


def _paper(survey: Any, choice: str, point: str) -> dict[str, Any]:
    qs = {q.text: q for q in survey.questions.all()}
    return {
        f"q{qs['是否同意改造？'].pk}": choice,
        f"q{qs['希望增加的设施'].pk}": ["座椅", "照明"],
        f"q{qs['对方案的满意度'].pk}": "4",
        f"q{qs['其他意见'].pk}": "希望保留晾衣区",
        "collection_point": point,
    }


def test_paper_entry_records_channel_and_collection_point(world: Any, users: Any) -> None:
    survey = open_survey(world["garden"], world["office"])
    client = login(users["hx_worker"])
    url = reverse("livelihood_paper_entry", args=[survey.pk])
    data = _paper(survey, "同意", "")
    response = client.post(url, data)
    assert response.status_code == 400
    assert "请填写纸质问卷的收集点。" in _text(response) and "希望保留晾衣区" in _text(response)
    assert not Response.objects.exists()
    response = client.post(url, {**data, "collection_point": "3号楼楼组长处"})
    assert response.status_code == 302
    response_row = Response.objects.get()
    assert response_row.channel == ResponseChannel.PAPER
    assert response_row.collection_point == "3号楼楼组长处"
    assert response_row.respondent is None and response_row.entered_by == users["hx_worker"]
    assert response_row.answers.count() == 4
    # the next form is offered, with the collection point kept
    again = client.get(response["Location"])
    page = _text(again)
    assert 'id="enter-another"' in page and 'value="3号楼楼组长处"' in page
    # a required question left out is named in the message
    first = survey.questions.get(text="是否同意改造？")
    missing = {k: v for k, v in data.items() if k != f"q{first.pk}"}
    response = client.post(url, {**missing, "collection_point": "居委会"})
    assert response.status_code == 400 and "“是否同意改造？”为必答题。" in _text(response)
    # a leader may read the survey but not enter paper forms
    assert login(users["tmx_leader"]).get(url).status_code == 403


def test_survey_results_sealed_until_closed(world: Any, users: Any, tree: Any) -> None:
    from tests.factories import make_person

    office = world["office"]
    survey = open_survey(world["garden"], office)
    resident = users["resident1"]
    make_person(tree.committee_a, user=resident)
    questions = {q.text: q for q in survey.questions.all()}
    s.response_submit_online(
        actor=resident,
        survey=survey,
        answers={
            questions["是否同意改造？"].pk: "不同意",
            questions["希望增加的设施"].pk: ["绿化"],
            questions["对方案的满意度"].pk: 2,
            questions["其他意见"].pk: "晾衣服的地方别拆",
        },
    )
    s.response_enter_paper(
        actor=office,
        survey=survey,
        answers={str(k): v for k, v in _answers_from(_paper(survey, "同意", "")).items()},
        collection_point="居委会窗口",
    )
    client = login(users["hx_worker"])
    url = reverse("livelihood_survey", args=[survey.pk])
    page = _text(client.get(url))
    assert "已收到 2 份（结果在征询结束后公布）" in page
    assert "晾衣服的地方别拆" not in page and "居委会窗口" not in page
    assert 'id="results"' not in page and 'id="online-count"' not in page
    # when closed
    assert client.post(reverse("livelihood_survey_close", args=[survey.pk])).status_code == 302
    page = _text(client.get(url))
    assert 'id="online-count">1<' in page and 'id="paper-count">1<' in page
    assert "晾衣服的地方别拆" in page and "居委会窗口" in page
    assert "<td>同意</td><td>0</td><td>1</td><td><strong>1</strong></td>" in page
    assert "<td>不同意</td><td>1</td><td>0</td><td><strong>1</strong></td>" in page
    assert f"chart-q{questions['是否同意改造？'].pk}" in page
    # a free-text answer is published by staff
    answer = ResponseAnswer.objects.get(text="晾衣服的地方别拆")
    response = client.post(
        reverse("livelihood_answer_publish", args=[answer.pk]), {"published": "1"}
    )
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.published
    # and the dashboard counts it, online vs paper
    dash = _text(client.get(reverse("livelihood_dashboard")))
    assert 'id="participation-online">1<' in dash and 'id="participation-paper">1<' in dash


def _answers_from(data: dict[str, Any]) -> dict[str, Any]:
    return {k[1:]: v for k, v in data.items() if k.startswith("q")}


# --- funds ---------------------------------------------------------------------------------------
def test_fund_save_and_list_figures(world: Any, users: Any, tree: Any) -> None:
    office = world["office"]
    client = login(office)
    response = client.post(
        reverse("livelihood_fund_new"),
        {"programme": world["bb"].pk, "org_unit": tree.sub_a.pk, "year": YEAR, "amount": "500000"},
    )
    assert response.status_code == 302
    fund = Fund.objects.get(programme=world["bb"], org_unit=tree.sub_a)
    assert fund.amount == Decimal("500000.00")
    project = _reviewed(world, users, ["expert1"])
    s.project_approve(actor=office, project=project, fund=world["fund"], amount="50000")
    # lowering a fund below what its projects hold is refused, under the amount
    response = client.post(
        reverse("livelihood_fund_new") + f"?fund={world['fund'].pk}",
        {
            "programme": world["sg"].pk,
            "org_unit": tree.committee_a.pk,
            "year": YEAR,
            "amount": "40000",
        },
    )
    assert response.status_code == 400
    assert "已立项项目占用 50000" in _text(response) and "预算不能少于此数。" in _text(response)
    page = _text(client.get(reverse("livelihood_funds")))
    assert 'data-figure="amount">560000.00 元<' in page
    assert 'data-figure="allocated">50000.00 元<' in page
    assert 'data-figure="balance">510000.00 元<' in page
    assert reverse("livelihood_projects") + f"?fund={world['fund'].pk}&amp;stage=funded" in page
    filtered = _text(client.get(reverse("livelihood_funds") + f"?programme={world['bb'].pk}"))
    assert 'data-figure="amount">500000.00 元<' in filtered
    # the committee worker reads funds but does not manage them
    worker = login(users["hx_worker"])
    assert worker.get(reverse("livelihood_funds")).status_code == 200
    assert worker.get(reverse("livelihood_fund_new")).status_code == 403


# --- exports and query counts -----------------------------------------------------------------------
def test_exports_are_xlsx(world: Any, users: Any) -> None:
    client = login(world["office"])
    response = client.get(reverse("livelihood_projects") + "?kind=self_governance&export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "项目名称"
    assert [r[0] for r in rows[1:]] == ["望花园"]  # the filter applies to the export
    response = client.get(reverse("livelihood_funds") + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][3] == 60000


def _add_projects(world: dict[str, Any], tree: Any, n: int, start: int) -> None:
    office = world["office"]
    compound = CompoundFactory(org_unit=tree.committee_a)
    for i in range(start, start + n):
        programme = world["sg"] if i % 2 else world["bb"]
        org = tree.committee_a if i % 2 else tree.committee_b
        make_project(
            programme,
            org,
            actor=office,
            title=f"批量项目{i}",
            compound=compound if org == tree.committee_a else None,
        )


def test_project_list_query_count_is_constant(world: Any, users: Any, tree: Any) -> None:
    client = login(world["office"])
    url = reverse("livelihood_projects") + "?stage=open"
    _add_projects(world, tree, 1, 0)  # with the fixture's two: 3 rows
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert "共 3 个项目" in _text(response)
    _add_projects(world, tree, 27, 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "共 30 个项目" in _text(response)
    assert len(many) == len(few)


def test_fund_list_query_count_is_constant(world: Any, users: Any, tree: Any) -> None:
    client = login(world["office"])
    url = reverse("livelihood_funds")

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_fund(world["bb"], tree.committee_a if i % 2 else tree.committee_b, year=2000 + i)

    add(2, 0)  # with the fixture's fund: 3 rows
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert "共 3 项资金" in _text(response)
    add(27, 2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "共 30 项资金" in _text(response)
    assert len(many) == len(few)


def test_review_desk_query_count_is_constant(world: Any, users: Any, tree: Any) -> None:
    office = world["office"]
    client = login(office)
    url = reverse("livelihood_reviews")

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            p = make_project(world["bb"], tree.committee_b, actor=office, title=f"评审项目{i}")
            p = walk_to(p, Stage.OPINION_SURVEY, office=office)
            s.review_assign(actor=office, project=p, expert=users["expert1"])

    add(1, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(4, 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "共 5 项评审" in _text(response)
    assert len(many) == len(few)


def test_overview_reads_the_rollups_not_the_projects(world: Any, tree: Any) -> None:
    """Stage and committee counts come from the roll-ups: the projects are read only for the
    map's capped points."""
    office = world["office"]
    client = login(office)
    url = reverse("livelihood_overview")

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_project(world["bb"], tree.committee_b, actor=office, title=f"总览项目{i}")

    add(1, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(6, 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    reading = [q["sql"] for q in many.captured_queries if 'FROM "livelihood_project"' in q["sql"]]
    assert len(reading) == 1 and "LIMIT" in reading[0], "\n".join(reading)
    programmes = {p["kind"]: p for p in response.context["programmes"]}
    assert (
        programmes["beautiful_block"]["total"]
        == Project.objects.filter(programme=world["bb"]).count()
    )
    by_code = {c["code"]: c["total"] for c in response.context["committees"]}
    assert (
        by_code[tree.committee_b.code] == Project.objects.filter(org_unit=tree.committee_b).count()
    )


def test_overview_counts_link_to_their_rows(world: Any, users: Any, tree: Any) -> None:
    office = world["office"]
    tree.committee_a.boundary = {
        "type": "Polygon",
        "coordinates": [[[121.46, 31.24], [121.47, 31.24], [121.47, 31.25], [121.46, 31.24]]],
    }
    tree.committee_a.save()
    Project.objects.filter(pk=world["garden"].pk).update(
        longitude=Decimal("121.465"), latitude=Decimal("31.245")
    )
    walk_to(
        world["wall"],
        Stage.COMPLETED,
        office=office,
        experts=[users["expert1"]],
        fund=make_fund(world["bb"], tree.sub_a),
    )
    client = login(office)
    page = _text(client.get(reverse("livelihood_overview")))
    assert 'data-figure="total-beautiful_block">1<' in page
    assert 'data-figure="landed-beautiful_block"><strong>1</strong>' in page
    assert reverse("livelihood_projects") + "?kind=beautiful_block&amp;stage=done" in page
    assert '"code": "TMX-HX"' in page and '"Polygon"' in page  # the map's own GeoJSON
    assert "121.465" in page  # the project's point
    landed = _text(client.get(reverse("livelihood_projects") + "?kind=beautiful_block&stage=done"))
    assert "光复路909号山墙" in landed and "望花园" not in landed
    by_org = _text(client.get(reverse("livelihood_projects") + f"?org={tree.committee_a.path}"))
    assert "望花园" in by_org and "光复路909号山墙" not in by_org
    dash = _text(client.get(reverse("livelihood_dashboard")))
    assert reverse("livelihood_projects") + f"?kind=beautiful_block&amp;year={YEAR}" in dash


# --- on a phone ------------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_fit_a_phone_and_draw_their_charts(tree: Any, users: Any, live_server: Any) -> None:
    import os
    from pathlib import Path
    from urllib.parse import urlparse

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("JIEDAO_REQUIRE_BROWSER") == "1":
            pytest.fail("JIEDAO_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    # given a committee with its own boundary, a located project and a closed survey
    office = users["tmx_livelihood"]
    tree.committee_a.boundary = {
        "type": "Polygon",
        "coordinates": [[[121.46, 31.24], [121.47, 31.24], [121.47, 31.25], [121.46, 31.24]]],
    }
    tree.committee_a.save()
    sg = make_programme(tree.sub_a, ProgrammeKind.SELF_GOVERNANCE, brand="添睦")
    fund = make_fund(sg, tree.committee_a, amount="60000")
    project = make_project(
        sg,
        tree.committee_a,
        actor=office,
        title="望花园",
        longitude="121.465",
        latitude="31.245",
        description="把车棚顶改成居民共同打理的空中花园，" * 5,
    )
    project = walk_to(project, Stage.APPROVED, office=office, experts=[users["expert1"]], fund=fund)
    survey = project.surveys.get()
    pages = [
        reverse("livelihood_overview"),
        reverse("livelihood_project", args=[project.pk]),
        reverse("livelihood_survey", args=[survey.pk]),
        reverse("livelihood_dashboard"),
        reverse("livelihood_projects"),
        reverse("livelihood_fund", args=[fund.pk]),
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
        page = context.new_page()
        requested: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", office.username)
        page.fill("input[name=password]", "pw")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        canvases = {}
        # when they open each page on a 375-px-wide screen
        for url in pages:
            page.goto(live_server.url + url)
            page.wait_for_load_state("networkidle")
            # then nothing is wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= 376, url
            canvases[url] = page.locator("canvas").count()
        context.close()
        browser.close()
    # and the map and the charts were drawn, without a script error or a request elsewhere
    assert errors == []
    assert canvases[pages[0]] >= 1 and canvases[pages[2]] >= 1 and canvases[pages[3]] >= 1
    host = urlparse(live_server.url).netloc
    assert [u for u in requested if urlparse(u).netloc not in (host, "")] == []


def test_staff_pages_never_name_the_proposing_resident(world: Any, users: Any, tree: Any) -> None:
    from tests.factories import make_person

    resident = users["resident1"]
    make_person(tree.committee_a, user=resident)
    project = s.project_propose(
        actor=resident,
        programme=world["sg"],
        title="楼道里装扶手",
        place_name="5号楼楼道",
        description="老人上下楼不方便",
    )
    s.project_transition(actor=world["office"], project=project, to_stage=Stage.SITE_SURVEY)
    page = _text(login(world["office"]).get(reverse("livelihood_project", args=[project.pk])))
    assert "老人上下楼不方便" in page and "提议居民" in page
    assert resident.username not in page
    assert "tmx_livelihood" in page  # staff are named, for staff
