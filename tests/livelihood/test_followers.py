"""Following: a stage change tells the project's followers (not the one who made it), once;
a resident's own proposal is followed from the start."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from jiedao.core.models import Notification
from jiedao.core.permissions import NotPermitted
from jiedao.livelihood import services as s
from jiedao.livelihood.models import Follow, Project, ProposerKind, Stage
from jiedao.livelihood.services import IllegalTransition
from tests.livelihood.factories import make_programme, make_project, make_resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(tree, users) -> Project:
    return make_project(
        make_programme(tree.sub_a),
        tree.committee_a,
        actor=users["tmx_livelihood"],
        title="街角花园",
        published=True,
    )


def _notes(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, key__startswith="livelihood-stage:"))


def test_a_stage_change_notifies_each_follower_once_but_not_the_actor(
    tree, users, project, django_capture_on_commit_callbacks
) -> None:
    office = users["tmx_livelihood"]
    a, b = make_resident(tree.committee_a), make_resident(tree.committee_b)
    bystander = make_resident(tree.committee_a)
    for user in (a, b, office):
        s.follow_set(actor=user, project=project)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        s.project_transition(actor=office, project=project, to_stage=Stage.SITE_SURVEY)
    assert len(callbacks) == 1
    for follower in (a, b):
        (note,) = _notes(follower)
        assert "街角花园" in note.message and "现场踏勘" in note.message
        assert note.url == f"/livelihood/public/projects/{project.pk}/"
        assert note.read_at is None
    assert _notes(office) == []
    assert _notes(bystander) == []
    # Running the send again (a retried job) adds nothing.
    callbacks[0]()
    assert len(_notes(a)) == 1


def test_each_move_is_a_new_notification_and_unfollowing_stops_them(
    tree, users, project, django_capture_on_commit_callbacks
) -> None:
    office = users["tmx_livelihood"]
    a, b = make_resident(tree.committee_a), make_resident(tree.committee_a)
    s.follow_set(actor=a, project=project)
    s.follow_set(actor=b, project=project)
    with django_capture_on_commit_callbacks(execute=True):
        s.project_transition(actor=office, project=project, to_stage=Stage.SITE_SURVEY)
    s.follow_set(actor=b, project=project, following=False)
    with django_capture_on_commit_callbacks(execute=True):
        s.project_transition(
            actor=users["hx_worker"], project=project, to_stage=Stage.WITHDRAWN, note="居民反对"
        )
    assert len(_notes(a)) == 2
    assert sorted("已撤回" in n.message for n in _notes(a)) == [False, True]
    assert len(_notes(b)) == 1


def test_no_notification_without_a_move_or_without_followers(
    tree, users, project, django_capture_on_commit_callbacks
) -> None:
    office = users["tmx_livelihood"]
    a = make_resident(tree.committee_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        s.project_transition(actor=office, project=project, to_stage=Stage.SITE_SURVEY)
    assert callbacks == []
    s.follow_set(actor=a, project=project)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(IllegalTransition):
        s.project_transition(actor=office, project=project, to_stage=Stage.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotPermitted):
        s.project_transition(
            actor=users["hx_worker"], project=project, to_stage=Stage.REJECTED, note="否"
        )
    assert _notes(a) == []


# --- residents' proposals ---------------------------------------------------------------------
def test_a_residents_proposal_is_their_own_unpublished_and_followed(
    tree, users, django_capture_on_commit_callbacks
) -> None:
    resident = make_resident(tree.committee_a)
    programme = make_programme(tree.sub_a)
    project = s.project_propose(
        actor=resident,
        programme=programme,
        title=" 楼道加装扶手 ",
        place_name="5号楼",
        description=" 老人上下楼不便 ",
        budget_requested="3000",
    )
    project.refresh_from_db()
    assert (project.org_unit, project.proposed_by, project.stage) == (
        tree.committee_a,
        resident,
        Stage.PROPOSED,
    )
    assert (project.proposer_kind, project.proposer_name) == (ProposerKind.RESIDENT, "")
    assert (project.title, project.description) == ("楼道加装扶手", "老人上下楼不便")
    assert project.published is False
    assert list(project.transitions.values_list("to_stage", "actor")) == [
        (Stage.PROPOSED, resident.pk)
    ]
    assert list(Follow.objects.filter(project=project).values_list("user", flat=True)) == [
        resident.pk
    ]
    with django_capture_on_commit_callbacks(execute=True):
        s.project_transition(actor=users["hx_worker"], project=project, to_stage=Stage.SITE_SURVEY)
    (note,) = _notes(resident)
    assert "楼道加装扶手" in note.message


def test_only_residents_with_a_record_in_the_subdistrict_propose(tree, users) -> None:
    programme = make_programme(tree.sub_a)
    kwargs: dict[str, Any] = {
        "programme": programme,
        "title": "提议",
        "place_name": "某处",
        "description": "说明",
    }
    with pytest.raises(NotPermitted):
        s.project_propose(actor=users["hx_worker"], **kwargs)
    with pytest.raises(ValidationError):
        s.project_propose(actor=users["resident1"], **kwargs)  # no resident record
    with pytest.raises(ValidationError):
        s.project_propose(actor=make_resident(tree.committee_c), **kwargs)  # another subdistrict
    with pytest.raises(ValidationError) as exc:
        s.project_propose(actor=make_resident(tree.committee_a), **{**kwargs, "description": " "})
    assert "description" in exc.value.message_dict
    assert not Project.objects.exists()
    assert not Follow.objects.exists()
