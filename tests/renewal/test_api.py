"""The renewal API: field staff see only their committee's households, a stale
`expected_version` answers 409 `stale`, only supervisors revoke, a refused phase move is a 422
with a code, and a contact leaves only as a name and a masked phone."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from jiedao.accounts.models import Role
from jiedao.renewal.models import Agreement, Household, Phase, RenewalProject, Tenure
from tests.conftest import bearer
from tests.factories import CompoundFactory, UserFactory, make_person

URL = "/api/v1/renewal"


def api(user: Any) -> Client:
    return Client(**bearer(user))


def post_json(client: Client, url: str, payload: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    return body


def _project(org: Any, name: str, phase: str = Phase.SIGNING) -> RenewalProject:
    return RenewalProject.objects.create(
        org_unit=org,
        compound=CompoundFactory(org_unit=org),
        name=name,
        kind="rebuild",
        phase=phase,
        floor_area=Decimal("1000.0"),
        started_on=date(2024, 1, 1),
        options=[{"code": "move_back", "label": "原地回搬"}],
    )


def _household(project: RenewalProject, room: str, **kw: Any) -> Household:
    return Household.objects.create(
        project=project,
        block="1",
        room=room,
        floor_area=Decimal("20.0"),
        tenure=Tenure.PUBLIC,
        **kw,
    )


@pytest.fixture
def world(tree, users) -> dict[str, Any]:
    hx = _project(tree.committee_a, "华新项目")
    fgn = _project(tree.committee_b, "蕃瓜弄项目")
    contact = make_person(tree.committee_a, "王芳", phone="13812345678")
    return {
        "hx": hx,
        "fgn": fgn,
        "hx_home": _household(hx, "101", contact=contact),
        "fgn_home": _household(fgn, "101"),
        "officer": UserFactory.with_role(Role.RENEWAL_OFFICER, tree.sub_a),
    }


@pytest.mark.django_db
def test_field_staff_see_only_their_projects_households_masked(world, users) -> None:
    worker = api(users["hx_worker"])
    rows = worker.get(f"{URL}/households").json()["items"]
    assert [r["id"] for r in rows] == [world["hx_home"].pk]
    assert rows[0]["contact_name"] == "王芳"
    assert rows[0]["contact_phone"] != "13812345678" and "*" in rows[0]["contact_phone"]
    assert (
        "13812345678" not in worker.get(f"{URL}/households/{world['hx_home'].pk}").content.decode()
    )
    assert worker.get(f"{URL}/households/{world['fgn_home'].pk}").status_code == 404
    office = api(world["officer"]).get(f"{URL}/households?limit=5").json()
    assert office["count"] == 2
    assert api(users["bz_admin"]).get(f"{URL}/households").json()["count"] == 0
    assert api(world["officer"]).get(f"{URL}/households?limit=100000").status_code == 422
    detail = api(world["officer"]).get(f"{URL}/projects/{world['hx'].pk}").json()
    assert detail["signing"]["total"] == 1 and "funding" in detail


@pytest.mark.django_db
def test_a_stale_version_answers_409_and_changes_nothing(world) -> None:
    client = api(world["officer"])
    home = world["hx_home"]
    payload = {
        "expected_version": home.version,
        "option": "move_back",
        "number": "HX-0001",
        "signed_on": "2024-02-01",
        "signed_by": "王芳",
        "compensation": "100000.00",
    }
    assert post_json(client, f"{URL}/households/{home.pk}/agreements", payload).status_code == 201
    again = post_json(
        client,
        f"{URL}/households/{home.pk}/moves",
        {"expected_version": home.version, "moved_on": "2024-03-01"},
    )
    assert_error(again, 409, "stale")
    home.refresh_from_db()
    assert home.moved_on is None and home.version == 2
    ok = post_json(
        client,
        f"{URL}/households/{home.pk}/moves",
        {"expected_version": 2, "moved_on": "2024-03-01"},
    )
    assert ok.status_code == 200 and ok.json()["version"] == 3


@pytest.mark.django_db
def test_only_supervisors_revoke_agreements(world, users) -> None:
    home = world["hx_home"]
    agreement = Agreement.objects.create(
        household=home,
        number="HX-9",
        option="move_back",
        signed_on=date(2024, 2, 1),
        signed_by="王",
    )
    url = f"{URL}/agreements/{agreement.pk}/revoke"
    assert_error(post_json(api(world["officer"]), url, {"reason": "录入错误"}), 403, "forbidden")
    assert_error(post_json(api(users["hx_worker"]), url, {"reason": "录入错误"}), 403, "forbidden")
    assert post_json(api(users["bz_admin"]), url, {"reason": "录入错误"}).status_code == 404
    assert_error(post_json(api(users["tmx_leader"]), url, {"reason": ""}), 422, "invalid")
    done = post_json(api(users["tmx_leader"]), url, {"reason": "录入错误"})
    assert done.status_code == 200 and done.json()["revoked_at"]
    assert_error(post_json(api(users["tmx_leader"]), url, {"reason": "再次"}), 422, "invalid")


@pytest.mark.django_db
def test_a_refused_phase_move_is_a_422_with_a_code(world, users) -> None:
    client = api(world["officer"])
    hx = world["hx"]
    illegal = post_json(client, f"{URL}/projects/{hx.pk}/phase", {"to_phase": "done"})
    assert_error(illegal, 422, "illegal_transition")
    # Signing → moving out: 0 of 1 households signed, below the 85% threshold.
    short = post_json(client, f"{URL}/projects/{hx.pk}/phase", {"to_phase": "moving_out"})
    assert_error(short, 422, "threshold_not_met")
    hx.refresh_from_db()
    assert hx.phase == Phase.SIGNING and hx.agreements_effective is False
    worker = post_json(
        api(users["hx_worker"]), f"{URL}/projects/{hx.pk}/phase", {"to_phase": "stopped"}
    )
    assert_error(worker, 403, "forbidden")
    ok = post_json(client, f"{URL}/projects/{hx.pk}/phase", {"to_phase": "stopped"})
    assert ok.status_code == 200 and ok.json()["phase"] == "stopped"


@pytest.mark.django_db
def test_visits_and_ledger(world, users) -> None:
    worker = api(users["hx_worker"])
    made = post_json(
        worker,
        f"{URL}/visits",
        {"household_id": world["hx_home"].pk, "date": "2024-02-01", "discussed": "宣讲政策"},
    )
    assert made.status_code == 201, made.content
    other = post_json(
        worker,
        f"{URL}/visits",
        {"household_id": world["fgn_home"].pk, "date": "2024-02-01", "discussed": "宣讲政策"},
    )
    assert other.status_code == 404
    assert worker.get(f"{URL}/visits").json()["count"] == 1
    office = api(world["officer"])
    entry = {
        "kind": "payment",
        "category": "construction",
        "amount": "5000.00",
        "date": "2024-02-01",
    }
    assert post_json(office, f"{URL}/projects/{world['hx'].pk}/ledger", entry).status_code == 201
    assert office.get(f"{URL}/projects/{world['hx'].pk}/ledger").json()["count"] == 1
    assert_error(
        post_json(worker, f"{URL}/projects/{world['hx'].pk}/ledger", entry), 403, "forbidden"
    )
