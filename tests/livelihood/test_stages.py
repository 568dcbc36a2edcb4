"""Projects move along the stage map only; each move is recorded and needs the records of the
stage it enters; approving and rejecting are the livelihood office's decisions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jiedao.core.permissions import NotPermitted
from jiedao.livelihood import services as s
from jiedao.livelihood.models import (
    STAGE_TRANSITIONS,
    Feasibility,
    Fund,
    MilestoneState,
    Project,
    ProjectTransition,
    Stage,
)
from jiedao.livelihood.services import IllegalTransition
from tests.livelihood.factories import (
    make_fund,
    make_programme,
    make_project,
    open_survey,
    walk_to,
)

pytestmark = pytest.mark.django_db

LEGAL = [(a, b) for a, targets in STAGE_TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a in Stage.values for b in Stage.values if b not in STAGE_TRANSITIONS[a]]


def _project_in(tree, users, stage: str) -> tuple[Project, Fund]:
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a)
    fund = make_fund(programme, tree.committee_a)
    project = make_project(programme, tree.committee_a, actor=office)
    if stage in (Stage.REJECTED, Stage.WITHDRAWN):
        project = s.project_transition(actor=office, project=project, to_stage=stage, note="不做了")
    else:
        project = walk_to(project, stage, office=office, experts=[users["expert1"]], fund=fund)
    assert project.stage == stage
    return project, fund


def _submit(expert, assignment, score: int = 8) -> None:
    s.review_submit(
        actor=expert,
        assignment=assignment,
        scores={c.pk: score for c in assignment.project.programme.criteria.all()},
        feasibility=Feasibility.FEASIBLE,
        cost_estimate="48000",
        reasons="方案可行",
    )


def _prepare_for(project: Project, to_stage: str, users) -> None:
    """Create the records `to_stage` needs."""
    office = users["tmx_livelihood"]
    if to_stage == Stage.OPINION_SURVEY:
        s.site_survey_record(actor=office, project=project, day=date.today(), findings="墙面剥落")
    elif to_stage == Stage.EXPERT_REVIEW:
        s.survey_close(actor=office, survey=open_survey(project, office))
    elif to_stage == Stage.APPROVED:
        a = s.review_assign(actor=office, project=project, expert=users["expert2"])
        _submit(users["expert2"], a)
    elif to_stage == Stage.IN_WORKS:
        s.milestone_add(actor=office, project=project, title="施工")
    elif to_stage == Stage.COMPLETED:
        for m in project.milestones.all():
            s.milestone_set_state(actor=office, milestone=m, state=MilestoneState.DONE)


@pytest.mark.parametrize(("src", "dst"), LEGAL)
def test_every_legal_move_is_made_and_recorded(tree, users, src, dst) -> None:
    office = users["tmx_livelihood"]
    project, fund = _project_in(tree, users, src)
    _prepare_for(project, dst, users)
    before = ProjectTransition.objects.filter(project=project).count()
    s.project_transition(
        actor=office, project=project, to_stage=dst, note="说明", fund=fund, amount="50000"
    )
    project.refresh_from_db()
    assert project.stage == dst
    assert ProjectTransition.objects.filter(project=project).count() == before + 1
    last = ProjectTransition.objects.filter(project=project).order_by("-id").first()
    assert last is not None
    assert (last.from_stage, last.to_stage, last.actor, last.note) == (src, dst, office, "说明")
    if dst == Stage.APPROVED:
        assert project.fund == fund
        assert project.budget_allocated == Decimal("50000.00")
        assert project.approved_on == timezone.localdate()
    if dst == Stage.COMPLETED:
        assert project.completed_on == timezone.localdate()
    if dst in (Stage.REJECTED, Stage.WITHDRAWN, Stage.EVALUATED):
        assert project.closing_reason == "说明"


@pytest.mark.parametrize(("src", "dst"), ILLEGAL)
def test_every_illegal_move_is_refused(tree, users, src, dst) -> None:
    office = users["tmx_livelihood"]
    project, fund = _project_in(tree, users, src)
    before = ProjectTransition.objects.filter(project=project).count()
    with pytest.raises(IllegalTransition) as exc:
        s.project_transition(
            actor=office, project=project, to_stage=dst, note="说明", fund=fund, amount="1000"
        )
    # Refused by the stage map itself, not by a missing record.
    assert "不能改为" in exc.value.messages[0]
    project.refresh_from_db()
    assert project.stage == src
    assert ProjectTransition.objects.filter(project=project).count() == before


def test_illegal_move_names_both_stages(tree, users) -> None:
    project, _fund = _project_in(tree, users, Stage.PROPOSED)
    with pytest.raises(IllegalTransition) as exc:
        s.project_transition(
            actor=users["tmx_livelihood"], project=project, to_stage=Stage.APPROVED
        )
    assert exc.value.messages == ["项目当前阶段为“提议”，不能改为“立项”。"]


def test_creating_a_project_records_its_first_stage(tree, users) -> None:
    office = users["tmx_livelihood"]
    project = make_project(make_programme(tree.sub_a), tree.committee_a, actor=office)
    rows = list(project.transitions.values_list("from_stage", "to_stage", "actor"))
    assert rows == [("", Stage.PROPOSED, office.pk)]
    assert project.stage_changed_at is not None


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (Stage.PROPOSED, Stage.REJECTED),
        (Stage.SITE_SURVEY, Stage.WITHDRAWN),
        (Stage.COMPLETED, Stage.EVALUATED),
    ],
)
@pytest.mark.parametrize("note", ["", "   "])
def test_reject_withdraw_and_evaluate_need_a_note(tree, users, src, dst, note) -> None:
    project, _fund = _project_in(tree, users, src)
    with pytest.raises(ValidationError) as exc:
        s.project_transition(
            actor=users["tmx_livelihood"], project=project, to_stage=dst, note=note
        )
    assert not isinstance(exc.value, IllegalTransition)
    assert "note" in exc.value.message_dict
    project.refresh_from_db()
    assert project.stage == src
    assert project.closing_reason == ""


def test_opinion_survey_needs_a_site_survey(tree, users) -> None:
    office = users["tmx_livelihood"]
    project, _fund = _project_in(tree, users, Stage.SITE_SURVEY)
    with pytest.raises(IllegalTransition, match="现场踏勘"):
        s.project_transition(actor=office, project=project, to_stage=Stage.OPINION_SURVEY)
    s.site_survey_record(actor=office, project=project, day=date.today(), findings="绿化缺失")
    s.project_transition(actor=office, project=project, to_stage=Stage.OPINION_SURVEY)
    project.refresh_from_db()
    assert project.stage == Stage.OPINION_SURVEY


def test_expert_review_needs_a_closed_survey(tree, users) -> None:
    office = users["tmx_livelihood"]
    project, _fund = _project_in(tree, users, Stage.OPINION_SURVEY)
    with pytest.raises(IllegalTransition, match="意见征询结束"):
        s.project_transition(actor=office, project=project, to_stage=Stage.EXPERT_REVIEW)
    survey = open_survey(project, office)
    with pytest.raises(IllegalTransition, match="意见征询结束"):
        s.project_transition(actor=office, project=project, to_stage=Stage.EXPERT_REVIEW)
    s.survey_close(actor=office, survey=survey)
    s.project_transition(actor=office, project=project, to_stage=Stage.EXPERT_REVIEW)
    project.refresh_from_db()
    assert project.stage == Stage.EXPERT_REVIEW


def test_approval_needs_every_assigned_review_submitted(tree, users) -> None:
    office = users["tmx_livelihood"]
    project, fund = _project_in(tree, users, Stage.EXPERT_REVIEW)
    with pytest.raises(IllegalTransition, match="还没有专家提交"):
        s.project_approve(actor=office, project=project, fund=fund, amount="1000")
    a1 = s.review_assign(actor=office, project=project, expert=users["expert1"])
    a2 = s.review_assign(actor=office, project=project, expert=users["expert2"])
    _submit(users["expert1"], a1)
    with pytest.raises(IllegalTransition, match="还有专家未提交"):
        s.project_approve(actor=office, project=project, fund=fund, amount="1000")
    project.refresh_from_db()
    assert project.stage == Stage.EXPERT_REVIEW
    assert project.budget_allocated is None
    _submit(users["expert2"], a2)
    s.project_approve(actor=office, project=project, fund=fund, amount="1000")
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED


def test_works_need_a_milestone(tree, users) -> None:
    office = users["tmx_livelihood"]
    project, _fund = _project_in(tree, users, Stage.APPROVED)
    with pytest.raises(IllegalTransition, match="工程节点"):
        s.project_transition(actor=office, project=project, to_stage=Stage.IN_WORKS)
    s.milestone_add(actor=office, project=project, title="设计")
    s.project_transition(actor=office, project=project, to_stage=Stage.IN_WORKS)
    project.refresh_from_db()
    assert project.stage == Stage.IN_WORKS


def test_completion_needs_every_milestone_done(tree, users) -> None:
    office = users["tmx_livelihood"]
    project, _fund = _project_in(tree, users, Stage.IN_WORKS)
    extra = s.milestone_add(actor=office, project=project, title="验收", weight=2)
    for m in project.milestones.exclude(pk=extra.pk):
        s.milestone_set_state(actor=office, milestone=m, state=MilestoneState.DONE)
    s.milestone_set_state(actor=office, milestone=extra, state=MilestoneState.IN_PROGRESS)
    with pytest.raises(IllegalTransition, match="所有工程节点完成"):
        s.project_transition(actor=office, project=project, to_stage=Stage.COMPLETED)
    s.milestone_set_state(actor=office, milestone=extra, state=MilestoneState.DONE)
    s.project_transition(actor=office, project=project, to_stage=Stage.COMPLETED)
    project.refresh_from_db()
    assert project.stage == Stage.COMPLETED


def test_approval_and_rejection_are_the_offices(tree, users) -> None:
    worker = users["hx_worker"]
    project, fund = _project_in(tree, users, Stage.EXPERT_REVIEW)
    a = s.review_assign(actor=users["tmx_livelihood"], project=project, expert=users["expert1"])
    _submit(users["expert1"], a)
    with pytest.raises(NotPermitted):
        s.project_approve(actor=worker, project=project, fund=fund, amount="1000")
    with pytest.raises(NotPermitted):
        s.project_transition(actor=worker, project=project, to_stage=Stage.REJECTED, note="不行")
    project.refresh_from_db()
    assert project.stage == Stage.EXPERT_REVIEW
    assert s.fund_allocated(fund) == 0
    s.project_approve(actor=users["tmx_livelihood"], project=project, fund=fund, amount="1000")
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED
    assert project.transitions.order_by("-id")[0].actor == users["tmx_livelihood"]


def test_subdistrict_admin_may_reject(tree, users) -> None:
    project, _fund = _project_in(tree, users, Stage.PROPOSED)
    s.project_transition(
        actor=users["tmx_admin"], project=project, to_stage=Stage.REJECTED, note="不符合条件"
    )
    project.refresh_from_db()
    assert project.stage == Stage.REJECTED
    assert project.closing_reason == "不符合条件"


def test_committee_worker_runs_daily_moves_of_own_committee_only(tree, users) -> None:
    project, _fund = _project_in(tree, users, Stage.PROPOSED)
    for outsider in ("fgn_worker", "bz_admin", "tmx_leader", "ja_leader", "expert1", "tmx_clerk"):
        with pytest.raises(NotPermitted):
            s.project_transition(actor=users[outsider], project=project, to_stage=Stage.SITE_SURVEY)
    project.refresh_from_db()
    assert project.stage == Stage.PROPOSED
    s.project_transition(actor=users["hx_worker"], project=project, to_stage=Stage.SITE_SURVEY)
    project.refresh_from_db()
    assert project.stage == Stage.SITE_SURVEY
    assert project.transitions.order_by("-id")[0].actor == users["hx_worker"]


def test_committee_worker_may_withdraw_before_approval(tree, users) -> None:
    project, _fund = _project_in(tree, users, Stage.OPINION_SURVEY)
    s.project_transition(
        actor=users["hx_worker"], project=project, to_stage=Stage.WITHDRAWN, note="居民反对"
    )
    project.refresh_from_db()
    assert project.stage == Stage.WITHDRAWN


def test_withdrawing_after_approval_is_the_offices_and_only_without_spending(tree, users) -> None:
    office = users["tmx_livelihood"]
    project, fund = _project_in(tree, users, Stage.APPROVED)
    with pytest.raises(NotPermitted):
        s.project_transition(
            actor=users["hx_worker"], project=project, to_stage=Stage.WITHDRAWN, note="撤回"
        )
    s.spending_record(
        actor=office, project=project, day=date.today(), amount="100", description="设计费"
    )
    with pytest.raises(IllegalTransition, match="已有支出"):
        s.project_transition(actor=office, project=project, to_stage=Stage.WITHDRAWN, note="撤回")
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED
    assert s.fund_allocated(fund) == Decimal("50000")


def test_office_withdraws_an_approved_project_without_spending(tree, users) -> None:
    office = users["tmx_livelihood"]
    project, fund = _project_in(tree, users, Stage.APPROVED)
    s.project_transition(actor=office, project=project, to_stage=Stage.WITHDRAWN, note="撤回")
    project.refresh_from_db()
    assert project.stage == Stage.WITHDRAWN
    assert s.fund_allocated(fund) == 0


def test_a_stale_second_move_is_refused(tree, users) -> None:
    office = users["tmx_livelihood"]
    project, _fund = _project_in(tree, users, Stage.PROPOSED)
    first = Project.objects.get(pk=project.pk)
    second = Project.objects.get(pk=project.pk)
    s.project_transition(actor=office, project=first, to_stage=Stage.SITE_SURVEY)
    with pytest.raises(IllegalTransition, match="已被他人更新"):
        s.project_transition(actor=users["tmx_admin"], project=second, to_stage=Stage.SITE_SURVEY)
    with pytest.raises(IllegalTransition, match="已被他人更新"):
        s.project_transition(
            actor=users["tmx_admin"], project=second, to_stage=Stage.REJECTED, note="重复"
        )
    project.refresh_from_db()
    assert project.stage == Stage.SITE_SURVEY
    assert list(project.transitions.values_list("to_stage", flat=True)) == [
        Stage.PROPOSED,
        Stage.SITE_SURVEY,
    ]
