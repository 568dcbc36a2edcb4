"""The public and residents' pages (社区微更新) and the photo files."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from jiedao.core.pii import mask_id_number, mask_phone
from jiedao.livelihood import services as s
from jiedao.livelihood.models import (
    Follow,
    PartyKind,
    PhotoKind,
    ProgrammeKind,
    Project,
    ProposerKind,
    QuestionKind,
    Response,
    ResponseAnswer,
    ResponseChannel,
    Stage,
)
from tests.conftest import login
from tests.factories import id_number, make_person, mobile
from tests.livelihood.factories import (
    image_bytes,
    make_fund,
    make_programme,
    make_project,
    open_survey,
    walk_to,
)

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


# --- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def office(users: dict[str, Any]) -> Any:
    user = users["tmx_livelihood"]
    user.display_name = "钱主任"
    user.save(update_fields=["display_name"])
    return user


@pytest.fixture
def programme(tree: Any) -> Any:
    return make_programme(tree.sub_a, ProgrammeKind.SELF_GOVERNANCE, brand="添睦")


PII = {"name": "孙丽华", "id_no": id_number(), "phone": mobile()}


@pytest.fixture
def resident(tree: Any, users: dict[str, Any]) -> Any:
    """resident1, a resident of 华新 with a name, an ID number and a phone on file."""
    make_person(
        tree.committee_a,
        PII["name"],
        id_no=PII["id_no"],
        phone=PII["phone"],
        user=users["resident1"],
    )
    return users["resident1"]


def _answers(survey: Any, **by_kind: Any) -> dict[int, Any]:
    return {q.pk: by_kind[q.kind] for q in survey.questions.all() if q.kind in by_kind}


def _post_answers(survey: Any, **by_kind: Any) -> dict[str, Any]:
    return {f"q{pk}": value for pk, value in _answers(survey, **by_kind).items()}


def _published(programme: Any, org: Any, office: Any, **kw: Any) -> Project:
    return make_project(programme, org, actor=office, published=True, **kw)


# --- reading without login ----------------------------------------------------------------
def test_anonymous_reads_index_org_and_published_project(tree, programme, office):
    # given a published and an unpublished project in 华新
    shown = _published(programme, tree.committee_a, office, title="望花园", theme="屋顶花园")
    hidden = make_project(programme, tree.committee_a, actor=office, title="还没公开的项目")
    client = Client()
    # when / then: the index lists the programme, the committee and the published project
    index = client.get(reverse("livelihood_public"))
    assert index.status_code == 200
    body = index.content.decode()
    assert "自治金（添睦）" in body and "华新居委会" in body and "望花园" in body
    assert "还没公开的项目" not in body
    assert reverse("livelihood_public_org", args=["TMX-HX"]) in body
    # the committee's page lists it under its year
    org = client.get(reverse("livelihood_public_org", args=["TMX-HX"]))
    assert org.status_code == 200
    assert "望花园" in org.content.decode() and "还没公开的项目" not in org.content.decode()
    assert f"{shown.year} 年" in org.content.decode()
    # the subdistrict's page too
    assert client.get(reverse("livelihood_public_org", args=["TMX"])).status_code == 200
    # and the project's page, with programme, brand, committee, theme and stage
    page = client.get(reverse("livelihood_public_project", args=[shown.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for part in ("望花园", "自治金", "添睦", "华新居委会", "屋顶花园", "提议"):
        assert part in text
    # the unpublished one is not there for anyone on the public URL
    assert client.get(reverse("livelihood_public_project", args=[hidden.pk])).status_code == 404
    staff = login(office)
    assert staff.get(reverse("livelihood_public_project", args=[hidden.pk])).status_code == 404
    # a committee without published projects has no public page
    assert client.get(reverse("livelihood_public_org", args=["TMX-FGN"])).status_code == 404
    assert client.get(reverse("livelihood_public_org", args=["NOPE"])).status_code == 404


def test_org_page_filters_by_programme(tree, programme, office):
    block = make_programme(tree.sub_a, ProgrammeKind.BEAUTIFUL_BLOCK)
    _published(programme, tree.committee_a, office, title="自治金项目甲")
    _published(block, tree.committee_a, office, title="街区项目乙")
    url = reverse("livelihood_public_org", args=["TMX-HX"])
    body = Client().get(url, {"programme": block.pk}).content.decode()
    assert "街区项目乙" in body and "自治金项目甲" not in body
    body = Client().get(url).content.decode()
    assert "街区项目乙" in body and "自治金项目甲" in body


def _rich_project(tree, users, programme, office, resident) -> Project:
    """A resident's proposal taken to approval with every kind of record on it."""
    project = s.project_propose(
        actor=resident,
        programme=programme,
        title="光复路909号山墙",
        place_name="光复路909号",
        description="山墙斑驳，希望画上绿色森林。",
        budget_requested="52000",
        theme="绿色森林",
    )
    s.project_publish(actor=office, project=project)
    s.party_add(actor=office, project=project, kind=PartyKind.OWNERS_COMMITTEE, name="909弄业委会")
    s.party_add(actor=office, project=project, kind=PartyKind.GROUP_LEADER, name="刘建国")
    project = walk_to(project, Stage.SITE_SURVEY, office=office)
    s.site_survey_record(
        actor=office,
        project=project,
        day=date.today(),
        findings="墙面剥落严重",
        leaders="张书记",
        staff="李干事",
        residents="王阿姨",
    )
    project = s.project_transition(actor=office, project=project, to_stage=Stage.OPINION_SURVEY)
    survey = open_survey(project, office)
    s.response_submit_online(
        actor=resident,
        survey=survey,
        answers=_answers(
            survey,
            single="同意",
            multiple=["座椅", "绿化"],
            scale=5,
            text="希望多种点月季花",
        ),
    )
    s.response_enter_paper(
        actor=users["hx_worker"],
        survey=survey,
        answers=_answers(survey, single="不同意", multiple=["照明"], scale=2, text="楼下太吵了"),
        collection_point="3号楼门口",
    )
    s.survey_close(actor=office, survey=survey)
    published = ResponseAnswer.objects.get(text="希望多种点月季花")
    s.answer_publish(actor=office, answer=published)
    fund = make_fund(programme, tree.committee_a)
    expert = users["expert1"]
    expert.display_name = "赵专家"
    expert.save(update_fields=["display_name"])
    return walk_to(project, Stage.APPROVED, office=office, experts=[expert], fund=fund)


def test_public_project_page_shows_no_personal_data(tree, users, programme, office, resident):
    # given a project with a resident's proposal, answers, a site survey and an expert review
    project = _rich_project(tree, users, programme, office, resident)
    id_no, phone = PII["id_no"], PII["phone"]
    url = reverse("livelihood_public_project", args=[project.pk])
    anonymous = Client()
    for client in (anonymous, login(resident)):
        # when anyone reads its public page
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        if client is not anonymous:  # the header names the signed-in user to themselves
            body = body.split("<main")[1]
        # then the story is there
        assert "光复路909号山墙" in body and "绿色森林" in body and "墙面剥落严重" in body
        assert "909弄业委会" in body and "楼组长" in body
        assert "居民" in body
        assert "希望多种点月季花" in body  # a published free-text answer
        # and nobody's personal data is
        forbidden = [
            "孙丽华",
            id_no,
            mask_id_number(id_no),
            phone,
            mask_phone(phone),
            "resident1",
            "hx_worker",
            "tmx_livelihood",
            "expert1",
            "钱主任",
            "赵专家",
            "张书记",
            "李干事",
            "王阿姨",
            "刘建国",
            "3号楼门口",
            "楼下太吵了",  # not published
            "48000",  # the expert's cost estimate
            "方案可行",  # the expert's reasons
        ]
        leaked = [word for word in forbidden if word in body]
        assert leaked == []


def test_survey_results_sealed_while_open_then_online_vs_paper(
    tree, users, programme, office, resident
):
    # given a published project with an open survey, answered online and on paper
    project = _published(programme, tree.committee_a, office, title="口袋公园")
    project = walk_to(project, Stage.OPINION_SURVEY, office=office)
    survey = open_survey(project, office)
    s.response_submit_online(
        actor=resident,
        survey=survey,
        answers=_answers(survey, single="同意", multiple=["座椅"], scale=4, text="非常支持改造"),
    )
    for choice in ("同意", "不同意"):
        s.response_enter_paper(
            actor=users["hx_worker"],
            survey=survey,
            answers=_answers(survey, single=choice, multiple=["绿化"], scale=3),
            collection_point="居委会",
        )
    url = reverse("livelihood_public_project", args=[project.pk])
    # when it is open, then the page says so and shows no figures
    body = Client().get(url).content.decode()
    assert "结果将在征询结束后公布" in body
    assert 'class="online"' not in body and "平均分" not in body
    # when it is closed, then the totals show online and paper apart
    s.survey_close(actor=office, survey=survey)
    body = Client().get(url).content.decode()
    assert '<strong class="total">3</strong>' in body
    assert '<strong class="online">1</strong>' in body
    assert '<strong class="paper">2</strong>' in body
    # single choice: 同意 once online and once on paper
    assert re.search(r"<td>同意</td><td>1</td><td>1</td><td>2", body)
    assert re.search(r"<td>不同意</td><td>0</td><td>1</td><td>1", body)
    assert "3.33" in body  # mean of 4, 3, 3
    # the free text is not published: counted, not shown
    assert "非常支持改造" not in body and "另有 1 条文字意见未公开" in body


# --- answering a survey --------------------------------------------------------------------
@pytest.fixture
def open_project_survey(tree, programme, office) -> Any:
    project = _published(programme, tree.committee_a, office, title="华新花园")
    project = walk_to(project, Stage.OPINION_SURVEY, office=office)
    return open_survey(project, office)


def test_resident_answers_once_online(resident, open_project_survey):
    survey = open_project_survey
    client = login(resident)
    url = reverse("livelihood_public_survey", args=[survey.pk])
    # the form shows each kind of question
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="radio"' in html and 'type="checkbox"' in html and "<textarea" in html
    # the project's page links to it
    project_page = client.get(reverse("livelihood_public_project", args=[survey.project_id]))
    assert url in project_page.content.decode()
    # when they answer
    answers = _post_answers(
        survey, single="同意", multiple=["座椅", "照明"], scale="4", text="多放几张长椅"
    )
    response = client.post(url, answers)
    assert response.status_code == 302
    # then one online response is theirs, with the answers
    saved = Response.objects.get(survey=survey)
    assert saved.channel == ResponseChannel.ONLINE and saved.respondent_id == resident.pk
    texts = {a.question.kind: a for a in saved.answers.select_related("question")}
    assert texts[QuestionKind.MULTIPLE].choices == ["座椅", "照明"]
    assert texts[QuestionKind.SCALE].number == 4
    # and the page shows their own answers, read-only, and that results come later
    after = client.get(url).content.decode()
    assert "您已提交" in after and "多放几张长椅" in after and "座椅、照明" in after
    assert "结果将在征询结束后公布" in after
    assert "<textarea" not in after
    project_page = client.get(reverse("livelihood_public_project", args=[survey.project_id]))
    assert "您已提交" in project_page.content.decode()
    # a second answer is refused with the service's message
    again = client.post(url, answers)
    assert again.status_code == 400
    assert "您已经提交过这份征询，每位居民只能提交一次。" in again.content.decode()
    assert Response.objects.filter(survey=survey).count() == 1


def test_missing_required_answer_is_named(resident, open_project_survey):
    survey = open_project_survey
    url = reverse("livelihood_public_survey", args=[survey.pk])
    response = login(resident).post(url, _post_answers(survey, single="同意"))
    assert response.status_code == 400
    assert "“希望增加的设施”为必答题。" in response.content.decode()
    # what they typed is kept
    assert re.search(r'value="同意"[^>]*checked', response.content.decode())
    # nothing at all: every required question is named
    empty = login(resident).post(url, {})
    assert empty.status_code == 400
    assert "“是否同意改造？”为必答题。" in empty.content.decode()
    assert not Response.objects.exists()


def test_only_residents_of_the_committee_may_answer(tree, users, resident, open_project_survey):
    survey = open_project_survey
    url = reverse("livelihood_public_survey", args=[survey.pk])
    answers = _post_answers(survey, single="同意", multiple=["座椅"], scale="3")
    # a resident of another committee: not found
    from tests.factories import UserFactory

    other = UserFactory.with_role("resident", tree.committee_b, username="fgn_resident")
    make_person(tree.committee_b, "周八", user=other)
    assert login(other).get(url).status_code == 404
    assert login(other).post(url, answers).status_code == 404
    # a resident account without a resident record: not found either
    bare = UserFactory.with_role("resident", tree.committee_a, username="bare_resident")
    assert login(bare).get(url).status_code == 404
    # staff are not residents: forbidden
    assert login(users["hx_worker"]).get(url).status_code == 403
    assert login(users["hx_worker"]).post(url, answers).status_code == 403
    # anonymous: to the login page
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert not Response.objects.exists()


def test_draft_survey_is_not_found(tree, programme, office, resident):
    project = _published(programme, tree.committee_a, office)
    draft = s.survey_create(actor=office, project=project, title="草稿", questions=[])
    url = reverse("livelihood_public_survey", args=[draft.pk])
    assert login(resident).get(url).status_code == 404


# --- proposing -----------------------------------------------------------------------------
def test_resident_proposes_and_sees_it_in_mine_not_publicly(tree, programme, office, resident):
    client = login(resident)
    assert client.get(reverse("livelihood_public_propose")).status_code == 200
    # when they propose
    response = client.post(
        reverse("livelihood_public_propose"),
        {
            "programme": programme.pk,
            "title": "车棚顶上种花",
            "place_name": "展望小区",
            "description": "车棚顶光秃秃的。",
            "theme": "屋顶花园",
            "budget_requested": "3000",
        },
    )
    # then they land on their page, and the project is theirs, unpublished
    assert response.status_code == 302
    assert response["Location"] == reverse("livelihood_public_mine")
    project = Project.objects.get(title="车棚顶上种花")
    assert project.proposed_by_id == resident.pk and not project.published
    assert project.proposer_kind == ProposerKind.RESIDENT
    assert project.org_unit_id == tree.committee_a.pk
    mine = client.get(reverse("livelihood_public_mine")).content.decode()
    assert "车棚顶上种花" in mine and "待工作人员审核公开" in mine
    # not public yet
    url = reverse("livelihood_public_project", args=[project.pk])
    assert Client().get(url).status_code == 404
    assert "车棚顶上种花" not in Client().get(reverse("livelihood_public")).content.decode()
    # once staff publish it, it is, showing "居民" and not their name
    s.project_publish(actor=office, project=project)
    body = Client().get(url).content.decode()
    assert "车棚顶上种花" in body and "居民" in body and "孙丽华" not in body


def test_propose_errors_and_access(tree, users, programme, resident):
    client = login(resident)
    bad = client.post(
        reverse("livelihood_public_propose"),
        {"programme": programme.pk, "title": "x", "place_name": "y", "description": "  "},
    )
    assert bad.status_code == 400
    assert "这个字段是必填项。" in bad.content.decode()
    assert client.post(reverse("livelihood_public_propose"), {}).status_code == 400
    assert not Project.objects.exists()
    # a programme of another subdistrict is not offered
    other = make_programme(tree.sub_b, ProgrammeKind.BEAUTIFUL_BLOCK)
    wrong = client.post(
        reverse("livelihood_public_propose"),
        {"programme": other.pk, "title": "x", "place_name": "y", "description": "z"},
    )
    assert wrong.status_code == 400 and not Project.objects.exists()
    assert login(users["hx_worker"]).get(reverse("livelihood_public_propose")).status_code == 403
    assert login(users["hx_worker"]).get(reverse("livelihood_public_mine")).status_code == 403
    assert Client().get(reverse("livelihood_public_propose")).status_code == 302


def test_mine_lists_answers_follows_and_open_surveys(
    tree, programme, office, resident, open_project_survey
):
    other = _published(programme, tree.committee_a, office, title="另一个项目")
    other = walk_to(other, Stage.OPINION_SURVEY, office=office)
    waiting = open_survey(other, office)
    s.response_submit_online(
        actor=resident,
        survey=open_project_survey,
        answers=_answers(open_project_survey, single="同意", multiple=["座椅"], scale=3),
    )
    s.follow_set(actor=resident, project=other)
    body = login(resident).get(reverse("livelihood_public_mine")).content.decode()
    answered = body.split('id="my-responses"')[1].split("</section>")[0]
    assert "华新花园" in answered and date.today().isoformat() in answered
    to_answer = body.split('id="open-surveys"')[1].split("</section>")[0]
    assert reverse("livelihood_public_survey", args=[waiting.pk]) in to_answer
    assert reverse("livelihood_public_survey", args=[open_project_survey.pk]) not in to_answer
    follows = body.split('id="my-follows"')[1].split("</section>")[0]
    assert "另一个项目" in follows


# --- following -----------------------------------------------------------------------------
def test_follow_and_unfollow(tree, users, programme, office, resident):
    project = _published(programme, tree.committee_a, office)
    client = login(resident)
    url = reverse("livelihood_public_follow", args=[project.pk])
    page_url = reverse("livelihood_public_project", args=[project.pk])
    response = client.post(url, {"following": "1"})
    assert response.status_code == 302 and response["Location"] == page_url
    assert Follow.objects.filter(project=project, user=resident).exists()
    assert "取消关注" in client.get(page_url).content.decode()
    client.post(url, {"following": "0"})
    assert not Follow.objects.filter(project=project, user=resident).exists()
    # anyone signed in may follow a published project; nobody an unpublished one of others
    hidden = make_project(programme, tree.committee_b, actor=office)
    hidden_url = reverse("livelihood_public_follow", args=[hidden.pk])
    assert client.post(hidden_url, {"following": "1"}).status_code == 404
    assert not Follow.objects.filter(project=hidden).exists()
    # their own proposal, before it is published: yes, back to their page
    own = s.project_propose(
        actor=resident, programme=programme, title="我的提议", place_name="楼下", description="种树"
    )
    s.follow_set(actor=resident, project=own, following=False)
    own_url = reverse("livelihood_public_follow", args=[own.pk])
    response = client.post(own_url, {"following": "1"})
    assert response["Location"] == reverse("livelihood_public_mine")
    assert Follow.objects.filter(project=own, user=resident).exists()
    Follow.objects.filter(project=own).delete()
    # anonymous: to the login page; GET is not allowed
    assert Client().post(url).status_code == 302
    assert client.get(url).status_code == 405
    assert not Follow.objects.exists()


# --- photo files ---------------------------------------------------------------------------
def _photo(project: Project, office: Any, **kw: Any) -> Any:
    return s.photo_upload(
        actor=office,
        project=project,
        data=kw.pop("data", None) or image_bytes(gps=True),
        name="IMG_0001.jpg",
        kind=kw.pop("kind", PhotoKind.BEFORE),
        spot="山墙",
        **kw,
    )


def test_photo_display_is_public_without_gps_original_is_staff_only(
    tree, users, programme, office, resident
):
    project = _published(programme, tree.committee_a, office)
    upload = image_bytes(gps=True)
    photo = _photo(project, office, data=upload)
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif().get_ifd(GPS_IFD)  # the upload had a location
    # the display copy: anyone, a JPEG without location, cacheable
    for size in ("display", "thumb"):
        response = Client().get(reverse("livelihood_photo", args=[photo.pk, size]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline")
        assert "public" in response["Cache-Control"]
        with Image.open(io.BytesIO(response.content)) as shown:
            assert shown.format == "JPEG"
            assert not shown.getexif().get_ifd(GPS_IFD)
            assert GPS_IFD not in shown.getexif()
    # the original: not for anonymous or residents, yes for the office, uncached
    original_url = reverse("livelihood_photo", args=[photo.pk, "original"])
    assert Client().get(original_url).status_code == 404
    assert login(resident).get(original_url).status_code == 404
    response = login(office).get(original_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.content == upload
    assert "private" in response["Cache-Control"]
    # an unknown size, an unknown photo
    assert Client().get(reverse("livelihood_photo", args=[photo.pk, "huge"])).status_code == 404
    assert (
        Client().get(reverse("livelihood_photo", args=[photo.pk + 99, "thumb"])).status_code == 404
    )


def test_photo_file_reads_only_the_bytes_it_serves(tree, programme, office):
    project = _published(programme, tree.committee_a, office)
    photo = _photo(project, office)
    _photo(project, office, kind=PhotoKind.SITE)
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(reverse("livelihood_photo", args=[photo.pk, "thumb"]))
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"thumb"' in sql
    assert '"original"' not in sql and '"display"' not in sql


def test_photo_of_unpublished_project(tree, users, programme, office):
    project = make_project(programme, tree.committee_a, actor=office)
    photo = _photo(project, office, data=image_bytes("PNG"))
    url = reverse("livelihood_photo", args=[photo.pk, "display"])
    assert Client().get(url).status_code == 404
    assert login(users["fgn_worker"]).get(url).status_code == 404
    response = login(users["hx_worker"]).get(url)
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    original = login(office).get(reverse("livelihood_photo", args=[photo.pk, "original"]))
    assert original["Content-Type"] == "image/png"


def test_project_page_pairs_before_and_after(tree, programme, office):
    project = _published(programme, tree.committee_a, office)
    before = _photo(project, office)
    after = _photo(project, office, kind=PhotoKind.AFTER, before=before)
    site = _photo(project, office, kind=PhotoKind.SITE)
    body = Client().get(reverse("livelihood_public_project", args=[project.pk])).content.decode()
    pair = body.split('class="pair"')[1].split("</div>")[0]
    assert reverse("livelihood_photo", args=[before.pk, "thumb"]) in pair
    assert reverse("livelihood_photo", args=[after.pk, "thumb"]) in pair
    assert reverse("livelihood_photo", args=[site.pk, "thumb"]) in body
    assert "/original/" not in body


def test_versions_link_only_published(tree, users, programme, office):
    fund = make_fund(programme, tree.committee_a)
    first = _published(programme, tree.committee_a, office, title="望花园")
    first = walk_to(
        first, Stage.COMPLETED, office=office, experts=[users["expert1"]], fund=fund, amount="1000"
    )
    second = s.project_next_version(actor=office, project=first, title="望花园2.0")
    page = Client().get(reverse("livelihood_public_project", args=[first.pk])).content.decode()
    assert "望花园2.0" not in page and "尚未公开" in page
    s.project_publish(actor=office, project=second)
    page = Client().get(reverse("livelihood_public_project", args=[first.pk])).content.decode()
    assert reverse("livelihood_public_project", args=[second.pk]) in page
    back = Client().get(reverse("livelihood_public_project", args=[second.pk])).content.decode()
    assert reverse("livelihood_public_project", args=[first.pk]) in back


# --- query counts --------------------------------------------------------------------------
def _many(tree, programme, office, n: int, start: int) -> None:
    block = make_programme(tree.sub_a, ProgrammeKind.BEAUTIFUL_BLOCK)
    for i in range(start, start + n):
        org = tree.committee_a if i % 2 else tree.committee_b
        project = _published(block if i % 3 else programme, org, office, title=f"项目{i}")
        if i % 2:
            _photo(project, office, data=image_bytes(size=(40, 30)))


@pytest.mark.parametrize("code", [None, "TMX"])
def test_public_lists_run_constant_queries(tree, programme, office, code):
    url = reverse("livelihood_public_org", args=[code]) if code else reverse("livelihood_public")
    client = Client()
    _many(tree, programme, office, 3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _many(tree, programme, office, 27, 3)
    assert Project.objects.filter(published=True).count() == 30
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
        assert response.status_code == 200
    assert len(many) == len(few)
    if code:
        assert response.content.decode().count('class="card"') == 30
