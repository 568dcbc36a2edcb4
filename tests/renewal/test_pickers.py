"""Making a member of staff responsible for a household: an unknown user id and the id of anyone
who may not work the household answer alike, with the same form error."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from jiedao.accounts.models import Role
from tests.answers import assert_same_form_answer
from tests.conftest import login
from tests.factories import UserFactory
from tests.renewal.factories import make_household, make_project

pytestmark = pytest.mark.django_db

UNKNOWN = 987654


def test_staff_who_may_not_work_the_household_are_refused_as_an_unknown_id(tree, users):
    officer = UserFactory.with_role(Role.RENEWAL_OFFICER, tree.sub_a, username="tmx_renewal")
    retired = UserFactory.with_role(Role.RENEWAL_OFFICER, tree.sub_a, username="retired")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    household = make_household(make_project(tree.committee_a))
    client = login(officer)
    url = reverse("renewal_household", args=[household.pk])

    def assign(pk: int) -> Any:
        return client.post(url, {"form": "assign", "assign-version": 1, "assign-assigned_to": pk})

    refused = [
        UNKNOWN,
        users["bz_admin"].pk,  # another subdistrict
        users["fgn_worker"].pk,  # another committee
        users["tmx_leader"].pk,  # reads, does not work households
        retired.pk,
    ]
    assert_same_form_answer({pk: assign(pk) for pk in refused})
    household.refresh_from_db()
    assert (household.assigned_to_id, household.version) == (None, 1)
    assert assign(users["hx_worker"].pk).status_code == 302
    household.refresh_from_db()
    assert household.assigned_to == users["hx_worker"]
