"""Who sees which projects, surveys, funds and follows through the selectors (the central
policy): subdistricts apart, committees apart, leaders read only, experts their assignments,
residents their own proposals and their committee's open or closed surveys."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from jiedao.core.permissions import Action, NotPermitted
from jiedao.livelihood import selectors as sel
from jiedao.livelihood import services as s
from jiedao.livelihood.models import Follow, Project, Stage, Survey
from tests.livelihood.factories import (
    make_fund,
    make_programme,
    make_project,
    make_resident,
    open_survey,
    walk_to,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(tree, users) -> dict[str, Project]:
    tmx = make_programme(tree.sub_a)
    bz = make_programme(tree.sub_b)
    return {
        "hx": make_project(tmx, tree.committee_a, actor=users["tmx_livelihood"], title="华新项目"),
        "fgn": make_project(
            tmx, tree.committee_b, actor=users["tmx_livelihood"], title="蕃瓜弄项目"
        ),
        "tmx": make_project(tmx, tree.sub_a, actor=users["tmx_livelihood"], title="街道项目"),
        "bz": make_project(bz, tree.committee_c, actor=users["bz_admin"], title="北站项目"),
    }


def _titles(user) -> set[str]:
    return {p.title for p in sel.project_list(user=user)}


def test_subdistricts_do_not_see_each_others_projects(users, projects) -> None:
    assert _titles(users["bz_admin"]) == {"北站项目"}
    assert _titles(users["tmx_livelihood"]) == {"华新项目", "蕃瓜弄项目", "街道项目"}
    assert _titles(users["tmx_admin"]) == {"华新项目", "蕃瓜弄项目", "街道项目"}
    for name in ("hx", "fgn", "tmx"):
        with pytest.raises(Http404):
            sel.project_get(user=users["bz_admin"], pk=projects[name].pk)
    with pytest.raises(Http404):
        sel.project_get(user=users["tmx_livelihood"], pk=projects["bz"].pk)
    with pytest.raises(NotPermitted):
        s.project_transition(
            actor=users["bz_admin"], project=projects["hx"], to_stage=Stage.SITE_SURVEY
        )


def test_a_committee_worker_sees_only_their_committee(users, projects) -> None:
    assert _titles(users["hx_worker"]) == {"华新项目"}
    assert _titles(users["fgn_worker"]) == {"蕃瓜弄项目"}
    assert sel.project_get(user=users["hx_worker"], pk=projects["hx"].pk) == projects["hx"]
    for name in ("fgn", "tmx", "bz"):
        with pytest.raises(Http404):
            sel.project_get(user=users["hx_worker"], pk=projects[name].pk)
    assert sel.project_get(user=users["fgn_worker"], pk=projects["fgn"].pk) == projects["fgn"]
    with pytest.raises(Http404):
        sel.project_get(user=users["fgn_worker"], pk=projects["hx"].pk)


def test_leaders_read_but_do_not_change(users, projects) -> None:
    assert _titles(users["ja_leader"]) == {"华新项目", "蕃瓜弄项目", "街道项目", "北站项目"}
    assert _titles(users["tmx_leader"]) == {"华新项目", "蕃瓜弄项目", "街道项目"}
    for leader in ("ja_leader", "tmx_leader"):
        user = users[leader]
        assert sel.project_get(user=user, pk=projects["hx"].pk) == projects["hx"]
        with pytest.raises(NotPermitted):
            sel.project_get(user=user, pk=projects["hx"].pk, action=Action.CHANGE)
        with pytest.raises(NotPermitted):
            s.project_transition(actor=user, project=projects["hx"], to_stage=Stage.SITE_SURVEY)
        with pytest.raises(NotPermitted):
            s.project_update(actor=user, project=projects["hx"], data={"title": "改名"})
        with pytest.raises(NotPermitted):
            s.project_publish(actor=user, project=projects["hx"])
        assert list(sel.project_list(user=user, action=Action.CHANGE)) == []
    projects["hx"].refresh_from_db()
    assert (projects["hx"].title, projects["hx"].stage) == ("华新项目", Stage.PROPOSED)


def test_others_see_nothing(users, projects) -> None:
    for user in (users["enterprise1"], users["tmx_clerk"], users["resident1"], AnonymousUser()):
        assert _titles(user) == set()
        with pytest.raises(Http404):
            sel.project_get(user=user, pk=projects["hx"].pk)


def test_a_resident_sees_only_their_own_proposals(tree, users, projects) -> None:
    resident = make_resident(tree.committee_a)
    neighbour = make_resident(tree.committee_a)
    programme = projects["hx"].programme
    mine = s.project_propose(
        actor=resident,
        programme=programme,
        title="楼道加装扶手",
        place_name="5号楼",
        description="老人上下楼不便",
    )
    s.project_propose(
        actor=neighbour,
        programme=programme,
        title="增设晾衣架",
        place_name="中心绿地",
        description="晾晒不便",
    )
    s.project_publish(actor=users["hx_worker"], project=projects["hx"])
    assert [p.pk for p in sel.project_list(user=resident)] == [mine.pk]
    assert sel.project_get(user=resident, pk=mine.pk) == mine
    # Published projects are read through the public pages, not the staff list.
    with pytest.raises(Http404):
        sel.project_get(user=resident, pk=projects["hx"].pk)
    with pytest.raises(NotPermitted):
        sel.project_get(user=resident, pk=mine.pk, action=Action.CHANGE)
    with pytest.raises(NotPermitted):
        s.project_update(actor=resident, project=mine, data={"title": "改名"})
    assert _titles(users["hx_worker"]) == {"华新项目", "楼道加装扶手", "增设晾衣架"}


def test_a_resident_sees_the_open_and_closed_surveys_of_their_committee(
    tree, users, projects
) -> None:
    worker, office = users["hx_worker"], users["tmx_livelihood"]
    draft = s.survey_create(actor=worker, project=projects["hx"], title="草稿")
    opened = open_survey(projects["hx"], worker)
    closed = s.survey_close(actor=worker, survey=open_survey(projects["hx"], worker))
    subdistrict_wide = open_survey(projects["tmx"], office)
    other_committee = open_survey(projects["fgn"], office)
    resident = make_resident(tree.committee_a)
    seen = set(sel.survey_list(user=resident))
    assert seen == {opened, closed, subdistrict_wide}
    assert sel.survey_get(user=resident, pk=opened.pk) == opened
    for hidden in (draft, other_committee):
        with pytest.raises(Http404):
            sel.survey_get(user=resident, pk=hidden.pk)
    assert set(sel.survey_list(user=make_resident(tree.committee_b))) == {
        other_committee,
        subdistrict_wide,
    }
    assert set(sel.survey_list(user=make_resident(tree.committee_c))) == set()
    assert set(sel.survey_list(user=worker)) == {draft, opened, closed}
    assert set(sel.survey_list(user=office)) == set(Survey.objects.all())
    assert set(sel.survey_list(user=users["bz_admin"])) == set()


def test_an_expert_sees_only_the_projects_assigned_to_them(tree, users, projects) -> None:
    office = users["tmx_livelihood"]
    assigned = walk_to(projects["hx"], Stage.EXPERT_REVIEW, office=office)
    walk_to(projects["fgn"], Stage.EXPERT_REVIEW, office=office)
    assert _titles(users["expert1"]) == set()
    s.review_assign(actor=office, project=assigned, expert=users["expert1"])
    assert _titles(users["expert1"]) == {"华新项目"}
    assert _titles(users["expert2"]) == set()
    assert sel.project_get(user=users["expert1"], pk=assigned.pk) == assigned
    with pytest.raises(Http404):
        sel.project_get(user=users["expert1"], pk=projects["fgn"].pk)
    with pytest.raises(Http404):
        sel.project_get(user=users["expert2"], pk=assigned.pk)
    with pytest.raises(NotPermitted):
        sel.project_get(user=users["expert1"], pk=assigned.pk, action=Action.CHANGE)
    # Experts read no surveys or funds.
    assert list(sel.survey_list(user=users["expert1"])) == []
    assert list(sel.fund_list(user=users["expert1"])) == []


def test_funds_are_scoped_by_their_org_unit(tree, users) -> None:
    tmx = make_programme(tree.sub_a)
    hx_fund = make_fund(tmx, tree.committee_a)
    fgn_fund = make_fund(tmx, tree.committee_b)
    sub_fund = make_fund(tmx, tree.sub_a)
    bz_fund = make_fund(make_programme(tree.sub_b), tree.committee_c)
    assert set(sel.fund_list(user=users["tmx_livelihood"])) == {hx_fund, fgn_fund, sub_fund}
    assert set(sel.fund_list(user=users["bz_admin"])) == {bz_fund}
    assert set(sel.fund_list(user=users["hx_worker"])) == {hx_fund}
    assert set(sel.fund_list(user=users["ja_leader"])) == {hx_fund, fgn_fund, sub_fund, bz_fund}
    with pytest.raises(Http404):
        sel.fund_get(user=users["bz_admin"], pk=hx_fund.pk)
    with pytest.raises(NotPermitted):
        sel.fund_get(user=users["hx_worker"], pk=hx_fund.pk, action=Action.CHANGE)
    assert list(sel.fund_list(user=users["tmx_livelihood"], year=hx_fund.year - 1)) == []
    assert list(sel.programme_list(user=users["bz_admin"])) == [bz_fund.programme]


def test_following_needs_a_visible_project(tree, users, projects) -> None:
    resident = make_resident(tree.committee_a)
    hidden = projects["hx"]
    with pytest.raises(NotPermitted):
        s.follow_set(actor=resident, project=hidden)
    with pytest.raises(NotPermitted):
        s.follow_set(actor=AnonymousUser(), project=hidden)
    assert not Follow.objects.exists()
    s.project_publish(actor=users["hx_worker"], project=hidden)
    hidden.refresh_from_db()
    assert s.follow_set(actor=resident, project=hidden) is True
    s.follow_set(actor=resident, project=hidden)  # twice is still one follow
    assert Follow.objects.filter(project=hidden, user=resident).count() == 1
    with pytest.raises(NotPermitted):
        s.follow_set(actor=AnonymousUser(), project=hidden)
    # Staff may follow what they can see, published or not.
    s.follow_set(actor=users["fgn_worker"], project=projects["fgn"])
    with pytest.raises(NotPermitted):
        s.follow_set(actor=users["fgn_worker"], project=projects["tmx"])
    assert s.follow_set(actor=resident, project=hidden, following=False) is False
    assert not Follow.objects.filter(user=resident).exists()


def test_a_user_sees_only_their_own_follows(tree, users, projects) -> None:
    for p in projects.values():
        s.project_publish(
            actor=users["bz_admin"] if p.title == "北站项目" else users["tmx_admin"], project=p
        )
        p.refresh_from_db()
    a, b = make_resident(tree.committee_a), make_resident(tree.committee_b)
    s.follow_set(actor=a, project=projects["hx"])
    s.follow_set(actor=a, project=projects["bz"])
    s.follow_set(actor=b, project=projects["fgn"])
    assert {f.project.title for f in sel.follows_of(a)} == {"华新项目", "北站项目"}
    assert {f.project.title for f in sel.follows_of(b)} == {"蕃瓜弄项目"}
    assert sel.is_following(a, projects["hx"]) and not sel.is_following(b, projects["hx"])
    assert not sel.is_following(AnonymousUser(), projects["hx"])


def test_public_reads_return_published_projects_only(tree, users, projects) -> None:
    s.project_publish(actor=users["hx_worker"], project=projects["hx"])
    assert [p.title for p in sel.public_projects()] == ["华新项目"]
    assert [p.title for p in sel.public_projects(org=tree.sub_a)] == ["华新项目"]
    assert list(sel.public_projects(org=tree.committee_b)) == []
    assert sel.public_project_get(projects["hx"].pk).title == "华新项目"
    for pk in (projects["fgn"].pk, projects["bz"].pk, "x"):
        with pytest.raises(Http404):
            sel.public_project_get(pk)
    assert sel.public_org_get("TMX-HX") == tree.committee_a
    with pytest.raises(Http404):
        sel.public_org_get("TMX-FGN")
    assert [c["code"] for c in sel.public_committees()] == ["TMX-HX"]
