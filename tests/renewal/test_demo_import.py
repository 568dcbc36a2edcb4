"""The renewal demo adds up to the reported figures (3 projects done with 47,589.3 m², 2
planned; 蕃瓜弄 fully signed and cleared on day 49) and a second run adds nothing; the
household roll importer previews errors in Chinese and a re-import changes nothing."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from jiedao.accounts.models import User
from jiedao.renewal import selectors
from jiedao.renewal.models import Phase, RenewalProject
from tests.conftest import keep_demo_steps


def _counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_app_config("renewal").get_models()
    }


@pytest.mark.django_db
def test_the_demo_adds_up_to_the_figures_and_a_second_run_adds_nothing(monkeypatch):
    monkeypatch.setenv("JIEDAO_DEMO_TICKET_SCALE", "0.02")
    keep_demo_steps(monkeypatch, "renewal")
    out = io.StringIO()

    call_command("demo", stdout=out)
    first = _counts()
    call_command("demo", stdout=io.StringIO())

    assert _counts() == first
    admin = User.objects.get(username="tmx_admin")
    o = selectors.overview(user=admin)
    assert (o.done, o.planned, o.done_floor_area) == (3, 2, Decimal("47589.3"))
    text = out.getvalue()
    assert "renewal: 3 done, 2 planned, 47589.3 m²" in text, [
        x for x in text.splitlines() if "renewal" in x or "蕃瓜弄" in x
    ]
    fgn = RenewalProject.objects.get(name="蕃瓜弄小区拆除重建")
    assert fgn.org_unit.code == "TMX-FGN" and fgn.compound.name == "蕃瓜弄小区"
    assert fgn.phase == Phase.CONSTRUCTION
    assert 1_000 <= fgn.households.count() <= 1_200
    full = selectors.days_to_full(fgn)
    assert full["cleared"] == 49 and full["signed"] is not None and full["signed"] <= 49
    assert selectors.consultation_result(fgn).share == 1
    assert selectors.signing_result(fgn).share == 1
    assert selectors.funding(fgn).balanced
    assert fgn.households.filter(visits__isnull=True).count() == 0


# --- the household roll importer ----------------------------------------------------------------
KIND = "renewal_households"
HEADER = ["项目", "楼号", "单元", "室号", "面积", "权属", "联系人", "联系电话", "特殊情况"]


@pytest.fixture(autouse=False)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _run(actor: Any, org: Any, rows: list[list[Any]], capture: Any) -> Any:
    from jiedao.core.imports import import_job_confirm, import_job_create
    from jiedao.core.models import ImportStatus

    job = import_job_create(
        actor=actor, kind=KIND, org_unit=org, file_name="居民户.xlsx", content=_xlsx(rows)
    )
    assert job.status == ImportStatus.PREVIEWED, job.errors
    with capture(execute=True):
        import_job_confirm(job=job, actor=actor)
    job.refresh_from_db()
    return job


@pytest.fixture
def fgn_project(tree) -> RenewalProject:
    from tests.factories import CompoundFactory

    return RenewalProject.objects.create(
        org_unit=tree.committee_b,
        compound=CompoundFactory(org_unit=tree.committee_b, name="蕃瓜弄小区"),
        name="蕃瓜弄小区拆除重建",
        kind="rebuild",
        floor_area=Decimal("1000.0"),
    )


ROWS = [
    HEADER,
    [
        "蕃瓜弄小区拆除重建",
        "1",
        "",
        "101",
        "21.5",
        "公房承租",
        "王芳",
        "13812345678",
        "独居老人；低保",
    ],
    ["蕃瓜弄小区拆除重建", "1", "", "102", 18, "私房产权", "", "", ""],
]


@pytest.mark.django_db
def test_import_creates_households_and_a_reimport_changes_nothing(
    tree, users, fgn_project, _fresh_cache, django_capture_on_commit_callbacks
) -> None:
    from jiedao.renewal.models import Household

    admin = users["tmx_admin"]
    job = _run(admin, tree.sub_a, ROWS, django_capture_on_commit_callbacks)
    homes = {h.room: h for h in Household.objects.filter(project=fgn_project)}
    assert set(homes) == {"101", "102"}, job.errors
    assert homes["101"].special == ["独居老人", "低保"]
    assert homes["101"].contact.name == "王芳" and homes["101"].floor_area == Decimal("21.5")
    state = dict(Household.objects.values_list("pk", "version"))
    persons = __import__("jiedao.core.models", fromlist=["Person"]).Person.objects.count()

    _run(admin, tree.sub_a, ROWS, django_capture_on_commit_callbacks)
    assert dict(Household.objects.values_list("pk", "version")) == state
    assert __import__("jiedao.core.models", fromlist=["Person"]).Person.objects.count() == persons

    changed = [HEADER, ROWS[1], [*ROWS[2][:4], "19.0", *ROWS[2][5:]]]
    _run(admin, tree.sub_a, changed, django_capture_on_commit_callbacks)
    homes["102"].refresh_from_db()
    assert homes["102"].floor_area == Decimal("19.0") and homes["102"].version == 2


@pytest.mark.django_db
def test_preview_reports_errors_in_chinese_and_saves_nothing(
    tree, users, fgn_project, _fresh_cache
) -> None:
    from jiedao.core.imports import import_job_create
    from jiedao.renewal.models import Household

    bad = [
        HEADER,
        ["不存在的项目", "1", "", "101", "20", "公房承租", "", "", ""],
        ["蕃瓜弄小区拆除重建", "1", "", "102", "abc", "租赁", "", "", ""],
        ["蕃瓜弄小区拆除重建", "", "", "103", "20", "其他", "", "", ""],
    ]
    job = import_job_create(
        actor=users["tmx_admin"],
        kind=KIND,
        org_unit=tree.sub_a,
        file_name="居民户.xlsx",
        content=_xlsx(bad),
    )
    text = json.dumps(job.errors, ensure_ascii=False)
    assert "找不到名为“不存在的项目”的更新项目" in text
    assert "面积应为大于0的数字" in text and "权属应填" in text and "不能为空" in text
    assert Household.objects.count() == 0
    # Another subdistrict's upload cannot reach the project.
    other = import_job_create(
        actor=users["bz_admin"],
        kind=KIND,
        org_unit=tree.sub_b,
        file_name="居民户.xlsx",
        content=_xlsx(ROWS),
    )
    assert "找不到名为" in json.dumps(other.errors, ensure_ascii=False)
