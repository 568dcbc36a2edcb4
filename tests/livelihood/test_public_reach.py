"""What the public side reaches (`policies.PUBLISHED`, `policies.may_reach`): published
projects, their photos' display copies, their aggregate survey results and following them.
An unpublished project, its photos and following it answer 404 to everyone outside its view
scope, exactly as an id that does not exist, through the pages and the API alike."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiedao.core.models import Notification
from jiedao.livelihood import services as s
from jiedao.livelihood.models import Follow, PhotoKind, Project, Stage
from tests.conftest import bearer, login
from tests.livelihood.factories import (
    image_bytes,
    make_programme,
    make_project,
    make_resident,
    open_survey,
    walk_to,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/livelihood"
MISSING = 987654
# Outside the scope of a project of 蕃瓜弄 (committee_b of 天目西路): anonymous, a resident of
# another committee, another subdistrict's administrator, the worker of another committee, an
# expert not assigned to it.
OUTSIDERS = ["anonymous", "resident1", "bz_admin", "hx_worker", "expert1"]
SIZES = ("thumb", "display", "original")


@pytest.fixture
def world(tree: Any, users: dict[str, Any]) -> dict[str, Any]:
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a)
    hidden = make_project(programme, tree.committee_b, actor=office, title="未公开的花园")
    shown = make_project(programme, tree.committee_b, actor=office, published=True)
    photos = {}
    for name, project in (("hidden", hidden), ("shown", shown)):
        photos[name] = s.photo_upload(
            actor=office, project=project, data=image_bytes(), name="a.jpg", kind=PhotoKind.BEFORE
        )
    return {"office": office, "hidden": hidden, "shown": shown, "photos": photos}


def _page(name: str, users: dict[str, Any]) -> Client:
    return Client() if name == "anonymous" else login(users[name])


def _api(name: str, users: dict[str, Any]) -> Client:
    return Client() if name == "anonymous" else Client(**bearer(users[name]))


def _answers(name: str, users: dict[str, Any], project_pk: int, photo_pk: int) -> list[Any]:
    """What one caller gets from every public-side address of a project and its photo."""
    page, api = _page(name, users), _api(name, users)
    answers = [
        page.get(reverse("livelihood_public_project", args=[project_pk])),
        page.post(reverse("livelihood_public_follow", args=[project_pk]), {"following": "1"}),
        page.post(reverse("livelihood_public_follow", args=[project_pk]), {"following": "0"}),
        api.post(f"{API}/projects/{project_pk}/follow"),
        api.delete(f"{API}/projects/{project_pk}/follow"),
        api.get(f"{API}/projects/{project_pk}"),
        api.get(f"{API}/projects/{project_pk}/photos"),
    ]
    answers += [page.get(reverse("livelihood_photo", args=[photo_pk, size])) for size in SIZES]
    return answers


def _shape(response: Any, *pks: int) -> tuple[int, str]:
    """Status and body, less what differs by request alone: the CSRF token and the address
    (which the language switcher echoes); a redirect's target is the login page either way."""
    if response.status_code == 302:
        return 302, response["Location"].split("?")[0]
    body = re.sub(r"[A-Za-z0-9]{64}", "<csrf>", response.content.decode(errors="replace"))
    for pk in pks:
        body = body.replace(f"/{pk}/", "/<id>/")
    return response.status_code, body


@pytest.mark.parametrize("name", OUTSIDERS)
def test_an_unpublished_project_and_its_photos_answer_as_if_missing(world, users, name):
    hidden, photo = world["hidden"], world["photos"]["hidden"]
    got = _answers(name, users, hidden.pk, photo.pk)
    missing = _answers(name, users, MISSING, MISSING)
    # then: status and body alike, for each address, whether the project exists or not
    ids = (hidden.pk, photo.pk, MISSING)
    assert [_shape(r, *ids) for r in got] == [_shape(r, *ids) for r in missing]
    statuses = [r.status_code for r in got]
    if name == "anonymous":  # pages: to the login page to follow; the API: a token first
        assert statuses == [404, 302, 302, 401, 401, 401, 401, 404, 404, 404]
    else:
        assert statuses == [404] * len(got)
    assert not any("未公开的花园" in r.content.decode(errors="ignore") for r in got)
    assert not Follow.objects.exists()


@pytest.mark.parametrize("name", OUTSIDERS)
def test_a_published_project_and_its_photos_reach_everyone(world, users, name):
    shown, photo = world["shown"], world["photos"]["shown"]
    page, api = _page(name, users), _api(name, users)
    assert page.get(reverse("livelihood_public_project", args=[shown.pk])).status_code == 200
    for size in ("thumb", "display"):
        response = page.get(reverse("livelihood_photo", args=[photo.pk, size]))
        assert response.status_code == 200 and "public" in response["Cache-Control"]
    # the original keeps its metadata: only for staff who may change the project
    assert page.get(reverse("livelihood_photo", args=[photo.pk, "original"])).status_code == 404
    follow_url = reverse("livelihood_public_follow", args=[shown.pk])
    if name == "anonymous":
        assert page.post(follow_url).status_code == 302  # to log in
        assert api.post(f"{API}/projects/{shown.pk}/follow").status_code == 401
        assert not Follow.objects.exists()
        return
    followed = page.post(follow_url, {"following": "1"})
    assert followed["Location"] == reverse("livelihood_public_project", args=[shown.pk])
    assert Follow.objects.filter(project=shown, user=users[name]).exists()
    answer = api.delete(f"{API}/projects/{shown.pk}/follow")
    assert answer.status_code == 200 and answer.json() == {
        "project_id": shown.pk,
        "following": False,
    }
    answer = api.post(f"{API}/projects/{shown.pk}/follow")
    assert answer.status_code == 200 and answer.json()["following"] is True


def test_those_in_scope_keep_an_unpublished_project_off_the_public_page(tree, world, users):
    hidden, photo, office = world["hidden"], world["photos"]["hidden"], world["office"]
    hidden = walk_to(hidden, Stage.OPINION_SURVEY, office=office)
    s.review_assign(actor=office, project=hidden, expert=users["expert2"])
    proposer = make_resident(tree.committee_b)
    own = s.project_propose(
        actor=proposer,
        programme=hidden.programme,
        title="我的提议",
        place_name="楼下",
        description="种树",
    )
    own_photo = s.photo_upload(
        actor=office, project=own, data=image_bytes(), name="b.jpg", kind=PhotoKind.SITE
    )
    cases = [(n, hidden, photo) for n in ("fgn_worker", "tmx_livelihood", "tmx_leader", "expert2")]
    for name, project, picture in [*cases, ("proposer", own, own_photo)]:
        user = proposer if name == "proposer" else users[name]
        page, api = login(user), Client(**bearer(user))
        # the public page shows published projects only, whoever asks
        public = page.get(reverse("livelihood_public_project", args=[project.pk]))
        assert public.status_code == 404, name
        # their own pages, the picture files (never cached publicly) and following remain
        assert api.get(f"{API}/projects/{project.pk}").status_code == 200, name
        for size in ("thumb", "display"):
            response = page.get(reverse("livelihood_photo", args=[picture.pk, size]))
            assert response.status_code == 200, (name, size)
            assert "private" in response["Cache-Control"]
        assert api.post(f"{API}/projects/{project.pk}/follow").status_code == 200, name
        assert Follow.objects.filter(project=project, user=user).exists()
    staff_page = login(users["fgn_worker"]).get(reverse("livelihood_project", args=[hidden.pk]))
    assert staff_page.status_code == 200


@pytest.mark.parametrize("name", OUTSIDERS)
def test_the_surveys_of_an_unpublished_project_answer_as_if_missing(world, users, name):
    office = world["office"]
    hidden = walk_to(world["hidden"], Stage.OPINION_SURVEY, office=office)
    survey = s.survey_close(actor=office, survey=open_survey(hidden, office))

    def answers(pk: int) -> list[Any]:
        page, api = _page(name, users), _api(name, users)
        return [
            page.get(reverse("livelihood_public_survey", args=[pk])),
            *(api.get(f"{API}/surveys/{pk}{tail}") for tail in ("", "/results", "/responses")),
        ]

    ids = (survey.pk, MISSING)
    got = [_shape(r, *ids) for r in answers(survey.pk)]
    assert got == [_shape(r, *ids) for r in answers(MISSING)]
    assert got[0][0] in {302, 403, 404} and {code for code, _ in got[1:]} <= {401, 404}


def test_a_photo_is_public_exactly_while_its_project_is(world, users):
    project, office = world["hidden"], world["office"]
    project = walk_to(project, Stage.SITE_SURVEY, office=office)
    kinds = [PhotoKind.SITE, PhotoKind.OTHER, PhotoKind.BEFORE]
    photos = [world["photos"]["hidden"]] + [
        s.photo_upload(actor=office, project=project, data=image_bytes(), name="c.jpg", kind=k)
        for k in kinds
    ]
    urls = [reverse("livelihood_photo", args=[p.pk, "display"]) for p in photos]
    anonymous = Client()
    assert {anonymous.get(u).status_code for u in urls} == {404}
    s.project_publish(actor=office, project=project)
    assert {anonymous.get(u).status_code for u in urls} == {200}
    s.project_publish(actor=office, project=project, published=False)
    assert {anonymous.get(u).status_code for u in urls} == {404}
    assert {login(users["bz_admin"]).get(u).status_code for u in urls} == {404}
    assert {login(users["fgn_worker"]).get(u).status_code for u in urls} == {200}


def _notified(user: Any, project: Project) -> int:
    return Notification.objects.filter(
        user=user, key__startswith=f"livelihood-stage:{project.pk}:"
    ).count()


def test_a_project_taken_off_the_public_side_tells_no_outsider_of_its_moves(
    tree, world, users, django_capture_on_commit_callbacks
):
    project, office = world["shown"], world["office"]
    resident = make_resident(tree.committee_a)
    s.follow_set(actor=resident, project=project)
    s.follow_set(actor=users["fgn_worker"], project=project)
    s.project_publish(actor=office, project=project, published=False)
    with django_capture_on_commit_callbacks(execute=True):
        s.project_transition(actor=office, project=project, to_stage=Stage.SITE_SURVEY)
    assert _notified(resident, project) == 0
    assert _notified(users["fgn_worker"], project) == 1  # in its scope: still told
    s.project_publish(actor=office, project=project)
    project.refresh_from_db()
    s.site_survey_record(actor=office, project=project, day=project.proposed_on, findings="可行")
    with django_capture_on_commit_callbacks(execute=True):
        s.project_transition(actor=office, project=project, to_stage=Stage.OPINION_SURVEY)
    assert _notified(resident, project) == 1


def test_a_follower_may_stop_following_a_project_taken_off_the_public_side(tree, world, users):
    project, office = world["shown"], world["office"]
    resident = make_resident(tree.committee_a)
    s.follow_set(actor=resident, project=project)
    s.project_publish(actor=office, project=project, published=False)
    page, api = login(resident), Client(**bearer(resident))
    mine = page.get(reverse("livelihood_public_mine")).content.decode()
    follows = mine.split('id="my-follows"')[1].split("</section>")[0]
    assert "（项目暂未公开）" in follows and project.title not in follows
    assert "stage-" not in follows  # nor how far it has gone
    url = reverse("livelihood_public_follow", args=[project.pk])
    response = page.post(url, {"following": "0", "next": reverse("livelihood_public_mine")})
    assert response.status_code == 302
    assert not Follow.objects.filter(project=project).exists()
    # following it again, or stopping twice: as for any project they may not reach
    assert page.post(url, {"following": "1"}).status_code == 404
    assert page.post(url, {"following": "0"}).status_code == 404
    assert api.post(f"{API}/projects/{project.pk}/follow").status_code == 404
    assert api.delete(f"{API}/projects/{project.pk}/follow").status_code == 404
    s.follow_set(actor=resident, project=project, following=False)  # a no-op, no error
    Follow.objects.create(project=project, user=resident)
    assert api.delete(f"{API}/projects/{project.pk}/follow").json()["following"] is False
    assert not Follow.objects.exists()
