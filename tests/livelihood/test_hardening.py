"""Rules found missing in review: who sees expert names and residents' names, what may change
after approval, which experts may be assigned, when surveys may run and texts be published."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from jiedao.livelihood import services as s
from jiedao.livelihood.models import Feasibility, PartyKind, ProposerKind, QuestionKind, Stage
from jiedao.livelihood.services import IllegalTransition
from tests.conftest import bearer, login
from tests.livelihood.factories import (
    make_expert,
    make_fund,
    make_programme,
    make_project,
    make_resident,
    open_survey,
    walk_to,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/livelihood"
YEAR = timezone.localdate().year


def api(user: Any) -> Client:
    return Client(**bearer(user))


def test_only_review_readers_see_expert_names_on_the_project_page(tree, users):
    office, expert = users["tmx_livelihood"], users["expert1"]
    expert.display_name = "赵专家"
    expert.save()
    programme = make_programme(tree.sub_a)
    project = make_project(programme, tree.committee_a, actor=office)
    fund = make_fund(programme, tree.sub_a)
    walk_to(project, Stage.APPROVED, office=office, experts=[expert], fund=fund)
    url = f"/livelihood/projects/{project.pk}/"

    assert "赵专家" in login(office).get(url).content.decode()
    for reader in ("hx_worker", "ja_leader"):
        page = login(users[reader]).get(url)
        assert page.status_code == 200
        assert "赵专家" not in page.content.decode()


def test_the_api_does_not_name_a_resident_proposer_or_people_taking_part(tree, users):
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a)
    resident = make_resident(tree.committee_a, username="zhangsan_res")
    proposal = s.project_propose(
        actor=resident,
        programme=programme,
        title="楼道灯",
        place_name="3号楼",
        description="楼道太暗",
    )
    staff_view = api(office).get(f"{API}/projects/{proposal.pk}").json()
    assert "zhangsan_res" not in json.dumps(staff_view, ensure_ascii=False)
    assert staff_view["transitions"][0]["actor_name"] is None

    project = make_project(
        programme,
        tree.committee_a,
        actor=office,
        proposer_kind=ProposerKind.RESIDENT,
        proposer_name="王五",
    )
    s.party_add(actor=office, project=project, kind=PartyKind.VOLUNTEER, name="志愿者赵六")
    s.party_add(actor=office, project=project, kind=PartyKind.OWNERS_COMMITTEE, name="展望业委会")
    walk_to(project, Stage.OPINION_SURVEY, office=office)
    s.review_assign(actor=office, project=project, expert=users["expert1"])

    as_expert = json.dumps(
        api(users["expert1"]).get(f"{API}/projects/{project.pk}").json(), ensure_ascii=False
    )
    assert "王五" not in as_expert and "赵六" not in as_expert
    assert "展望业委会" in as_expert  # organisations are named
    as_staff = json.dumps(
        api(office).get(f"{API}/projects/{project.pk}").json(), ensure_ascii=False
    )
    assert "王五" in as_staff and "志愿者赵六" in as_staff


def test_a_huge_fund_filter_is_no_error(tree, users):
    page = login(users["tmx_livelihood"]).get("/livelihood/projects/?fund=" + "9" * 30)
    assert page.status_code == 200


def test_year_and_request_are_fixed_once_funded_and_a_closed_project_is_not_edited(tree, users):
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a)
    fund = make_fund(programme, tree.sub_a, year=YEAR)
    project = walk_to(
        make_project(programme, tree.committee_a, actor=office, year=YEAR),
        Stage.APPROVED,
        office=office,
        experts=[users["expert1"]],
        fund=fund,
    )
    with pytest.raises(ValidationError) as err:
        s.project_update(actor=office, project=project, data={"year": YEAR - 1})
    assert "year" in err.value.message_dict
    s.project_update(actor=office, project=project, data={"theme": "绿化"})  # others may change

    rejected = make_project(programme, tree.committee_a, actor=office)
    s.project_transition(actor=office, project=rejected, to_stage=Stage.REJECTED, note="重复")
    with pytest.raises(IllegalTransition):
        s.project_update(actor=office, project=rejected, data={"theme": "x"})


def test_an_edit_does_not_undo_a_stage_move_saved_meanwhile(tree, users):
    office = users["tmx_livelihood"]
    project = make_project(make_programme(tree.sub_a), tree.committee_a, actor=office)
    stale = type(project).objects.get(pk=project.pk)  # the edit form was opened before the move
    s.project_transition(actor=office, project=project, to_stage=Stage.SITE_SURVEY)
    s.project_update(actor=office, project=stale, data={"theme": "口袋公园"})
    project.refresh_from_db()
    assert project.stage == Stage.SITE_SURVEY and project.theme == "口袋公园"


def test_only_experts_of_the_subdistrict_may_be_assigned(tree, users):
    office = users["tmx_livelihood"]
    project = walk_to(
        make_project(make_programme(tree.sub_a), tree.committee_a, actor=office),
        Stage.OPINION_SURVEY,
        office=office,
    )
    outsider = make_expert(tree.sub_b)
    with pytest.raises(ValidationError):
        s.review_assign(actor=office, project=project, expert=outsider)
    answer = api(office).post(
        f"{API}/reviews",
        data=json.dumps({"project_id": project.pk, "expert_id": outsider.pk}),
        content_type="application/json",
    )
    assert answer.status_code == 404  # as for an unknown id: the account is not revealed
    assert not project.reviews.exists()
    s.review_assign(actor=office, project=project, expert=make_expert(tree.city))  # from above


def test_free_text_is_published_only_after_the_survey_closes_and_must_be_text(tree, users):
    office = users["tmx_livelihood"]
    project = make_project(make_programme(tree.sub_a), tree.committee_a, actor=office)
    survey = open_survey(project, office)
    text_q = survey.questions.get(kind=QuestionKind.TEXT)
    others = {q.pk: (q.choices[0] if q.choices else 3) for q in survey.questions.all()}
    multiple = survey.questions.get(kind=QuestionKind.MULTIPLE)
    others[multiple.pk] = [multiple.choices[0]]
    with pytest.raises(ValidationError) as err:
        s.response_enter_paper(
            actor=office,
            survey=survey,
            collection_point="门岗",
            answers={**others, text_q.pk: ["a", "b"]},
        )
    assert f"q{text_q.pk}" in err.value.message_dict
    response = s.response_enter_paper(
        actor=office, survey=survey, collection_point="门岗", answers={**others, text_q.pk: "好"}
    )
    answer = response.answers.get(question=text_q)
    with pytest.raises(IllegalTransition):
        s.answer_publish(actor=office, answer=answer)
    s.survey_close(actor=office, survey=survey)
    assert s.answer_publish(actor=office, answer=answer).published is True


def test_no_survey_on_a_decided_project_and_one_next_version_only(tree, users):
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a)
    rejected = make_project(programme, tree.committee_a, actor=office)
    s.project_transition(actor=office, project=rejected, to_stage=Stage.REJECTED, note="不可行")
    with pytest.raises(IllegalTransition):
        s.survey_create(actor=office, project=rejected, title="征询")

    fund = make_fund(programme, tree.sub_a)
    done = walk_to(
        make_project(programme, tree.committee_a, actor=office),
        Stage.COMPLETED,
        office=office,
        experts=[users["expert1"]],
        fund=fund,
    )
    s.project_next_version(actor=office, project=done, title="二期")
    with pytest.raises(IllegalTransition):
        s.project_next_version(actor=office, project=done, title="另一个二期")


def test_an_expert_may_revise_a_review_without_touching_other_fields(tree, users):
    office, expert = users["tmx_livelihood"], users["expert1"]
    project = walk_to(
        make_project(make_programme(tree.sub_a), tree.committee_a, actor=office),
        Stage.OPINION_SURVEY,
        office=office,
    )
    assignment = s.review_assign(actor=office, project=project, expert=expert)
    walk_to(project, Stage.EXPERT_REVIEW, office=office)
    scores = {c.pk: 7 for c in project.programme.criteria.all()}
    s.review_submit(
        actor=expert,
        assignment=assignment,
        scores=scores,
        feasibility=Feasibility.FEASIBLE,
        cost_estimate="1000",
        reasons="可行",
    )
    assignment.refresh_from_db()
    assert assignment.reasons == "可行" and assignment.assigned_by_id == office.pk


def test_a_resident_finds_the_programmes_to_propose_to_through_the_api(tree, users):
    mine = make_programme(tree.sub_a)
    make_programme(tree.sub_b)  # another subdistrict's
    resident = make_resident(tree.committee_a)
    rows = api(resident).get(f"{API}/programmes").json()["items"]
    assert [r["id"] for r in rows] == [mine.pk]
    answer = api(resident).post(
        f"{API}/projects/propose",
        data=json.dumps(
            {
                "programme_id": mine.pk,
                "title": "口袋花园",
                "place_name": "2号楼",
                "description": "种花",
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 201


def test_a_funds_spending_exports_to_excel(tree, users):
    import io

    from openpyxl import load_workbook

    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a)
    fund = make_fund(programme, tree.sub_a)
    project = walk_to(
        make_project(programme, tree.committee_a, actor=office),
        Stage.APPROVED,
        office=office,
        experts=[users["expert1"]],
        fund=fund,
    )
    s.spending_record(
        actor=office,
        project=project,
        day=timezone.localdate(),
        amount="1234.5",
        description="设计费",
        payee="设计院",
    )
    answer = login(office).get(f"/livelihood/funds/{fund.pk}/?export=xlsx")
    assert answer.status_code == 200
    rows = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))
    assert rows[1][2:5] == (1234.5, "设计院", "设计费")
    assert (
        login(users["bz_admin"]).get(f"/livelihood/funds/{fund.pk}/?export=xlsx").status_code == 404
    )


def test_rejecting_a_project_closes_its_open_survey(tree, users):
    office = users["tmx_livelihood"]
    project = make_project(make_programme(tree.sub_a), tree.committee_a, actor=office)
    survey = open_survey(project, office)
    s.project_transition(actor=office, project=project, to_stage=Stage.REJECTED, note="不可行")
    survey.refresh_from_db()
    assert survey.status == "closed" and survey.closed_at is not None
    resident = make_resident(tree.committee_a)
    with pytest.raises(IllegalTransition):
        s.response_submit_online(actor=resident, survey=survey, answers={})
