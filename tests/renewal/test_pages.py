"""Pages of urban renewal: reachable, scoped, locked against lost updates, masked exports."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.accounts.models import Role
from jiedao.renewal import services
from jiedao.renewal.models import Agreement, Household, Phase, RenewalProject
from tests.conftest import login
from tests.factories import CompoundFactory, UserFactory, make_person

pytestmark = pytest.mark.django_db


def _project(org: Any, name: str = "蕃瓜弄更新", phase: str = Phase.CONSULTATION) -> RenewalProject:
    return RenewalProject.objects.create(
        org_unit=org,
        compound=CompoundFactory(org_unit=org),
        name=name,
        kind="rebuild",
        phase=phase,
        floor_area=Decimal("1000.0"),
        started_on=timezone.localdate() - timedelta(days=10),
        options=[{"code": "move_back", "label": "原地回搬"}],
    )


def _households(project: RenewalProject, n: int, start: int = 0) -> list[Household]:
    return [
        Household.objects.create(
            project=project,
            block="1",
            room=f"{100 + i}",
            floor_area=Decimal("30.0"),
            tenure="public",
            contact=make_person(project.org_unit, f"住户{i}", phone=f"1390000{i:04d}"),
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def officer(tree: Any) -> Any:
    return UserFactory.with_role(Role.RENEWAL_OFFICER, tree.sub_a, username="tmx_renewal")


def test_pages_render_for_officer(tree: Any, officer: Any) -> None:
    project = _project(tree.sub_a)
    h = _households(project, 2)[0]
    client = login(officer)
    for url in (
        reverse("renewal_projects"),
        reverse("renewal_projects") + "?phase=done",
        reverse("renewal_project", args=[project.pk]),
        reverse("renewal_households") + f"?project={project.pk}&not_visited_days=14",
        reverse("renewal_household", args=[h.pk]),
        reverse("renewal_visit", args=[h.pk]),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("home")).content.decode()
    assert "城市更新" in page


def test_visit_form_records(tree: Any, officer: Any) -> None:
    h = _households(_project(tree.sub_a), 1)[0]
    response = login(officer).post(
        reverse("renewal_visit", args=[h.pk]),
        {
            "date": timezone.localdate().isoformat(),
            "discussed": "安置方案",
            "concerns": "面积",
            "concern_open": "on",
        },
    )
    assert response.status_code == 302
    assert h.visits.get().concern_open


def test_other_subdistrict_gets_404(tree: Any, users: dict[str, Any]) -> None:
    project = _project(tree.sub_a)
    h = _households(project, 1)[0]
    client = login(users["bz_admin"])
    assert client.get(reverse("renewal_project", args=[project.pk])).status_code == 404
    assert client.get(reverse("renewal_household", args=[h.pk])).status_code == 404
    assert client.get(reverse("renewal_visit", args=[h.pk])).status_code == 404


def test_committee_worker_sees_only_their_committee(tree: Any, users: dict[str, Any]) -> None:
    mine = _project(tree.committee_a, "华新更新")
    other = _project(tree.sub_a, "街道更新")
    h_mine = _households(mine, 1)[0]
    h_other = _households(other, 1)[0]
    client = login(users["hx_worker"])
    page = client.get(reverse("renewal_households")).content.decode()
    assert "华新更新" in page and "街道更新" not in page
    assert client.get(reverse("renewal_household", args=[h_mine.pk])).status_code == 200
    assert client.get(reverse("renewal_household", args=[h_other.pk])).status_code == 404
    assert client.get(reverse("renewal_project", args=[other.pk])).status_code == 404


def test_stale_form_shows_message_and_changes_nothing(tree: Any, officer: Any) -> None:
    h = _households(_project(tree.sub_a), 1)[0]
    colleague = UserFactory.with_role(Role.RENEWAL_OFFICER, tree.sub_a, username="colleague")
    first, second = login(officer), login(colleague)
    url = reverse("renewal_household", args=[h.pk])
    assert first.get(url).status_code == 200
    assert second.get(url).status_code == 200
    today = timezone.localdate().isoformat()
    ok = first.post(
        url,
        {
            "form": "answer",
            "answer-version": 1,
            "answer-answer": "agree",
            "answer-answered_on": today,
        },
    )
    assert ok.status_code == 302
    stale = second.post(
        url,
        {
            "form": "answer",
            "answer-version": 1,
            "answer-answer": "disagree",
            "answer-answered_on": today,
        },
    )
    body = stale.content.decode()
    assert "已被其他工作人员修改" in body
    assert '<option value="disagree" selected>' in body  # the user's input is kept
    h.refresh_from_db()
    assert (h.answer, h.version) == ("agree", 2)


def _signed(tree: Any, officer: Any) -> Household:
    project = _project(tree.sub_a, phase=Phase.SIGNING)
    h = _households(project, 1)[0]
    services.agreement_sign(
        actor=officer,
        household=h,
        expected_version=h.version,
        option="move_back",
        number="XY-1",
        signed_on=timezone.localdate(),
        signed_by="住户0",
        compensation=Decimal("100"),
    )
    return h


def test_revoke_only_for_supervisor(tree: Any, officer: Any, users: dict[str, Any]) -> None:
    h = _signed(tree, officer)
    url = reverse("renewal_household", args=[h.pk])
    data = {"form": "revoke", "revoke-reason": "信息有误"}
    assert "撤销协议" not in login(officer).get(url).content.decode()
    assert login(officer).post(url, data).status_code == 403
    leader = login(users["tmx_leader"])
    assert "撤销协议" in leader.get(url).content.decode()
    assert leader.post(url, data).status_code == 302
    assert Agreement.objects.get().revoked_at is not None
    assert "已撤销" in leader.get(url).content.decode()


def test_household_list_constant_queries(tree: Any, officer: Any) -> None:
    project = _project(tree.sub_a)
    client = login(officer)
    url = reverse("renewal_households") + f"?project={project.pk}"
    _households(project, 3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    more = _households(project, 27, start=3)
    assert Household.objects.count() == 30 and more
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_export_is_masked(tree: Any, officer: Any) -> None:
    project = _project(tree.sub_a)
    _households(project, 2)
    response = login(officer).get(reverse("renewal_households") + "?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert "13900000000" not in text and "13900000001" not in text
    assert "住户0" in text and "*" in text


def test_phase_move_shows_threshold_message(tree: Any, officer: Any) -> None:
    project = _project(tree.sub_a)
    h = _households(project, 2)[0]
    services.household_record_answer(actor=officer, household=h, expected_version=1, answer="agree")
    services.visit_record(
        actor=officer,
        household=h,
        day=timezone.localdate(),
        discussed="x",
        concerns="y",
        concern_open=True,
    )
    client = login(officer)
    response = client.post(
        reverse("renewal_project_phase", args=[project.pk]),
        {"to_phase": Phase.SIGNING},
        follow=True,
    )
    body = response.content.decode()
    assert "意愿征询未达到通过比例" in body and "50.0% (1/2)" in body
    project.refresh_from_db()
    assert project.phase == Phase.CONSULTATION and project.consultation_passed is False
    assert "renewal-burnup-data" in body and "资金平衡" in body


def test_sign_form_through_page(tree: Any, officer: Any) -> None:
    project = _project(tree.sub_a, phase=Phase.SIGNING)
    h = _households(project, 1)[0]
    response = login(officer).post(
        reverse("renewal_household", args=[h.pk]),
        {
            "form": "sign",
            "sign-version": 1,
            "sign-option": "move_back",
            "sign-number": "A-1",
            "sign-signed_on": timezone.localdate().isoformat(),
            "sign-signed_by": "住户0",
            "sign-compensation": "10",
            "sign-relocation_allowance": "0",
        },
    )
    assert response.status_code == 302
    assert Agreement.objects.get().household == h


def test_overview_figures_come_from_the_registry_formatted(
    tree: Any, users: dict[str, Any]
) -> None:
    import re

    from tests.renewal.factories import make_project

    # given: two delivered projects whose areas add up past a thousand, and a planned one
    make_project(tree.committee_a, phase=Phase.DONE, floor_area=Decimal("40000.0"))
    make_project(tree.committee_b, phase=Phase.DEMOLITION, floor_area=Decimal("7589.3"))
    make_project(tree.committee_a, phase=Phase.PLANNED, floor_area=Decimal("10.0"))
    # when
    page = login(users["tmx_admin"]).get(reverse("renewal_projects")).content.decode()
    card = login(users["tmx_leader"]).get("/report/TMX/").content.decode()

    # then: separators and the figure's one decimal, never "47589.30000000000"
    def shown(html: str, html_id: str) -> str:
        block = html.split(f'id="figure-{html_id}"', 1)[1]
        return re.search(r"<strong>([^<]*)</strong>", block).group(1)

    assert shown(page, "area") == "47,589.3 m²"
    assert shown(page, "done") == "2 个" and shown(page, "planned") == "1 个"
    area = re.search(
        r'data-figure="renewal.delivered_area">.*?figure-value[^>]*>([^<]*)<', card, re.S
    )
    assert area.group(1).strip() == "47,589.3 m²"  # the same number on the report card
    # a committee worker's page counts only their committee's projects
    mine = login(users["hx_worker"]).get(reverse("renewal_projects")).content.decode()
    assert shown(mine, "area") == "40,000.0 m²"
