"""Works: milestones between approval and completion, and progress computed from their
weights, the same through `project_progress` and through the annotated lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jiedao.core.permissions import NotPermitted
from jiedao.livelihood import selectors as sel
from jiedao.livelihood import services as s
from jiedao.livelihood.models import Milestone, MilestoneState, Project, Stage
from jiedao.livelihood.services import IllegalTransition
from tests.livelihood.factories import make_fund, make_programme, make_project, walk_to

pytestmark = pytest.mark.django_db


def _approved(tree, users, org=None) -> Project:
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a)
    org = org or tree.committee_a
    fund = programme.funds.filter(org_unit=org).first() or make_fund(
        programme, org, amount="1000000"
    )
    project = make_project(programme, org, actor=office)
    return walk_to(project, Stage.APPROVED, office=office, experts=[users["expert1"]], fund=fund)


def _annotated(project: Project) -> Project:
    return sel.with_project_figures(Project.objects.filter(pk=project.pk)).get()


def test_progress_is_weighted_by_milestone(tree, users) -> None:
    office = users["tmx_livelihood"]
    project = _approved(tree, users)
    assert sel.project_progress(project) == 0
    milestones = [
        s.milestone_add(actor=office, project=project, title=f"节点{w}", weight=w)
        for w in (1, 2, 3)
    ]
    assert [m.order for m in milestones] == [1, 2, 3]
    s.milestone_set_state(actor=office, milestone=milestones[2], state=MilestoneState.DONE)
    # done 3 of 6 (counting milestones would give 33 %)
    assert sel.project_progress(project) == 50
    row = _annotated(project)
    assert (row.total_weight, row.done_weight) == (6, 3)  # type: ignore[attr-defined]
    assert sel.progress_of(row.total_weight, row.done_weight) == 50  # type: ignore[attr-defined]
    # in progress counts for nothing yet
    s.milestone_set_state(actor=office, milestone=milestones[0], state=MilestoneState.IN_PROGRESS)
    assert sel.project_progress(project) == 50
    s.milestone_set_state(actor=office, milestone=milestones[1], state=MilestoneState.DONE)
    assert sel.project_progress(project) == 83
    row = _annotated(project)
    assert (row.total_weight, row.done_weight) == (6, 5)  # type: ignore[attr-defined]
    assert sel.progress_of(6, 5) == 83


def test_progress_of_several_projects_in_one_list(tree, users) -> None:
    office = users["tmx_livelihood"]
    a = _approved(tree, users)
    b = _approved(tree, users)
    c = _approved(tree, users)
    ma = s.milestone_add(actor=office, project=a, title="设计", weight=1)
    s.milestone_add(actor=office, project=a, title="施工", weight=3)
    s.milestone_set_state(actor=office, milestone=ma, state=MilestoneState.DONE)
    mb = s.milestone_add(actor=office, project=b, title="施工", weight=2)
    s.milestone_set_state(actor=office, milestone=mb, state=MilestoneState.DONE)
    s.spending_record(actor=office, project=b, day=date.today(), amount="1200", description="x")
    rows = {
        p.pk: (p.total_weight, p.done_weight, p.spent)  # type: ignore[attr-defined]
        for p in sel.project_list(user=office)
    }
    assert rows[a.pk] == (4, 1, 0)
    assert rows[b.pk] == (2, 2, Decimal("1200"))
    assert rows[c.pk] == (0, 0, 0)
    assert [sel.progress_of(*rows[p.pk][:2]) for p in (a, b, c)] == [25, 100, 0]
    got = sel.project_get(user=office, pk=a.pk)
    assert sel.progress_of(got.total_weight, got.done_weight) == 25  # type: ignore[attr-defined]


def test_done_milestones_carry_their_date(tree, users) -> None:
    office = users["tmx_livelihood"]
    project = _approved(tree, users)
    m = s.milestone_add(
        actor=office, project=project, title=" 围墙 ", planned_on=date(2030, 5, 1), weight=2
    )
    assert (m.title, m.planned_on, m.weight, m.state) == (
        "围墙",
        date(2030, 5, 1),
        2,
        MilestoneState.PLANNED,
    )
    s.milestone_set_state(
        actor=office, milestone=m, state=MilestoneState.DONE, done_on=date(2024, 6, 3)
    )
    m.refresh_from_db()
    assert (m.state, m.done_on) == (MilestoneState.DONE, date(2024, 6, 3))
    s.milestone_set_state(actor=office, milestone=m, state=MilestoneState.IN_PROGRESS)
    m.refresh_from_db()
    assert (m.state, m.done_on) == (MilestoneState.IN_PROGRESS, None)
    s.milestone_set_state(actor=office, milestone=m, state=MilestoneState.DONE)
    m.refresh_from_db()
    assert m.done_on == date.today()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"title": " "}, "title"), ({"weight": 0}, "weight"), ({"weight": "重"}, "weight")],
)
def test_a_milestone_needs_a_title_and_a_weight(tree, users, kwargs, field) -> None:
    project = _approved(tree, users)
    data = {"title": "施工", "weight": 1, **kwargs}
    with pytest.raises(ValidationError) as exc:
        s.milestone_add(actor=users["tmx_livelihood"], project=project, **data)
    assert field in exc.value.message_dict
    assert not Milestone.objects.exists()


def test_an_unknown_state_is_refused(tree, users) -> None:
    project = _approved(tree, users)
    m = s.milestone_add(actor=users["tmx_livelihood"], project=project, title="施工")
    with pytest.raises(ValidationError):
        s.milestone_set_state(actor=users["tmx_livelihood"], milestone=m, state="half")
    m.refresh_from_db()
    assert m.state == MilestoneState.PLANNED


@pytest.mark.parametrize("stage", [Stage.PROPOSED, Stage.EXPERT_REVIEW])
def test_no_milestones_before_approval(tree, users, stage) -> None:
    office = users["tmx_livelihood"]
    project = walk_to(
        make_project(make_programme(tree.sub_a), tree.committee_a, actor=office),
        stage,
        office=office,
    )
    with pytest.raises(IllegalTransition):
        s.milestone_add(actor=office, project=project, title="施工")
    assert not Milestone.objects.exists()


def test_milestones_are_fixed_once_completed(tree, users) -> None:
    office = users["tmx_livelihood"]
    project = _approved(tree, users)
    m = s.milestone_add(actor=office, project=project, title="施工")
    s.project_transition(actor=office, project=project, to_stage=Stage.IN_WORKS)
    extra = s.milestone_add(actor=office, project=project, title="验收")  # still allowed in works
    for milestone in (m, extra):
        s.milestone_set_state(actor=office, milestone=milestone, state=MilestoneState.DONE)
    s.project_transition(actor=office, project=project, to_stage=Stage.COMPLETED)
    with pytest.raises(IllegalTransition):
        s.milestone_add(actor=office, project=project, title="返工")
    m.refresh_from_db()
    with pytest.raises(IllegalTransition):
        s.milestone_set_state(actor=office, milestone=m, state=MilestoneState.PLANNED)
    m.refresh_from_db()
    assert m.state == MilestoneState.DONE
    assert project.milestones.count() == 2
    assert sel.project_progress(project) == 100


def test_milestones_are_run_by_the_committee_and_office(tree, users) -> None:
    project = _approved(tree, users)
    m = s.milestone_add(actor=users["hx_worker"], project=project, title="施工")
    for outsider in ("fgn_worker", "tmx_leader", "bz_admin", "expert1"):
        with pytest.raises(NotPermitted):
            s.milestone_add(actor=users[outsider], project=project, title="其他")
        with pytest.raises(NotPermitted):
            s.milestone_set_state(actor=users[outsider], milestone=m, state=MilestoneState.DONE)
    m.refresh_from_db()
    assert m.state == MilestoneState.PLANNED
    assert project.milestones.count() == 1
