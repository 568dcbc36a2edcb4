"""Inviting an expert: an unknown user id and the id of anyone the office may not invite (an
expert of another subdistrict, an account that is no expert, a deactivated expert) answer alike,
404 in the API and the same form error in the pages, so that no account is revealed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiedao.livelihood.models import ReviewAssignment, Stage
from tests.answers import assert_same_api_answer, assert_same_form_answer
from tests.conftest import bearer, login
from tests.livelihood.factories import make_expert, make_programme, make_project, walk_to

pytestmark = pytest.mark.django_db

UNKNOWN = 987654


@pytest.fixture
def setting(tree: Any, users: dict[str, Any]) -> dict[str, Any]:
    office = users["tmx_livelihood"]
    project = walk_to(
        make_project(make_programme(tree.sub_a), tree.committee_a, actor=office),
        Stage.OPINION_SURVEY,
        office=office,
    )
    retired = make_expert(tree.sub_a)
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    refused = {
        "unknown": UNKNOWN,
        "another subdistrict's expert": make_expert(tree.sub_b).pk,
        "no expert": users["hx_worker"].pk,
        "deactivated expert": retired.pk,
    }
    return {"office": office, "project": project, "refused": refused}


def test_the_api_answers_404_alike_for_every_expert_it_may_not_invite(setting, users):
    client = Client(**bearer(setting["office"]))
    project = setting["project"]

    def invite(pk: int) -> Any:
        return client.post(
            "/api/v1/livelihood/reviews",
            data=json.dumps({"project_id": project.pk, "expert_id": pk}),
            content_type="application/json",
        )

    assert_same_api_answer({pk: invite(pk) for pk in setting["refused"].values()})
    assert not ReviewAssignment.objects.exists()
    assert invite(users["expert1"].pk).status_code == 201  # one of its own experts: yes


def test_the_page_shows_one_error_alike_for_every_expert_it_may_not_invite(setting, users):
    client = login(setting["office"])
    url = reverse("livelihood_review_assign", args=[setting["project"].pk])
    answers = {pk: client.post(url, {"assign-expert": pk}) for pk in setting["refused"].values()}
    errors = assert_same_form_answer(answers)
    # the choice is not among those offered, as for any id: nothing about who the account is
    assert all("选择一个有效的选项" in e for e in errors[1:]), errors
    assert not any("本街道" in e for e in errors)
    assert not ReviewAssignment.objects.exists()
    assert client.post(url, {"assign-expert": users["expert1"].pk}).status_code == 302
