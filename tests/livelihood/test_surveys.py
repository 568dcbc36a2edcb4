"""Opinion surveys: typed questions, a builder locked once open, one online answer per resident
of the committee, paper answers with their collection point, and results sealed until close."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from jiedao.core.permissions import NotPermitted
from jiedao.livelihood import selectors as sel
from jiedao.livelihood import services as s
from jiedao.livelihood.models import (
    QuestionKind,
    Response,
    ResponseAnswer,
    ResponseChannel,
    Survey,
    SurveyStatus,
)
from jiedao.livelihood.selectors import Sealed
from jiedao.livelihood.services import IllegalTransition
from tests.livelihood.factories import (
    QUESTIONS,
    make_programme,
    make_project,
    make_resident,
    open_survey,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(tree, users):
    return make_project(make_programme(tree.sub_a), tree.committee_a, actor=users["hx_worker"])


@pytest.fixture
def survey(project, users) -> Survey:
    return open_survey(project, users["hx_worker"])


def answers(
    survey: Survey,
    single: Any = "同意",
    multiple: Any = ("座椅",),
    scale: Any = 4,
    text: Any = "",
) -> dict[Any, Any]:
    by_kind = {q.kind: q.pk for q in survey.questions.all()}
    return {
        by_kind[QuestionKind.SINGLE]: single,
        by_kind[QuestionKind.MULTIPLE]: list(multiple) if isinstance(multiple, tuple) else multiple,
        by_kind[QuestionKind.SCALE]: scale,
        by_kind[QuestionKind.TEXT]: text,
    }


def question(survey: Survey, kind: str):
    return survey.questions.get(kind=kind)


# --- the builder ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "field"),
    [
        ({"kind": QuestionKind.SINGLE, "text": "同意吗", "choices": ["同意"]}, "choices"),
        ({"kind": QuestionKind.SINGLE, "text": "同意吗", "choices": ["同意", " 同意 "]}, "choices"),
        ({"kind": QuestionKind.MULTIPLE, "text": "设施", "choices": ["座椅", "  "]}, "choices"),
        (
            {"kind": QuestionKind.SCALE, "text": "满意度", "scale_min": 3, "scale_max": 3},
            "scale_max",
        ),
        (
            {"kind": QuestionKind.SCALE, "text": "满意度", "scale_min": 5, "scale_max": 1},
            "scale_max",
        ),
        (
            {"kind": QuestionKind.SCALE, "text": "满意度", "scale_min": 1, "scale_max": 11},
            "scale_max",
        ),
        (
            {"kind": QuestionKind.SCALE, "text": "满意度", "scale_min": -1, "scale_max": 5},
            "scale_max",
        ),
        ({"kind": QuestionKind.SCALE, "text": "满意度", "scale_max": "五"}, "scale_max"),
        ({"kind": "ranking", "text": "排序"}, "kind"),
        ({"kind": QuestionKind.TEXT, "text": "   "}, "text"),
    ],
)
def test_bad_questions_are_refused_and_no_survey_is_made(project, users, q, field) -> None:
    with pytest.raises(ValidationError) as exc:
        s.survey_create(actor=users["hx_worker"], project=project, title="征询", questions=[q])
    assert field in exc.value.message_dict
    assert not Survey.objects.exists()


def test_questions_are_cleaned_and_numbered(project, users) -> None:
    survey = s.survey_create(
        actor=users["hx_worker"],
        project=project,
        title=" 征询 ",
        questions=[
            {"kind": QuestionKind.MULTIPLE, "text": " 设施 ", "choices": [" 座椅", "", "绿化 "]},
            {"kind": QuestionKind.SCALE, "text": "满意度", "scale_min": 0, "scale_max": 10},
            {"kind": QuestionKind.TEXT, "text": "意见", "choices": ["x", "y"], "required": False},
        ],
    )
    rows = list(
        survey.questions.values_list(
            "order", "text", "choices", "scale_min", "scale_max", "required"
        )
    )
    assert rows == [
        (1, "设施", ["座椅", "绿化"], 1, 5, True),
        (2, "满意度", [], 0, 10, True),
        (3, "意见", [], 1, 5, False),
    ]
    assert survey.title == "征询"
    assert survey.status == SurveyStatus.DRAFT
    q = s.question_add(
        actor=users["hx_worker"], survey=survey, question={"kind": "text", "text": "补充"}
    )
    assert q.order == 4


def test_a_survey_without_questions_cannot_open(project, users) -> None:
    survey = s.survey_create(actor=users["hx_worker"], project=project, title="征询")
    with pytest.raises(ValidationError, match="请先添加题目"):
        s.survey_open(actor=users["hx_worker"], survey=survey)
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT


def test_the_builder_is_locked_once_open(project, users) -> None:
    worker = users["hx_worker"]
    survey = s.survey_create(actor=worker, project=project, title="征询", questions=QUESTIONS)
    extra = s.question_add(actor=worker, survey=survey, question={"kind": "text", "text": "补充"})
    s.question_delete(actor=worker, question=extra)
    assert survey.questions.count() == 4
    s.survey_open(actor=worker, survey=survey)
    assert survey.status == SurveyStatus.OPEN and survey.opened_at is not None
    with pytest.raises(IllegalTransition):
        s.question_add(actor=worker, survey=survey, question={"kind": "text", "text": "再补充"})
    with pytest.raises(IllegalTransition):
        s.question_delete(actor=worker, question=survey.questions.first())
    with pytest.raises(IllegalTransition):
        s.survey_open(actor=worker, survey=survey)
    assert survey.questions.count() == 4


def test_only_an_open_survey_closes(project, users, survey) -> None:
    worker = users["hx_worker"]
    draft = s.survey_create(actor=worker, project=project, title="草稿", questions=QUESTIONS)
    with pytest.raises(IllegalTransition):
        s.survey_close(actor=worker, survey=draft)
    s.survey_close(actor=worker, survey=survey)
    assert survey.status == SurveyStatus.CLOSED and survey.closed_at is not None
    with pytest.raises(IllegalTransition):
        s.survey_close(actor=worker, survey=survey)


def test_another_committees_worker_cannot_build_or_run_it(project, users, survey) -> None:
    with pytest.raises(NotPermitted):
        s.survey_create(actor=users["fgn_worker"], project=project, title="征询")
    with pytest.raises(NotPermitted):
        s.survey_close(actor=users["fgn_worker"], survey=survey)
    with pytest.raises(NotPermitted):
        s.survey_close(actor=users["tmx_leader"], survey=survey)
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN


# --- sealing ----------------------------------------------------------------------------------
def test_results_are_sealed_until_the_survey_closes(project, users, tree) -> None:
    worker = users["hx_worker"]
    survey = s.survey_create(actor=worker, project=project, title="征询", questions=QUESTIONS)
    for public in (True, False):
        with pytest.raises(Sealed):
            sel.survey_results(survey, public=public)
    s.survey_open(actor=worker, survey=survey)
    s.response_submit_online(
        actor=make_resident(tree.committee_a), survey=survey, answers=answers(survey)
    )
    for public in (True, False):
        with pytest.raises(Sealed):
            sel.survey_results(survey, public=public)
    assert sel.response_count(survey) == 1
    s.survey_close(actor=worker, survey=survey)
    results = sel.survey_results(survey, public=True)
    assert (results["online"], results["paper"], results["total"]) == (1, 0, 1)


# --- online answers ---------------------------------------------------------------------------
def test_a_resident_answers_once(tree, survey) -> None:
    resident = make_resident(tree.committee_a)
    response = s.response_submit_online(
        actor=resident, survey=survey, answers=answers(survey, text="多种树")
    )
    assert (response.channel, response.respondent, response.collection_point) == (
        ResponseChannel.ONLINE,
        resident,
        "",
    )
    assert response.answers.count() == 4
    with pytest.raises(ValidationError) as exc:
        s.response_submit_online(actor=resident, survey=survey, answers=answers(survey, "不同意"))
    assert exc.value.code == "duplicate"
    assert Response.objects.filter(survey=survey).count() == 1
    assert question(survey, QuestionKind.SINGLE).answers.get().choices == ["同意"]


def test_the_database_keeps_one_online_answer_per_resident(tree, survey) -> None:
    resident = make_resident(tree.committee_a)
    now = timezone.now()
    Response.objects.create(survey=survey, channel="online", respondent=resident, created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            survey=survey, channel="online", respondent=resident, created_at=now
        )
    # Paper answers have no respondent, so there may be many; an online one needs one.
    Response.objects.create(survey=survey, channel="paper", created_at=now)
    Response.objects.create(survey=survey, channel="paper", created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(survey=survey, channel="online", created_at=now)
    assert survey.responses.count() == 3


def test_a_resident_of_the_subdistrict_answers_a_subdistrict_wide_survey(tree, users) -> None:
    office = users["tmx_livelihood"]
    project = make_project(make_programme(tree.sub_a), tree.sub_a, actor=office)
    survey = open_survey(project, office)
    resident = make_resident(tree.committee_b)
    s.response_submit_online(actor=resident, survey=survey, answers=answers(survey))
    assert survey.responses.filter(respondent=resident).exists()


def test_only_residents_of_the_committee_answer_online(tree, users, survey) -> None:
    outsiders = [
        make_resident(tree.committee_b),  # another committee of the subdistrict
        make_resident(tree.committee_c),  # another subdistrict
        users["resident1"],  # a resident account without a resident record
        users["hx_worker"],  # staff, not a resident
        users["expert1"],
    ]
    for user in outsiders:
        with pytest.raises(NotPermitted):
            s.response_submit_online(actor=user, survey=survey, answers=answers(survey))
    assert not survey.responses.exists()


def test_a_draft_or_closed_survey_takes_no_answers(project, tree, users, survey) -> None:
    resident = make_resident(tree.committee_a)
    draft = s.survey_create(
        actor=users["hx_worker"], project=project, title="草稿", questions=QUESTIONS
    )
    with pytest.raises(IllegalTransition):
        s.response_submit_online(actor=resident, survey=draft, answers=answers(draft))
    s.survey_close(actor=users["hx_worker"], survey=survey)
    with pytest.raises(IllegalTransition):
        s.response_submit_online(actor=resident, survey=survey, answers=answers(survey))
    with pytest.raises(IllegalTransition):
        s.response_enter_paper(
            actor=users["hx_worker"],
            survey=survey,
            answers=answers(survey),
            collection_point="居委会",
        )
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("kind", "override"),
    [
        (QuestionKind.SINGLE, {"single": None}),
        (QuestionKind.SINGLE, {"single": "也许"}),
        (QuestionKind.SINGLE, {"single": ["同意", "不同意"]}),
        (QuestionKind.MULTIPLE, {"multiple": ["座椅", "泳池"]}),
        (QuestionKind.MULTIPLE, {"multiple": []}),
        (QuestionKind.SCALE, {"scale": 6}),
        (QuestionKind.SCALE, {"scale": 0}),
        (QuestionKind.SCALE, {"scale": "很好"}),
    ],
)
def test_wrong_answers_are_refused_by_question(tree, survey, kind, override) -> None:
    with pytest.raises(ValidationError) as exc:
        s.response_submit_online(
            actor=make_resident(tree.committee_a),
            survey=survey,
            answers=answers(survey, **override),
        )
    assert list(exc.value.message_dict) == [f"q{question(survey, kind).pk}"]
    assert not Response.objects.exists()


def test_answers_are_normalised(tree, survey) -> None:
    response = s.response_submit_online(
        actor=make_resident(tree.committee_a),
        survey=survey,
        answers={
            str(k): v
            for k, v in answers(
                survey, single=["不同意"], multiple=["照明", "座椅", "照明"], scale="5", text=""
            ).items()
        },
    )
    got = {a.question.kind: a for a in response.answers.select_related("question")}
    assert got[QuestionKind.SINGLE].choices == ["不同意"]
    assert got[QuestionKind.MULTIPLE].choices == ["座椅", "照明"]
    assert got[QuestionKind.SCALE].number == 5
    assert QuestionKind.TEXT not in got  # optional and left empty: no row


# --- paper answers ----------------------------------------------------------------------------
def test_paper_answers_need_a_collection_point(users, survey) -> None:
    with pytest.raises(ValidationError) as exc:
        s.response_enter_paper(
            actor=users["hx_worker"], survey=survey, answers=answers(survey), collection_point=" "
        )
    assert "collection_point" in exc.value.message_dict
    response = s.response_enter_paper(
        actor=users["hx_worker"],
        survey=survey,
        answers=answers(survey),
        collection_point=" 3号楼楼组长家 ",
    )
    response.refresh_from_db()
    assert response.channel == ResponseChannel.PAPER
    assert response.respondent is None
    assert response.entered_by == users["hx_worker"]
    assert response.collection_point == "3号楼楼组长家"


def test_paper_answers_are_entered_by_the_committees_staff_only(tree, users, survey) -> None:
    for user in (users["fgn_worker"], users["tmx_leader"], make_resident(tree.committee_a)):
        with pytest.raises(NotPermitted):
            s.response_enter_paper(
                actor=user, survey=survey, answers=answers(survey), collection_point="居委会"
            )
    assert not survey.responses.exists()


# --- results ----------------------------------------------------------------------------------
def _fill(tree, users, survey) -> None:
    """Two online answers, three on paper."""
    worker = users["hx_worker"]
    s.response_submit_online(
        actor=make_resident(tree.committee_a),
        survey=survey,
        answers=answers(survey, "同意", ("座椅", "绿化"), 5, "希望多种树"),
    )
    s.response_submit_online(
        actor=make_resident(tree.committee_a),
        survey=survey,
        answers=answers(survey, "不同意", ("照明",), 4, ""),
    )
    for single, multiple, scale, text, point in [
        ("同意", ("绿化",), 4, "注意施工噪音", "居委会"),
        ("同意", ("座椅", "照明"), 2, "", "居委会"),
        ("不同意", ("绿化",), 1, "不要占用车位", "3号楼"),
    ]:
        s.response_enter_paper(
            actor=worker,
            survey=survey,
            answers=answers(survey, single, multiple, scale, text),
            collection_point=point,
        )
    s.survey_close(actor=worker, survey=survey)


def test_results_count_online_and_paper_per_choice(tree, users, survey) -> None:
    _fill(tree, users, survey)
    results = sel.survey_results(survey, public=False)
    assert (results["online"], results["paper"], results["total"]) == (2, 3, 5)
    assert dict(results["collection_points"]) == {"居委会": 2, "3号楼": 1}
    by_kind = {r.question.kind: r for r in results["questions"]}
    single = by_kind[QuestionKind.SINGLE]
    assert single.answered == 5
    # (choice, online, paper, total) in the question's order
    assert single.choices == [("同意", 1, 2, 3), ("不同意", 1, 1, 2)]
    assert by_kind[QuestionKind.MULTIPLE].choices == [
        ("座椅", 1, 1, 2),
        ("绿化", 1, 2, 3),
        ("照明", 1, 1, 2),
    ]


def test_scale_results_give_mean_and_distribution(tree, users, survey) -> None:
    _fill(tree, users, survey)
    scale = next(
        r
        for r in sel.survey_results(survey, public=True)["questions"]
        if r.question.kind == "scale"
    )
    assert scale.mean == pytest.approx(3.2)  # (5 + 4 + 4 + 2 + 1) / 5
    assert scale.distribution == [(1, 1), (2, 1), (3, 0), (4, 2), (5, 1)]


def test_public_results_show_only_published_free_text(tree, users, survey) -> None:
    _fill(tree, users, survey)
    text_q = question(survey, QuestionKind.TEXT)
    noise = ResponseAnswer.objects.get(question=text_q, text="注意施工噪音")
    s.answer_publish(actor=users["hx_worker"], answer=noise)
    noise.refresh_from_db()
    assert noise.published

    def texts(public: bool) -> tuple[list[str], int]:
        r = next(
            q
            for q in sel.survey_results(survey, public=public)["questions"]
            if q.question == text_q
        )
        return sorted(a.text for a in r.texts), r.unpublished

    assert texts(public=True) == (["注意施工噪音"], 2)
    assert texts(public=False) == (sorted(["希望多种树", "注意施工噪音", "不要占用车位"]), 2)
    s.answer_publish(actor=users["hx_worker"], answer=noise, published=False)
    assert texts(public=True) == ([], 3)


def test_only_free_text_is_published_and_by_the_committees_staff(tree, users, survey) -> None:
    _fill(tree, users, survey)
    choice = ResponseAnswer.objects.filter(question=question(survey, QuestionKind.SINGLE)).first()
    assert choice is not None
    with pytest.raises(ValidationError, match="只有文字意见"):
        s.answer_publish(actor=users["hx_worker"], answer=choice)
    text = ResponseAnswer.objects.filter(question=question(survey, QuestionKind.TEXT)).first()
    assert text is not None
    with pytest.raises(NotPermitted):
        s.answer_publish(actor=users["fgn_worker"], answer=text)
    text.refresh_from_db()
    assert not text.published
    assert not ResponseAnswer.objects.filter(published=True).exists()


def test_participation_counts_closed_surveys_only(tree, users, project, survey) -> None:
    _fill(tree, users, survey)  # closed: 2 online, 3 paper
    other = make_project(make_programme(tree.sub_a), tree.committee_a, actor=users["hx_worker"])
    still_open = open_survey(other, users["hx_worker"])
    s.response_submit_online(
        actor=make_resident(tree.committee_a), survey=still_open, answers=answers(still_open)
    )
    s.response_enter_paper(
        actor=users["hx_worker"],
        survey=still_open,
        answers=answers(still_open),
        collection_point="居委会",
    )
    s.survey_create(actor=users["hx_worker"], project=other, title="草稿", questions=QUESTIONS)
    expected = {"online": 2, "paper": 3, "total": 5, "surveys": 1}
    assert sel.participation(Survey.objects.all()) == expected
    # The scoped, annotated list the dashboard passes in gives the same.
    assert sel.participation(sel.survey_list(user=users["tmx_livelihood"])) == expected
    assert sel.participation(sel.survey_list(user=users["fgn_worker"]))["total"] == 0


def test_individual_answers_are_shown_to_staff_only_after_close(tree, users, survey) -> None:
    resident = make_resident(tree.committee_a)
    mine = s.response_submit_online(actor=resident, survey=survey, answers=answers(survey))
    s.response_enter_paper(
        actor=users["hx_worker"], survey=survey, answers=answers(survey), collection_point="居委会"
    )
    assert list(sel.response_list(user=users["hx_worker"], survey=survey)) == []
    assert list(sel.response_list(user=resident, survey=survey)) == [mine]
    s.survey_close(actor=users["hx_worker"], survey=survey)
    assert sel.response_list(user=users["hx_worker"], survey=survey).count() == 2
    assert sel.response_list(user=users["fgn_worker"], survey=survey).count() == 0
    assert list(sel.response_list(user=resident, survey=survey)) == [mine]
    assert sel.my_response(survey, resident) == mine
