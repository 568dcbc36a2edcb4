"""Expert review: the office assigns experts; each scores their own assignment against the
programme's criteria; experts see only their assignments; the office sees the combined result."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from jiedao.core.models import Notification
from jiedao.core.permissions import NotPermitted
from jiedao.livelihood import selectors as sel
from jiedao.livelihood import services as s
from jiedao.livelihood.models import (
    Feasibility,
    Project,
    ReviewAssignment,
    ReviewScore,
    Stage,
)
from jiedao.livelihood.services import IllegalTransition
from tests.livelihood.factories import (
    make_expert,
    make_fund,
    make_programme,
    make_project,
    walk_to,
)

pytestmark = pytest.mark.django_db


def _project(tree, users, stage: str = Stage.EXPERT_REVIEW, org=None) -> Project:
    office = users["tmx_livelihood"]
    project = make_project(make_programme(tree.sub_a), org or tree.committee_a, actor=office)
    return walk_to(project, stage, office=office)


def _scores(project: Project, *values: Any) -> dict[int, Any]:
    """Scores for the criteria in their order (设计方案 40, 居民受益 40, 造价合理 20; out of 10)."""
    criteria = list(project.programme.criteria.order_by("order"))
    assert [(c.name, c.weight, c.max_score) for c in criteria] == [
        ("设计方案", 40, 10),
        ("居民受益", 40, 10),
        ("造价合理", 20, 10),
    ]
    return {c.pk: v for c, v in zip(criteria, values, strict=True)}


def _submit(
    expert,
    assignment: ReviewAssignment,
    scores: dict[int, Any],
    feasibility: str = Feasibility.FEASIBLE,
    cost: Any = "48000",
    reasons: str = "方案可行",
) -> ReviewAssignment:
    return s.review_submit(
        actor=expert,
        assignment=assignment,
        scores=scores,
        feasibility=feasibility,
        cost_estimate=cost,
        reasons=reasons,
    )


# --- assigning --------------------------------------------------------------------------------
def test_only_the_office_assigns(tree, users) -> None:
    project = _project(tree, users)
    for user in ("hx_worker", "tmx_leader", "bz_admin", "expert1", "ja_leader"):
        with pytest.raises(NotPermitted):
            s.review_assign(actor=users[user], project=project, expert=users["expert1"])
    assert not ReviewAssignment.objects.exists()
    a = s.review_assign(actor=users["tmx_admin"], project=project, expert=users["expert1"])
    assert (a.project, a.expert, a.assigned_by) == (project, users["expert1"], users["tmx_admin"])


def test_the_assigned_expert_is_notified(tree, users) -> None:
    project = _project(tree, users)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    note = Notification.objects.get(user=users["expert1"])
    assert project.title in note.message
    assert note.url == f"/livelihood/reviews/{a.pk}/"
    assert not Notification.objects.exclude(user=users["expert1"]).exists()


@pytest.mark.parametrize("who", ["hx_worker", "resident1", "tmx_livelihood"])
def test_only_experts_can_be_assigned(tree, users, who) -> None:
    project = _project(tree, users)
    with pytest.raises(ValidationError) as exc:
        s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users[who])
    assert "expert" in exc.value.message_dict
    assert not ReviewAssignment.objects.exists()


def test_an_expert_is_assigned_once(tree, users) -> None:
    project = _project(tree, users)
    s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    with pytest.raises(ValidationError) as exc:
        s.review_assign(actor=users["tmx_admin"], project=project, expert=users["expert1"])
    assert "expert" in exc.value.message_dict
    assert ReviewAssignment.objects.filter(project=project).count() == 1


@pytest.mark.parametrize("stage", [Stage.PROPOSED, Stage.SITE_SURVEY])
def test_experts_are_assigned_only_around_the_review(tree, users, stage) -> None:
    project = _project(tree, users, stage)
    with pytest.raises(IllegalTransition):
        s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])


# --- submitting -------------------------------------------------------------------------------
def test_only_the_assigned_expert_submits(tree, users) -> None:
    project = _project(tree, users)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    for other in ("expert2", "tmx_livelihood", "tmx_admin"):
        with pytest.raises(NotPermitted):
            _submit(users[other], a, _scores(project, 8, 8, 8))
    a.refresh_from_db()
    assert a.submitted_at is None
    assert not ReviewScore.objects.exists()
    _submit(users["expert1"], a, _scores(project, 8, 7, 6))
    a.refresh_from_db()
    assert a.submitted_at is not None
    assert a.feasibility == Feasibility.FEASIBLE
    assert a.cost_estimate == Decimal("48000.00")
    assert a.reasons == "方案可行"
    assert sorted(a.scores.values_list("score", flat=True)) == [6, 7, 8]


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        ((11, 8, 8), 0),  # above the criterion's maximum
        ((8, -1, 8), 1),
        ((8, 8, ""), 2),  # missing
        ((8, "好", 8), 1),
        ((8, 8, None), 2),
        ((8, "NaN", 8), 1),
    ],
)
def test_scores_are_checked_against_each_criterion(tree, users, values, bad) -> None:
    project = _project(tree, users)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    scores = _scores(project, *values)
    with pytest.raises(ValidationError) as exc:
        _submit(users["expert1"], a, scores)
    assert list(exc.value.message_dict) == [f"c{list(scores)[bad]}"]
    a.refresh_from_db()
    assert a.submitted_at is None


def test_every_criterion_must_be_scored(tree, users) -> None:
    project = _project(tree, users)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    scores = _scores(project, 8, 8, 8)
    last = list(scores)[-1]
    del scores[last]
    with pytest.raises(ValidationError) as exc:
        _submit(users["expert1"], a, scores)
    assert f"c{last}" in exc.value.message_dict


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reasons": "  "}, "reasons"),
        ({"feasibility": "maybe"}, "feasibility"),
        ({"cost": "-1"}, "cost_estimate"),
        ({"cost": "很多"}, "cost_estimate"),
    ],
)
def test_reasons_feasibility_and_cost_are_required(tree, users, kwargs, field) -> None:
    project = _project(tree, users)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    with pytest.raises(ValidationError) as exc:
        _submit(users["expert1"], a, _scores(project, 8, 8, 8), **kwargs)
    assert list(exc.value.message_dict) == [field]
    a.refresh_from_db()
    assert a.submitted_at is None


def test_a_resubmission_replaces_the_scores(tree, users) -> None:
    project = _project(tree, users)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    _submit(users["expert1"], a, _scores(project, 8, 8, 8))
    _submit(
        users["expert1"],
        a,
        {str(k): v for k, v in _scores(project, "6.5", 5, 4).items()},
        feasibility=Feasibility.WITH_CHANGES,
        cost="60000",
        reasons="需调整",
    )
    a.refresh_from_db()
    assert ReviewScore.objects.count() == 3
    assert sorted(a.scores.values_list("score", flat=True)) == [4, 5, Decimal("6.5")]
    assert (a.feasibility, a.cost_estimate, a.reasons) == (
        Feasibility.WITH_CHANGES,
        Decimal("60000.00"),
        "需调整",
    )


def test_no_submission_once_the_project_left_expert_review(tree, users) -> None:
    office = users["tmx_livelihood"]
    project = _project(tree, users)
    fund = make_fund(project.programme, tree.committee_a)
    a = s.review_assign(actor=office, project=project, expert=users["expert1"])
    _submit(users["expert1"], a, _scores(project, 8, 8, 8))
    s.project_approve(actor=office, project=project, fund=fund, amount="1000")
    with pytest.raises(IllegalTransition):
        _submit(users["expert1"], a, _scores(project, 2, 2, 2))
    assert sorted(a.scores.values_list("score", flat=True)) == [8, 8, 8]


def test_no_submission_before_the_review_stage(tree, users) -> None:
    project = _project(tree, users, Stage.OPINION_SURVEY)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    with pytest.raises(IllegalTransition):
        _submit(users["expert1"], a, _scores(project, 8, 8, 8))
    a.refresh_from_db()
    assert a.submitted_at is None


# --- who sees what ----------------------------------------------------------------------------
def test_an_expert_sees_only_their_assignments(tree, users) -> None:
    office = users["tmx_livelihood"]
    p1 = _project(tree, users)
    p2 = _project(tree, users, org=tree.committee_b)
    a1 = s.review_assign(actor=office, project=p1, expert=users["expert1"])
    a2 = s.review_assign(actor=office, project=p1, expert=users["expert2"])
    a3 = s.review_assign(actor=office, project=p2, expert=users["expert2"])
    assert list(sel.review_list(user=users["expert1"])) == [a1]
    assert set(sel.review_list(user=users["expert2"])) == {a2, a3}
    assert list(sel.review_list(user=users["expert1"], project=p2)) == []
    assert set(sel.review_list(user=office)) == {a1, a2, a3}
    assert set(sel.review_list(user=users["tmx_leader"])) == {a1, a2, a3}
    assert list(sel.review_list(user=users["hx_worker"])) == []
    assert list(sel.review_list(user=users["bz_admin"])) == []
    assert sel.review_get(user=users["expert1"], pk=a1.pk) == a1
    with pytest.raises(Http404):
        sel.review_get(user=users["expert1"], pk=a2.pk)


# --- the combined result ----------------------------------------------------------------------
def test_review_summary_combines_the_submitted_reviews(tree, users) -> None:
    office = users["tmx_livelihood"]
    project = _project(tree, users)
    expert3 = make_expert(tree.sub_a)
    a1 = s.review_assign(actor=office, project=project, expert=users["expert1"])
    a2 = s.review_assign(actor=office, project=project, expert=users["expert2"])
    a3 = s.review_assign(actor=office, project=project, expert=expert3)
    _submit(users["expert1"], a1, _scores(project, 8, 6, 10), Feasibility.FEASIBLE, "48000")
    _submit(
        users["expert2"], a2, _scores(project, "7.5", 10, 0), Feasibility.WITH_CHANGES, "52000.50"
    )
    summary = sel.review_summary(project)
    assert (summary["assigned"], summary["submitted"]) == (3, 2)
    assert summary["pending"] == [a3]
    # expert1: 8/10×40 + 6/10×40 + 10/10×20 = 32 + 24 + 20 = 76 (unweighted would be 80)
    # expert2: 7.5/10×40 + 10/10×40 + 0 = 30 + 40 = 70
    assert [(a.expert, total) for a, total in summary["per_expert"]] == [
        (users["expert1"], 76.0),
        (users["expert2"], 70.0),
    ]
    assert summary["mean_total"] == 73.0
    assert [(c.name, mean) for c, mean in summary["per_criterion"]] == [
        ("设计方案", 7.75),
        ("居民受益", 8.0),
        ("造价合理", 5.0),
    ]
    assert summary["feasibility"] == [
        (Feasibility.FEASIBLE, 1),
        (Feasibility.WITH_CHANGES, 1),
        (Feasibility.NOT_FEASIBLE, 0),
    ]
    assert summary["cost_mean"] == Decimal("50000.25")
    assert summary["cost_min"] == Decimal("48000.00")
    assert summary["cost_max"] == Decimal("52000.50")


def test_review_summary_of_a_project_without_submissions(tree, users) -> None:
    project = _project(tree, users)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    summary = sel.review_summary(project)
    assert (summary["assigned"], summary["submitted"], summary["pending"]) == (1, 0, [a])
    assert summary["per_expert"] == []
    assert summary["mean_total"] is None
    assert summary["cost_mean"] is None and summary["cost_min"] is None
    assert [mean for _c, mean in summary["per_criterion"]] == [None, None, None]
