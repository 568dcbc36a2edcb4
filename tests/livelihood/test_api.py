"""The livelihood API: scoped by the central policy (another subdistrict's rows do not exist,
an expert reaches only their assignments, a resident only their own answers and proposals),
refused moves and overdraws are 422s with a code, results stay sealed (409) until a survey
closes, photos are checked by content, and the lists run a constant number of queries."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.accounts.models import Role
from jiedao.livelihood import selectors as sel
from jiedao.livelihood import services as s
from jiedao.livelihood.models import (
    Feasibility,
    Fund,
    Photo,
    ProgrammeKind,
    Project,
    Response,
    ResponseChannel,
    Stage,
)
from tests.conftest import bearer
from tests.factories import UserFactory, make_person
from tests.livelihood.factories import (
    image_bytes,
    make_fund,
    make_programme,
    make_project,
    open_survey,
    walk_to,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/livelihood"
YEAR = timezone.localdate().year


def api(user: Any) -> Client:
    return Client(**bearer(user))


def post_json(client: Client, url: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(url, data=json.dumps(payload or {}), content_type="application/json")


def patch_json(client: Client, url: str, payload: dict[str, Any]) -> Any:
    return client.patch(url, data=json.dumps(payload), content_type="application/json")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    return body


@pytest.fixture
def world(tree: Any, users: dict[str, Any]) -> dict[str, Any]:
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a, ProgrammeKind.BEAUTIFUL_BLOCK)
    bz_programme = make_programme(tree.sub_b, ProgrammeKind.BEAUTIFUL_BLOCK)
    return {
        "office": office,
        "experts": [users["expert1"]],
        "programme": programme,
        "fund": make_fund(programme, tree.committee_a, amount="100000"),
        "hx": make_project(programme, tree.committee_a, actor=office, title="华新街角"),
        "fgn": make_project(programme, tree.committee_b, actor=office, title="蕃瓜弄墙面"),
        "bz_programme": bz_programme,
        "bz_fund": make_fund(bz_programme, tree.committee_c),
        "bz": make_project(bz_programme, tree.committee_c, actor=users["bz_admin"], title="海昌"),
    }


@pytest.fixture
def resident(tree: Any, users: dict[str, Any]) -> Any:
    make_person(tree.committee_a, "居民甲", user=users["resident1"])
    return users["resident1"]


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["items"]}


# --- scoping ------------------------------------------------------------------------------------
def test_another_subdistrict_sees_nothing_of_ours(world: dict[str, Any], users: Any) -> None:
    bz = api(users["bz_admin"])
    assert ids(bz.get(f"{API}/projects")) == {world["bz"].pk}
    assert ids(bz.get(f"{API}/funds")) == {world["bz_fund"].pk}
    assert ids(bz.get(f"{API}/programmes")) == {world["bz_programme"].pk}
    hx = world["hx"]
    for url in (
        f"{API}/projects/{hx.pk}",
        f"{API}/funds/{world['fund'].pk}",
        f"{API}/programmes/{world['programme'].pk}",
        f"{API}/projects/{hx.pk}/milestones",
        f"{API}/projects/{hx.pk}/photos",
        f"{API}/projects/{hx.pk}/review-summary",
    ):
        assert_error(bz.get(url), 404, "not_found")
    moved = post_json(bz, f"{API}/projects/{hx.pk}/transitions", {"to_stage": "site_survey"})
    assert_error(moved, 404, "not_found")
    hx.refresh_from_db()
    assert hx.stage == Stage.PROPOSED
    # A committee worker sees their own committee's projects only.
    worker = api(users["hx_worker"])
    assert ids(worker.get(f"{API}/projects")) == {hx.pk}
    assert_error(worker.get(f"{API}/projects/{world['fgn'].pk}"), 404, "not_found")
    # The office sees the subdistrict, filtered by committee code, and paging is bounded.
    office = api(world["office"])
    assert ids(office.get(f"{API}/projects")) == {hx.pk, world["fgn"].pk}
    assert ids(office.get(f"{API}/projects?org=TMX-FGN")) == {world["fgn"].pk}
    assert ids(office.get(f"{API}/projects?org=BZ-HS")) == set()
    assert ids(office.get(f"{API}/projects?q=街角")) == {hx.pk}
    assert_error(office.get(f"{API}/projects?limit=100000"), 422, "validation_error")
    assert_error(office.get(f"{API}/projects?year=99999"), 422, "validation_error")


def test_programme_detail_lists_its_review_criteria(world: dict[str, Any]) -> None:
    body = api(world["office"]).get(f"{API}/programmes/{world['programme'].pk}").json()
    assert body["kind"] == "beautiful_block"
    assert [(c["name"], c["weight"]) for c in body["criteria"]] == [
        ("设计方案", 40),
        ("居民受益", 40),
        ("造价合理", 20),
    ]


# --- projects and transitions -------------------------------------------------------------------
def test_staff_create_and_update_a_project(world: dict[str, Any], tree: Any, users: Any) -> None:
    office = api(world["office"])
    payload = {
        "programme_id": world["programme"].pk,
        "org_unit_id": tree.committee_a.pk,
        "title": "光复路909号山墙",
        "place_name": "光复路909号",
        "place_kind": "building_wall",
        "theme": "绿色森林",
        "budget_requested": "80000.00",
        "parties": [{"kind": "owners_committee", "name": "光复路业委会"}],
    }
    made = post_json(office, f"{API}/projects", payload)
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["stage"] == "proposed" and body["year"] == YEAR
    assert (body["spent"], body["progress"]) == ("0.00", 0)
    assert body["next_stages"] == ["rejected", "site_survey", "withdrawn"]
    assert [p["name"] for p in body["parties"]] == ["光复路业委会"]
    changed = patch_json(office, f"{API}/projects/{body['id']}", {"theme": "森林"})
    assert changed.status_code == 200 and changed.json()["theme"] == "森林"
    assert changed.json()["title"] == "光复路909号山墙"
    # The same title again in the same committee is refused; another subdistrict may not add.
    assert_error(post_json(office, f"{API}/projects", payload), 422, "invalid")
    other = post_json(api(users["bz_admin"]), f"{API}/projects", payload)
    assert other.status_code == 404
    assert Project.objects.filter(title="光复路909号山墙").count() == 1


def test_legal_and_illegal_transitions(world: dict[str, Any], users: Any) -> None:
    office = api(world["office"])
    url = f"{API}/projects/{world['hx'].pk}"
    # Skipping ahead is illegal.
    skip = post_json(office, f"{url}/transitions", {"to_stage": "completed"})
    assert_error(skip, 422, "illegal_transition")
    ok = post_json(office, f"{url}/transitions", {"to_stage": "site_survey"})
    assert ok.status_code == 200 and ok.json()["stage"] == "site_survey"
    # The opinion survey needs a site survey on record first.
    early = post_json(office, f"{url}/transitions", {"to_stage": "opinion_survey"})
    assert "现场踏勘" in assert_error(early, 422, "illegal_transition")["message"]
    visit = post_json(
        office,
        f"{url}/site-surveys",
        {"date": timezone.localdate().isoformat(), "findings": "墙面剥落", "leaders": "王主任"},
    )
    assert visit.status_code == 201, visit.content
    body = post_json(office, f"{url}/transitions", {"to_stage": "opinion_survey"}).json()
    assert body["stage"] == "opinion_survey"
    assert [t["to_stage"] for t in body["transitions"]] == [
        "proposed",
        "site_survey",
        "opinion_survey",
    ]
    assert body["transitions"][-1]["actor_name"] == str(world["office"])
    # Rejecting is the office's decision, and needs a reason.
    worker = api(users["hx_worker"])
    refused = post_json(worker, f"{url}/transitions", {"to_stage": "rejected", "note": "重复"})
    assert_error(refused, 403, "forbidden")
    assert_error(post_json(office, f"{url}/transitions", {"to_stage": "rejected"}), 422, "invalid")
    world["hx"].refresh_from_db()
    assert world["hx"].stage == Stage.OPINION_SURVEY


def test_approval_that_would_overdraw_is_refused(world: dict[str, Any], users: Any) -> None:
    office_user = world["office"]
    small = make_fund(world["programme"], world["programme"].org_unit, amount="30000")
    project = walk_to(world["hx"], Stage.EXPERT_REVIEW, office=office_user)
    a = s.review_assign(actor=office_user, project=project, expert=users["expert1"])
    s.review_submit(
        actor=users["expert1"],
        assignment=a,
        scores={c.pk: 8 for c in world["programme"].criteria.all()},
        feasibility=Feasibility.FEASIBLE,
        cost_estimate="45000",
        reasons="可行",
    )
    office = api(office_user)
    url = f"{API}/projects/{project.pk}/approve"
    too_much = post_json(office, url, {"fund_id": small.pk, "amount": "50000.00"})
    assert "余额" in assert_error(too_much, 422, "overdraw")["message"]
    project.refresh_from_db()
    assert project.stage == Stage.EXPERT_REVIEW and project.budget_allocated is None
    fund = office.get(f"{API}/funds/{small.pk}").json()
    assert Decimal(fund["allocated"]) == 0 and Decimal(fund["balance"]) == Decimal("30000")
    assert fund["projects"] == []
    # Another subdistrict's fund does not exist for us.
    assert_error(
        post_json(office, url, {"fund_id": world["bz_fund"].pk, "amount": "1.00"}), 404, "not_found"
    )
    ok = post_json(office, url, {"fund_id": small.pk, "amount": "30000.00", "note": "同意"})
    assert ok.status_code == 200 and ok.json()["stage"] == "approved"
    assert Decimal(ok.json()["budget_allocated"]) == Decimal("30000")
    fund = office.get(f"{API}/funds/{small.pk}").json()
    assert Decimal(fund["allocated"]) == Decimal("30000") and Decimal(fund["balance"]) == 0
    assert [p["id"] for p in fund["projects"]] == [project.pk]
    listed = office.get(f"{API}/funds?programme={world['programme'].pk}&year={YEAR}").json()
    assert {r["id"]: Decimal(r["balance"]) for r in listed["items"]}[small.pk] == 0
    # Lowering the fund below what it holds is refused too.
    lower = post_json(office, f"{API}/funds/{small.pk}", {"amount": "1000.00"})
    assert_error(lower, 422, "overdraw")
    assert Fund.objects.get(pk=small.pk).amount == Decimal("30000")


def test_fund_create_then_update(world: dict[str, Any], tree: Any, users: Any) -> None:
    office = api(world["office"])
    payload = {
        "programme_id": world["programme"].pk,
        "org_unit_id": tree.committee_b.pk,
        "year": 2023,
        "amount": "50000.00",
    }
    created = post_json(office, f"{API}/funds", payload)
    assert created.status_code == 201, created.content
    assert Decimal(created.json()["balance"]) == Decimal("50000")
    again = post_json(office, f"{API}/funds", {**payload, "amount": "60000.00"})
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert Decimal(again.json()["amount"]) == Decimal("60000")
    assert_error(post_json(api(users["tmx_leader"]), f"{API}/funds", payload), 403, "forbidden")
    assert_error(post_json(api(users["bz_admin"]), f"{API}/funds", payload), 404, "not_found")


def test_spending_over_the_allocation_is_refused(world: dict[str, Any], users: Any) -> None:
    project = walk_to(
        world["hx"],
        Stage.APPROVED,
        office=world["office"],
        experts=world["experts"],
        fund=world["fund"],
        amount="30000",
    )
    office = api(world["office"])
    url = f"{API}/projects/{project.pk}/spending"
    entry = {"date": timezone.localdate().isoformat(), "amount": "20000.00", "description": "材料"}
    assert post_json(office, url, entry).status_code == 201
    assert_error(post_json(office, url, entry), 422, "overdraw")
    assert_error(post_json(api(users["hx_worker"]), url, entry), 403, "forbidden")
    rows = office.get(url).json()
    assert rows["count"] == 1 and Decimal(rows["items"][0]["amount"]) == Decimal("20000")
    assert Decimal(office.get(f"{API}/projects/{project.pk}").json()["spent"]) == 20000


def test_milestone_progress_is_weighted(world: dict[str, Any]) -> None:
    project = walk_to(
        world["hx"],
        Stage.APPROVED,
        office=world["office"],
        experts=world["experts"],
        fund=world["fund"],
    )
    office = api(world["office"])
    url = f"{API}/projects/{project.pk}/milestones"
    heavy = post_json(office, url, {"title": "墙面施工", "weight": 3})
    light = post_json(office, url, {"title": "验收", "weight": 1})
    assert heavy.status_code == 201 and light.status_code == 201
    done = post_json(office, f"{API}/milestones/{heavy.json()['id']}/state", {"state": "done"})
    assert done.status_code == 200 and done.json()["done_on"] == timezone.localdate().isoformat()
    body = office.get(url).json()
    assert (body["total_weight"], body["done_weight"], body["progress"]) == (4, 3, 75)
    assert [m["title"] for m in body["milestones"]] == ["墙面施工", "验收"]
    listed = {r["id"]: r["progress"] for r in office.get(f"{API}/projects").json()["items"]}
    assert listed[project.pk] == 75


def test_next_version_links_both_ways(world: dict[str, Any]) -> None:
    office = api(world["office"])
    early = post_json(office, f"{API}/projects/{world['hx'].pk}/next-version", {"title": "2.0"})
    assert_error(early, 422, "illegal_transition")
    project = walk_to(
        world["hx"],
        Stage.COMPLETED,
        office=world["office"],
        experts=world["experts"],
        fund=world["fund"],
    )
    s.party_add(actor=world["office"], project=project, kind="volunteer", name="志愿者队")
    made = post_json(office, f"{API}/projects/{project.pk}/next-version", {"title": "华新街角2.0"})
    assert made.status_code == 201, made.content
    new = made.json()
    assert new["previous_id"] == project.pk and new["version"] == 2
    assert new["place_name"] == project.place_name
    assert [p["name"] for p in new["parties"]] == ["志愿者队"]
    old = office.get(f"{API}/projects/{project.pk}").json()
    assert old["next_version_ids"] == [new["id"]] and old["progress"] == 100


# --- residents ----------------------------------------------------------------------------------
def test_residents_see_only_their_own_proposals(
    world: dict[str, Any], tree: Any, users: Any, resident: Any
) -> None:
    client = api(resident)
    made = post_json(
        client,
        f"{API}/projects/propose",
        {
            "programme_id": world["programme"].pk,
            "title": "楼下加座椅",
            "place_name": "华新小区3号楼",
            "description": "老人没有地方坐",
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["proposer_kind"], body["proposer_name"], body["published"]) == (
        "resident",
        "",
        False,
    )
    assert body["org_unit_id"] == tree.committee_a.pk
    assert "resident1" not in made.content.decode() and "居民甲" not in made.content.decode()
    assert body["transitions"][0]["actor_name"] is None
    assert ids(client.get(f"{API}/projects")) == {body["id"]}
    assert_error(client.get(f"{API}/projects/{world['hx'].pk}"), 404, "not_found")
    # Another resident of the same committee does not see it; staff do.
    neighbour = UserFactory.with_role(Role.RESIDENT, tree.committee_a, username="resident2")
    make_person(tree.committee_a, "居民乙", user=neighbour)
    assert_error(api(neighbour).get(f"{API}/projects/{body['id']}"), 404, "not_found")
    assert api(users["hx_worker"]).get(f"{API}/projects/{body['id']}").status_code == 200
    # Residents hold no staff endpoint.
    assert_error(
        post_json(client, f"{API}/projects/{body['id']}/transitions", {"to_stage": "site_survey"}),
        403,
        "forbidden",
    )


def test_follow_a_published_project(world: dict[str, Any], users: Any, resident: Any) -> None:
    client = api(resident)
    assert_error(post_json(client, f"{API}/projects/{world['hx'].pk}/follow"), 404, "not_found")
    s.project_publish(actor=world["office"], project=world["hx"])
    followed = post_json(client, f"{API}/projects/{world['hx'].pk}/follow")
    assert followed.json() == {"project_id": world["hx"].pk, "following": True}
    assert world["hx"].follows.filter(user=resident).exists()
    left = client.delete(f"{API}/projects/{world['hx'].pk}/follow")
    assert left.json()["following"] is False
    assert not world["hx"].follows.exists()


# --- opinion surveys ----------------------------------------------------------------------------
ANSWERS = {"同意": ["座椅"], "不同意": ["绿化", "照明"]}


def _answers(survey: Any, choice: str, text: str = "") -> dict[str, Any]:
    q = {x.kind: x.pk for x in survey.questions.all()}
    return {
        str(q["single"]): choice,
        str(q["multiple"]): ANSWERS[choice],
        str(q["scale"]): 4,
        str(q["text"]): text,
    }


def test_survey_built_opened_answered_and_closed(
    world: dict[str, Any], users: Any, resident: Any
) -> None:
    office = api(world["office"])
    project = walk_to(world["hx"], Stage.SITE_SURVEY, office=world["office"])
    created = post_json(
        office,
        f"{API}/surveys",
        {
            "project_id": project.pk,
            "title": "改造方案征询",
            "questions": [
                {"kind": "single", "text": "是否同意改造？", "choices": ["同意", "不同意"]}
            ],
        },
    )
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    assert created.json()["status"] == "draft"
    added = post_json(office, f"{API}/surveys/{sid}/questions", {"kind": "text", "text": "意见"})
    assert added.status_code == 201 and added.json()["order"] == 2
    bad = post_json(office, f"{API}/surveys/{sid}/questions", {"kind": "single", "text": "只一项"})
    assert_error(bad, 422, "invalid")
    opened = post_json(office, f"{API}/surveys/{sid}/open")
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    assert [q["kind"] for q in opened.json()["questions"]] == ["single", "text"]
    assert_error(post_json(office, f"{API}/surveys/{sid}/open"), 422, "illegal_transition")
    late = post_json(office, f"{API}/surveys/{sid}/questions", {"kind": "text", "text": "再问"})
    assert_error(late, 422, "illegal_transition")
    # The resident of the committee sees the open survey in their list.
    assert sid in ids(api(resident).get(f"{API}/surveys"))
    assert_error(api(users["bz_admin"]).get(f"{API}/surveys/{sid}"), 404, "not_found")


def test_results_sealed_until_closed_and_counted_by_channel(
    world: dict[str, Any], users: Any, resident: Any
) -> None:
    office_user = world["office"]
    project = walk_to(world["hx"], Stage.OPINION_SURVEY, office=office_user)
    survey = open_survey(project, office_user)
    office, client = api(office_user), api(resident)
    url = f"{API}/surveys/{survey.pk}"
    online = post_json(client, f"{url}/responses", {"answers": _answers(survey, "同意", "好")})
    assert online.status_code == 201, online.content
    assert online.json()["channel"] == "online" and online.json()["collection_point"] == ""
    second = post_json(client, f"{url}/responses", {"answers": _answers(survey, "不同意")})
    assert_error(second, 422, "duplicate")
    paper_body = {"answers": _answers(survey, "不同意"), "collection_point": "华新居委会"}
    assert post_json(office, f"{url}/paper", paper_body).status_code == 201
    no_point = post_json(office, f"{url}/paper", {**paper_body, "collection_point": " "})
    assert "collection_point" in assert_error(no_point, 422, "invalid")["fields"]
    assert_error(post_json(client, f"{url}/paper", paper_body), 403, "forbidden")
    # Sealed while open, for staff and residents alike; the count of answers is shown.
    sealed = assert_error(office.get(f"{url}/results"), 409, "sealed")
    assert sealed["message"] == "征询结束后才公布结果。"
    assert_error(client.get(f"{url}/results"), 409, "sealed")
    assert office.get(url).json()["response_count"] == 2
    assert office.get(f"{url}/responses").json()["count"] == 0
    mine = client.get(f"{url}/responses/mine")
    assert mine.status_code == 200 and mine.json()["id"] == online.json()["id"]
    assert ids(client.get(f"{url}/responses")) == {online.json()["id"]}
    # Closed: the results, online and paper counted apart.
    assert post_json(office, f"{url}/close").status_code == 200
    results = office.get(f"{url}/results")
    assert results.status_code == 200, results.content
    body = results.json()
    assert (body["online"], body["paper"], body["total"]) == (1, 1, 2)
    assert body["collection_points"] == [{"name": "华新居委会", "count": 1}]
    single = body["questions"][0]
    assert [(c["choice"], c["online"], c["paper"]) for c in single["choices"]] == [
        ("同意", 1, 0),
        ("不同意", 0, 1),
    ]
    assert body["questions"][2]["mean"] == 4.0
    text = body["questions"][3]
    assert [t["text"] for t in text["texts"]] == ["好"] and text["unpublished"] == 1
    # The resident sees only published free text, and only their own response.
    assert client.get(f"{url}/results").json()["questions"][3]["texts"] == []
    assert ids(client.get(f"{url}/responses")) == {online.json()["id"]}
    assert office.get(f"{url}/responses").json()["count"] == 2
    answer_id = text["texts"][0]["id"]
    # The resident's own answer, but publishing is for staff.
    assert_error(post_json(client, f"{API}/answers/{answer_id}/publish"), 403, "forbidden")
    assert_error(
        post_json(api(users["bz_admin"]), f"{API}/answers/{answer_id}/publish"), 404, "not_found"
    )
    published = post_json(office, f"{API}/answers/{answer_id}/publish")
    assert published.status_code == 200 and published.json()["published"] is True
    assert [t["text"] for t in client.get(f"{url}/results").json()["questions"][3]["texts"]] == [
        "好"
    ]
    # No answer ever names who gave it.
    for response in (office.get(f"{url}/responses"), client.get(f"{url}/responses/mine")):
        content = response.content.decode()
        assert "resident1" not in content and "居民甲" not in content
        assert "respondent" not in content and "entered_by" not in content
    assert Response.objects.filter(channel=ResponseChannel.ONLINE).count() == 1


# --- expert review ------------------------------------------------------------------------------
def test_experts_reach_only_their_assignments(world: dict[str, Any], users: Any) -> None:
    office_user = world["office"]
    project = walk_to(world["hx"], Stage.EXPERT_REVIEW, office=office_user)
    office = api(office_user)
    made = {}
    for name in ("expert1", "expert2"):
        r = post_json(
            office, f"{API}/reviews", {"project_id": project.pk, "expert_id": users[name].pk}
        )
        assert r.status_code == 201, r.content
        made[name] = r.json()["id"]
    not_expert = post_json(
        office, f"{API}/reviews", {"project_id": project.pk, "expert_id": users["hx_worker"].pk}
    )
    assert_error(not_expert, 404, "not_found")  # no expert: not one the office may invite
    assert_error(
        post_json(
            api(users["hx_worker"]),
            f"{API}/reviews",
            {"project_id": project.pk, "expert_id": users["expert1"].pk},
        ),
        403,
        "forbidden",
    )
    e1 = api(users["expert1"])
    assert ids(e1.get(f"{API}/reviews")) == {made["expert1"]}
    assert_error(e1.get(f"{API}/reviews/{made['expert2']}"), 404, "not_found")
    mine = e1.get(f"{API}/reviews/{made['expert1']}").json()
    assert [c["name"] for c in mine["criteria"]] == ["设计方案", "居民受益", "造价合理"]
    assert mine["expert_name"] is None
    # The expert sees the project assigned, and no other.
    assert ids(e1.get(f"{API}/projects")) == {project.pk}
    scores = {str(c["id"]): 8 for c in mine["criteria"]}
    submit = {
        "scores": scores,
        "feasibility": "feasible",
        "cost_estimate": "48000.00",
        "reasons": "方案可行",
    }
    other = post_json(e1, f"{API}/reviews/{made['expert2']}/submit", submit)
    assert_error(other, 404, "not_found")
    done = post_json(e1, f"{API}/reviews/{made['expert1']}/submit", submit)
    assert done.status_code == 200 and done.json()["submitted_at"]
    assert {s["criterion_id"]: Decimal(s["score"]) for s in done.json()["scores"]} == {
        int(k): Decimal("8") for k in scores
    }
    assert (
        post_json(
            api(users["expert2"]),
            f"{API}/reviews/{made['expert2']}/submit",
            {**submit, "scores": {k: 6 for k in scores}, "feasibility": "with_changes"},
        ).json()["feasibility"]
        == "with_changes"
    )
    # The combined result: the office and leaders, never an expert.
    assert_error(e1.get(f"{API}/projects/{project.pk}/review-summary"), 403, "forbidden")
    assert_error(
        api(users["hx_worker"]).get(f"{API}/projects/{project.pk}/review-summary"), 403, "forbidden"
    )
    summary = office.get(f"{API}/projects/{project.pk}/review-summary").json()
    assert (summary["assigned"], summary["submitted"], summary["mean_total"]) == (2, 2, 70.0)
    assert sorted(e["total"] for e in summary["per_expert"]) == [60.0, 80.0]
    assert {e["expert_name"] for e in summary["per_expert"]} == {
        str(users["expert1"]),
        str(users["expert2"]),
    }
    assert [c["mean"] for c in summary["per_criterion"]] == [7.0, 7.0, 7.0]
    assert {f["feasibility"]: f["count"] for f in summary["feasibility"]} == {
        "feasible": 1,
        "with_changes": 1,
        "not_feasible": 0,
    }
    assert Decimal(summary["cost_mean"]) == Decimal("48000")
    leader = api(users["tmx_leader"]).get(f"{API}/projects/{project.pk}/review-summary")
    assert leader.status_code == 200
    assert [e["expert_name"] for e in leader.json()["per_expert"]] == [None, None]
    listed = office.get(f"{API}/reviews?project={project.pk}").json()["items"]
    assert {r["expert_name"] for r in listed} == {str(users["expert1"]), str(users["expert2"])}


# --- photos -------------------------------------------------------------------------------------
def test_photos_are_checked_by_content(world: dict[str, Any], users: Any) -> None:
    office = api(world["office"])
    url = f"{API}/projects/{world['hx'].pk}/photos"
    fake = SimpleUploadedFile("wall.jpg", b"not a picture at all", content_type="image/jpeg")
    refused = office.post(url, {"kind": "before", "spot": "山墙", "file": fake})
    body = assert_error(refused, 422, "invalid")
    assert "文件不是可识别的图片" in body["message"]
    assert not Photo.objects.exists()
    real = SimpleUploadedFile("wall.jpg", image_bytes("JPEG", gps=True), content_type="image/jpeg")
    made = office.post(url, {"kind": "before", "spot": "山墙", "caption": "改造前", "file": real})
    assert made.status_code == 201, made.content
    before = made.json()
    assert (before["kind"], before["spot"], before["width"], before["height"]) == (
        "before",
        "山墙",
        800,
        600,
    )
    assert before["thumb_url"] == f"/livelihood/photos/{before['id']}/thumb/"
    assert before["display_url"] == f"/livelihood/photos/{before['id']}/display/"
    after_file = SimpleUploadedFile("after.png", image_bytes("PNG"), content_type="image/png")
    after = office.post(url, {"kind": "after", "before_id": before["id"], "file": after_file})
    assert after.status_code == 201, after.content
    assert after.json()["before_id"] == before["id"] and after.json()["spot"] == "山墙"
    listed = office.get(url).json()
    assert [(p["id"], p["kind"]) for p in listed["items"]] == [
        (after.json()["id"], "after"),
        (before["id"], "before"),
    ]
    assert "original" not in listed["items"][0]
    stored = Photo.objects.get(pk=before["id"])
    assert stored.original_had_location and b"TestPhone" not in bytes(stored.display)
    # Out of scope: the photos do not exist; read-only staff may not upload.
    assert_error(api(users["bz_admin"]).get(url), 404, "not_found")
    again = SimpleUploadedFile("x.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    assert_error(
        api(users["tmx_leader"]).post(url, {"kind": "site", "file": again}), 403, "forbidden"
    )


# --- query counts -------------------------------------------------------------------------------
def _count(client: Client, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries), response.json()


def _more_projects(world: dict[str, Any], tree: Any, n: int, start: int) -> None:
    """n more projects, half of them approved from the fund with a milestone."""
    orgs = [tree.committee_a, tree.committee_b]
    for k in range(start, start + n):
        project = make_project(
            world["programme"], orgs[k % 2], actor=world["office"], title=f"项目{k}"
        )
        if k % 2:
            # A fund of its own (a year of its own) so that the fund list grows as well.
            fund = make_fund(world["programme"], orgs[1], year=1800 + k, amount="100000")
            Project.objects.filter(pk=project.pk).update(year=fund.year)
            project.refresh_from_db()
            project = walk_to(
                project, Stage.APPROVED, office=world["office"], experts=world["experts"], fund=fund
            )
            s.milestone_add(actor=world["office"], project=project, title="施工", weight=2)


def test_project_list_query_count_is_constant(world: dict[str, Any], tree: Any) -> None:
    client = api(world["office"])
    _more_projects(world, tree, 1, start=0)
    url = f"{API}/projects?limit=100"
    _count(client, url)  # warm-up: the token's first use
    few, body = _count(client, url)
    assert body["count"] == 3
    _more_projects(world, tree, 27, start=100)
    many, body = _count(client, url)
    assert body["count"] == 30
    assert many == few


def test_fund_list_query_count_is_constant(world: dict[str, Any], tree: Any) -> None:
    client = api(world["office"])
    _more_projects(world, tree, 4, start=0)  # two more funds, each holding a project
    url = f"{API}/funds?limit=100"
    _count(client, url)
    few, body = _count(client, url)
    assert body["count"] == 3
    assert sel.fund_list(user=world["office"]).count() == 3
    _more_projects(world, tree, 54, start=100)
    many, body = _count(client, url)
    assert body["count"] == 30
    assert many == few
    held = [r for r in body["items"] if Decimal(r["allocated"])]
    assert len(held) == 29 and all(Decimal(r["balance"]) == Decimal("50000") for r in held)
