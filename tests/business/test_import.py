"""The business enterprise roll, imported from Excel through the foundation's import path:
preview errors in Chinese, core record and profile saved by their services, a re-import
changes nothing, columns left out are left alone, and another subdistrict cannot import."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from jiedao.business.models import EnterpriseProfile
from jiedao.core.imports import import_job_confirm, import_job_create, importers_for
from jiedao.core.models import Enterprise, ImportJob, ImportStatus, Person
from jiedao.core.permissions import NotPermitted
from tests.conftest import login
from tests.factories import BuildingFactory, credit_code, make_enterprise

KIND = "business_enterprises"
HEADER = [
    "企业名称",
    "统一社会信用代码",
    "楼宇",
    "楼层",
    "行业",
    "白领人数",
    "注册在本街道",
    "实际在本街道经营",
    "重点企业",
    "入驻日期",
    "迁出日期",
    "联系人",
    "联系电话",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # import progress is cached by job id; ids repeat between tests
    yield
    cache.clear()


@pytest.fixture
def codes() -> tuple[str, str]:
    return credit_code(), credit_code()


@pytest.fixture
def building(tree):
    return BuildingFactory(org_unit=tree.area_a, name="凯德星贸广场", floors=30)


def rows_for(codes: tuple[str, str]) -> list[list[Any]]:
    a, b = codes
    return [
        HEADER,
        [
            "上海恒丰信息技术有限公司",
            a,
            "凯德星贸广场",
            12,
            "信息技术",
            "1,200",
            "是",
            "是",
            "是",
            "2019-04-01",
            "",
            "王芳",
            "13812345678",
        ],
        [
            "上海苏河投资管理有限公司",
            b,
            "",
            "",
            "金融服务",
            0,
            "是",
            "否",
            "否",
            datetime(2021, 6, 15),  # an Excel date cell
            "2024年3月31日",
            "",
            "",
        ],
    ]


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
        actor=actor, kind=KIND, org_unit=org, file_name="企业名录.xlsx", content=xlsx(rows)
    )


def run(actor, org, rows: list[list[Any]], capture) -> ImportJob:
    job = preview(actor, org, rows)
    assert job.status == ImportStatus.PREVIEWED, job.errors
    with capture(execute=True):
        import_job_confirm(job=job, actor=actor)
    job.refresh_from_db()
    return job


def _state() -> dict[str, Any]:
    return {
        "enterprises": dict(Enterprise.objects.values_list("pk", "updated_at")),
        "profiles": dict(EnterpriseProfile.objects.values_list("pk", "updated_at")),
        "people": dict(Person.objects.values_list("pk", "updated_at")),
        "log": LogEntry.objects.count(),
    }


# --- the import ---------------------------------------------------------------------------------
def test_the_business_office_may_import_the_roll_and_a_clerk_may_not(users) -> None:
    assert KIND in {i.kind for i in importers_for(users["tmx_business"])}
    assert KIND in {i.kind for i in importers_for(users["tmx_admin"])}
    for name in ("tmx_clerk", "tmx_leader", "enterprise1", "resident1"):
        assert KIND not in {i.kind for i in importers_for(users[name])}, name


def test_preview_saves_nothing_confirm_saves_enterprises_and_profiles(
    tree, users, building, codes, django_capture_on_commit_callbacks
) -> None:
    officer = users["tmx_business"]
    job = preview(officer, tree.sub_a, rows_for(codes))
    assert job.status == ImportStatus.PREVIEWED, job.errors
    assert job.summary == {"created": 2, "updated": 0, "unchanged": 0}
    assert not Enterprise.objects.exists()
    assert not EnterpriseProfile.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(job=job, actor=officer)
    job.refresh_from_db()

    assert job.status == ImportStatus.DONE
    firm = Enterprise.objects.select_related("profile", "contact").get(credit_code=codes[0])
    assert (firm.name, firm.org_unit, firm.building, firm.floor) == (
        "上海恒丰信息技术有限公司",
        tree.sub_a,
        building,
        12,
    )
    p = firm.profile
    assert (p.industry, p.white_collar_count, p.is_key) == ("信息技术", 1200, True)
    assert (p.registered_here, p.operating_here) == (True, True)
    assert (p.moved_in, p.moved_out) == (date(2019, 4, 1), None)
    # the contact is a person record whose phone is stored masked and encrypted
    assert firm.contact is not None
    assert firm.contact.name == "王芳"
    assert firm.contact.phone_masked == "138****5678"
    assert "13812345678" not in firm.contact.phone_encrypted
    other = Enterprise.objects.select_related("profile").get(credit_code=codes[1])
    assert (other.building, other.floor, other.contact) == (None, None, None)
    q = other.profile
    assert (q.industry, q.white_collar_count, q.operating_here, q.is_key) == (
        "金融服务",
        0,
        False,
        False,
    )
    assert (q.moved_in, q.moved_out) == (date(2021, 6, 15), date(2024, 3, 31))
    # written by the services: audited, with the importing user as the actor
    assert LogEntry.objects.get_for_object(p).get().actor == officer


def test_reimporting_the_same_file_reports_all_unchanged_and_changes_nothing(
    tree, users, building, codes, django_capture_on_commit_callbacks
) -> None:
    officer = users["tmx_business"]
    run(officer, tree.sub_a, rows_for(codes), django_capture_on_commit_callbacks)
    before = _state()

    again = run(officer, tree.sub_a, rows_for(codes), django_capture_on_commit_callbacks)

    assert again.status == ImportStatus.DONE
    assert again.summary == {"created": 0, "updated": 0, "unchanged": 2}
    assert _state() == before


def test_a_changed_profile_alone_makes_the_row_updated(
    tree, users, building, codes, django_capture_on_commit_callbacks
) -> None:
    officer = users["tmx_business"]
    run(officer, tree.sub_a, rows_for(codes), django_capture_on_commit_callbacks)
    rows = rows_for(codes)
    rows[1][5] = 1300  # white-collar staff
    rows[2][8] = "是"  # now a key enterprise

    job = run(officer, tree.sub_a, rows, django_capture_on_commit_callbacks)

    assert job.summary == {"created": 0, "updated": 2, "unchanged": 0}
    assert EnterpriseProfile.objects.get(enterprise__credit_code=codes[0]).white_collar_count == (
        1300
    )
    assert EnterpriseProfile.objects.get(enterprise__credit_code=codes[1]).is_key is True


def test_a_known_enterprise_without_a_profile_gets_one(
    tree, users, building, django_capture_on_commit_callbacks
) -> None:
    firm = make_enterprise(tree.sub_a, "上海已有企业有限公司", building=building, floor=3)
    rows = [
        ["企业名称", "统一社会信用代码", "楼宇", "楼层", "白领人数"],
        [firm.name, firm.credit_code, building.name, 3, 25],
    ]
    job = run(users["tmx_business"], tree.sub_a, rows, django_capture_on_commit_callbacks)
    assert job.summary == {"created": 0, "updated": 1, "unchanged": 0}
    profile = EnterpriseProfile.objects.get(enterprise=firm)
    assert (profile.white_collar_count, profile.registered_here, profile.is_key) == (
        25,
        True,
        False,
    )


def test_columns_left_out_of_the_file_are_left_alone(
    tree, users, building, codes, django_capture_on_commit_callbacks
) -> None:
    officer = users["tmx_business"]
    run(officer, tree.sub_a, rows_for(codes), django_capture_on_commit_callbacks)
    short = [
        ["企业名称", "统一社会信用代码", "楼宇", "楼层"],
        ["上海恒丰信息技术有限公司", codes[0], "凯德星贸广场", 12],
    ]
    job = run(officer, tree.sub_a, short, django_capture_on_commit_callbacks)
    assert job.summary == {"created": 0, "updated": 0, "unchanged": 1}
    profile = EnterpriseProfile.objects.get(enterprise__credit_code=codes[0])
    assert (profile.industry, profile.white_collar_count, profile.is_key) == (
        "信息技术",
        1200,
        True,
    )
    assert profile.moved_in == date(2019, 4, 1)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("统一社会信用代码", "91310106MA1FL2X3Q", "统一社会信用代码应为18位"),
        ("统一社会信用代码", "BAD", "统一社会信用代码"),
        ("白领人数", "十二", "白领人数应为0或正整数"),
        ("白领人数", "-3", "白领人数应为0或正整数"),
        ("白领人数", "12.5", "白领人数应为0或正整数"),
        ("重点企业", "也许", "“重点企业”应填“是”或“否”"),
        ("实际在本街道经营", "maybe", "“实际在本街道经营”应填“是”或“否”"),
        ("入驻日期", "2023-13-01", "“入驻日期”不是有效的日期"),
        ("迁出日期", "下个月", "“迁出日期”不是有效的日期"),
        ("迁出日期", "2018-01-01", "迁出日期不能早于入驻日期"),
        ("楼宇", "不存在大厦", "找不到名为“不存在大厦”的楼宇"),
        ("楼层", "三楼", "楼层应为-10到200之间的整数"),
        ("联系电话", "12345", "电话号码"),
    ],
)
def test_preview_errors_are_in_chinese(
    tree, users, building, codes, column: str, value: str, message: str
) -> None:
    rows = rows_for(codes)
    rows[2][HEADER.index(column)] = value
    if column == "联系电话":
        rows[2][HEADER.index("联系人")] = "李雷"

    job = preview(users["tmx_business"], tree.sub_a, rows)

    assert job.status == ImportStatus.INVALID
    assert len(job.errors) == 1, job.errors
    (error,) = job.errors
    assert (error["row"], error["column"]) == (3, column)
    assert message in error["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert not Enterprise.objects.exists()
    with pytest.raises(ValidationError):  # a preview with errors cannot be confirmed
        import_job_confirm(job=job, actor=users["tmx_business"])


def test_a_wrong_check_digit_is_refused(tree, users, building, codes) -> None:
    code = codes[1]
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    rows = rows_for(codes)
    rows[2][1] = wrong
    job = preview(users["tmx_business"], tree.sub_a, rows)
    assert [(e["column"], e["message"]) for e in job.errors] == [
        ("统一社会信用代码", "统一社会信用代码校验位不正确。")
    ]


def test_the_same_credit_code_twice_in_a_file_is_an_error(tree, users, building, codes) -> None:
    rows = rows_for(codes)
    rows[2][1] = codes[0]
    job = preview(users["tmx_business"], tree.sub_a, rows)
    assert [(e["row"], e["message"]) for e in job.errors] == [(3, "与第 2 行重复。")]


# --- scope --------------------------------------------------------------------------------------
def test_another_subdistrict_cannot_import_into_tianmu(tree, users, building, codes) -> None:
    with pytest.raises(NotPermitted):
        preview(users["bz_admin"], tree.sub_a, rows_for(codes))
    assert not ImportJob.objects.exists()


def test_another_subdistrict_cannot_take_over_a_tianmu_firm_through_its_own_import(
    tree, users, building
) -> None:
    firm = make_enterprise(tree.sub_a, "上海天目企业有限公司", building=building, floor=5)
    rows = [
        ["企业名称", "统一社会信用代码", "白领人数", "重点企业"],
        ["改名企业有限公司", firm.credit_code, 999, "是"],
    ]
    job = preview(users["bz_admin"], tree.sub_b, rows)
    assert job.status == ImportStatus.INVALID
    assert [e["message"] for e in job.errors] == ["该信用代码属于您无权修改的企业。"]
    firm.refresh_from_db()
    assert (firm.name, firm.org_unit) == ("上海天目企业有限公司", tree.sub_a)
    assert not EnterpriseProfile.objects.exists()


def test_a_building_of_another_subdistrict_is_not_found(tree, users, codes) -> None:
    BuildingFactory(org_unit=tree.sub_b, name="北站大厦")
    rows = rows_for(codes)
    rows[1][2] = "北站大厦"
    job = preview(users["tmx_business"], tree.sub_a, rows)
    assert [(e["column"], e["message"]) for e in job.errors] == [
        ("楼宇", "找不到名为“北站大厦”的楼宇。")
    ]


# --- pages --------------------------------------------------------------------------------------
def test_the_office_downloads_the_template_and_uploads_the_roll_on_the_import_page(
    tree, users, building, codes
) -> None:
    client = login(users["tmx_business"])
    template = client.get(f"/imports/template/{KIND}/")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == HEADER

    upload = SimpleUploadedFile("企业名录.xlsx", xlsx(rows_for(codes)))
    response = client.post("/imports/", {"kind": KIND, "org_unit": tree.sub_a.pk, "file": upload})

    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/"
    assert (job.kind, job.status, job.summary["created"]) == (KIND, ImportStatus.PREVIEWED, 2)
    assert client.get(response["Location"]).status_code == 200
    # a clerk has no enterprise roll to import
    assert login(users["tmx_clerk"]).get(f"/imports/template/{KIND}/").status_code == 404
