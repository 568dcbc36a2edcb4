"""The service-item catalogue: imported from Excel through the foundation's import path
(preview with errors in Chinese, all-or-nothing run, re-import changes nothing), and who may
see and change an item owned by the city or by another subdistrict."""

from __future__ import annotations

import io
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from jiedao.affairs import selectors
from jiedao.affairs.models import ServiceItem
from jiedao.affairs.services import item_upsert
from jiedao.core.imports import import_job_confirm, import_job_create
from jiedao.core.models import ImportJob, ImportStatus
from jiedao.core.permissions import Action, NotPermitted, policy
from tests.affairs.factories import make_item

HEADER = ["事项编码", "事项名称", "法定时限（工作日）", "所需材料", "可一网通办"]
ROWS = [
    ["JZZ-01", "居住证办理", 7, "身份证；租赁合同或产权证明；照片", "是"],
    ["HJ-02", "户籍证明开具", 1, "身份证；户口簿", "否"],
    ["LN-01", "高龄津贴申领", "15", "身份证", ""],
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # import progress is cached by job id; ids repeat between tests
    yield
    cache.clear()


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def preview(actor, org, rows: list[list[Any]]) -> ImportJob:
    return import_job_create(
        actor=actor, kind="service_items", org_unit=org, file_name="事项.xlsx", content=xlsx(rows)
    )


def run(actor, org, rows: list[list[Any]], capture) -> ImportJob:
    job = preview(actor, org, rows)
    assert job.status == ImportStatus.PREVIEWED, job.errors
    with capture(execute=True):
        import_job_confirm(job=job, actor=actor)
    job.refresh_from_db()
    return job


# --- the import ---------------------------------------------------------------------------------
def test_preview_saves_nothing_confirm_saves_every_row(
    tree, users, django_capture_on_commit_callbacks
) -> None:
    admin = users["tmx_admin"]
    job = preview(admin, tree.sub_a, [HEADER, *ROWS])
    assert job.status == ImportStatus.PREVIEWED
    assert job.summary == {"created": 3, "updated": 0, "unchanged": 0}
    assert not ServiceItem.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(job=job, actor=admin)
    job.refresh_from_db()

    assert job.status == ImportStatus.DONE
    items = {i.code: i for i in ServiceItem.objects.all()}
    assert set(items) == {"JZZ-01", "HJ-02", "LN-01"}
    jzz = items["JZZ-01"]
    assert (jzz.name, jzz.time_limit_days, jzz.online) == ("居住证办理", 7, True)
    assert jzz.materials == ["身份证", "租赁合同或产权证明", "照片"]
    assert jzz.org_unit == tree.sub_a
    assert (items["HJ-02"].online, items["HJ-02"].time_limit_days) == (False, 1)
    assert (items["LN-01"].online, items["LN-01"].materials) == (False, ["身份证"])
    entry = LogEntry.objects.get_for_object(jzz).get()
    assert entry.actor == admin


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            ["JZZ-01", "居住证办理", "七天", "身份证", "是"],
            "法定时限（工作日）",
            "法定时限应为1到365",
        ),
        (["JZZ-01", "居住证办理", 0, "身份证", "是"], "法定时限（工作日）", "法定时限应为1到365"),
        (["JZZ-01", "居住证办理", 400, "身份证", "是"], "法定时限（工作日）", "法定时限应为1到365"),
        (["JZZ-01", "居住证办理", 7, "身份证", "也许"], "可一网通办", "应填“是”或“否”"),
        (["居住证 01", "居住证办理", 7, "身份证", "是"], "事项编码", "事项编码只能包含字母"),
        (["JZZ/01", "居住证办理", 7, "身份证", "是"], "事项编码", "事项编码只能包含字母"),
        (["JZZ-01", "", 7, "身份证", "是"], "事项名称", "不能为空"),
    ],
)
def test_preview_errors_are_in_chinese(
    tree, users, row: list[Any], column: str, message: str
) -> None:
    job = preview(users["tmx_admin"], tree.sub_a, [HEADER, ROWS[1], row])
    assert job.status == ImportStatus.INVALID
    assert len(job.errors) == 1
    (error,) = job.errors
    assert error["row"] == 3
    assert error["column"] == column
    assert message in error["message"]
    assert not ServiceItem.objects.exists()
    with pytest.raises(ValidationError):
        import_job_confirm(job=job, actor=users["tmx_admin"])


def test_a_file_without_the_required_columns_is_refused(tree, users) -> None:
    job = preview(users["tmx_admin"], tree.sub_a, [["事项编码", "事项名称"], ["A-1", "甲"]])
    assert job.status == ImportStatus.INVALID
    assert "缺少必需的列" in job.message
    assert "法定时限（工作日）" in job.message


def test_reimporting_the_same_file_changes_nothing(
    tree, users, django_capture_on_commit_callbacks
) -> None:
    admin = users["tmx_admin"]
    run(admin, tree.sub_a, [HEADER, *ROWS], django_capture_on_commit_callbacks)
    before = {i.code: i.updated_at for i in ServiceItem.objects.all()}
    entries = LogEntry.objects.count()

    again = run(admin, tree.sub_a, [HEADER, *ROWS], django_capture_on_commit_callbacks)

    assert again.status == ImportStatus.DONE
    assert again.summary == {"created": 0, "updated": 0, "unchanged": 3}
    assert {i.code: i.updated_at for i in ServiceItem.objects.all()} == before
    assert LogEntry.objects.count() == entries


def test_a_changed_row_updates_the_item(tree, users, django_capture_on_commit_callbacks) -> None:
    admin = users["tmx_admin"]
    run(admin, tree.sub_a, [HEADER, *ROWS], django_capture_on_commit_callbacks)
    changed = [["HJ-02", "户籍证明开具", 2, "身份证；户口簿", "是"]]
    job = run(admin, tree.sub_a, [HEADER, *changed], django_capture_on_commit_callbacks)
    assert job.summary == {"created": 0, "updated": 1, "unchanged": 0}
    item = ServiceItem.objects.get(code="HJ-02")
    assert (item.time_limit_days, item.online) == (2, True)


def test_columns_left_out_of_the_file_are_left_alone(
    tree, users, django_capture_on_commit_callbacks
) -> None:
    # Edited in the admin: an English name, a group, a description, door-to-door help.
    item = make_item(
        tree.sub_a,
        "LN-01",
        "高龄津贴申领",
        time_limit_days=15,
        name_en="Senior allowance",
        group="养老服务",
        description="年满80周岁",
        door_to_door=True,
        materials=["身份证"],
    )
    short = [["事项编码", "事项名称", "法定时限（工作日）"], ["LN-01", "高龄津贴申领", 15]]
    job = run(users["tmx_admin"], tree.sub_a, short, django_capture_on_commit_callbacks)
    assert job.summary == {"created": 0, "updated": 0, "unchanged": 1}
    item.refresh_from_db()
    assert (item.name_en, item.group, item.description) == (
        "Senior allowance",
        "养老服务",
        "年满80周岁",
    )
    assert (item.door_to_door, item.materials) == (True, ["身份证"])


def test_another_subdistrict_cannot_change_an_item_it_does_not_own(tree, users) -> None:
    owned = make_item(tree.sub_a, "HJ-02", "户籍证明开具", time_limit_days=1)
    bz = users["bz_admin"]
    job = preview(bz, tree.sub_b, [HEADER, ["HJ-02", "户籍证明开具（改）", 9, "", "是"]])
    assert job.status == ImportStatus.INVALID
    assert [e["message"] for e in job.errors] == ["该事项编码属于您无权修改的事项。"]
    owned.refresh_from_db()
    assert (owned.name, owned.time_limit_days, owned.online) == ("户籍证明开具", 1, False)
    # … nor import into the other subdistrict at all.
    with pytest.raises(NotPermitted):
        preview(bz, tree.sub_a, [HEADER, *ROWS])


def test_a_subdistrict_cannot_change_the_citys_item_through_the_import(tree, users) -> None:
    city_item = make_item(tree.city, "SH-01", "市级事项", time_limit_days=3)
    with pytest.raises(ValidationError):
        item_upsert(
            actor=users["tmx_admin"],
            org_unit=tree.sub_a,
            data={"code": "SH-01", "name": "改名", "time_limit_days": 3},
        )
    city_item.refresh_from_db()
    assert city_item.name == "市级事项"


# --- who sees and changes the catalogue ---------------------------------------------------------
def test_catalogue_readers_see_the_citys_and_their_own_items(tree, users) -> None:
    city = make_item(tree.city, "SH-01", "市级事项")
    district = make_item(tree.district, "JA-01", "区级事项")
    tmx = make_item(tree.sub_a, "TMX-01", "天目西路事项")
    bz = make_item(tree.sub_b, "BZ-01", "北站事项")

    def seen(name: str) -> set[str]:
        return set(selectors.item_list(user=users[name]).values_list("code", flat=True))

    for name in ("hx_worker", "fgn_worker", "tmx_clerk", "tmx_admin", "tmx_leader"):
        assert seen(name) == {city.code, district.code, tmx.code}, name
    assert seen("bz_admin") == {city.code, district.code, bz.code}
    assert seen("ja_leader") == {city.code, district.code, tmx.code, bz.code}
    assert seen("admin") == {city.code, district.code, tmx.code, bz.code}
    for name in ("resident1", "enterprise1", "expert1", "tmx_business"):
        assert seen(name) == set(), name


def test_seeing_a_parents_item_is_not_changing_it(tree, users) -> None:
    city = make_item(tree.city, "SH-01", "市级事项")
    tmx = make_item(tree.sub_a, "TMX-01", "天目西路事项")
    admin, bz = users["tmx_admin"], users["bz_admin"]

    assert policy.can(admin, Action.VIEW, city)
    assert policy.can(admin, Action.CHANGE, tmx)
    assert not policy.can(admin, Action.CHANGE, city)
    assert not policy.can(admin, Action.DELETE, city)
    assert not policy.can(bz, Action.VIEW, tmx)
    assert not policy.can(bz, Action.CHANGE, tmx)
    assert not policy.can(users["tmx_clerk"], Action.CHANGE, city)
    assert policy.can(users["admin"], Action.CHANGE, city)
