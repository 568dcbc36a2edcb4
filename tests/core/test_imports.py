"""The import path through its pages: upload → preview → confirm → run, all or nothing."""

from __future__ import annotations

import csv
import io
import re

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from jiedao.core import imports, pii
from jiedao.core.models import Enterprise, ImportJob, ImportStatus, Person
from tests.conftest import login
from tests.factories import BuildingFactory, credit_code, id_number, make_person, mobile

RES_HEADER = ["姓名", "身份证号", "电话", "地址"]
ENT_HEADER = [
    "企业名称",
    "统一社会信用代码",
    "楼宇",
    "楼层",
    "联系人",
    "联系电话",
    "联系人身份证号",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # progress lives in the cache, keyed by job id; ids repeat between tests
    cache.clear()
    yield
    cache.clear()


# --- building files -----------------------------------------------------------------------------
def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def resident_rows(n: int = 3) -> list[list[object]]:
    names = ["张三", "李四", "王五", "赵六", "钱七", "孙八"]
    return [RES_HEADER] + [[names[i], id_number(), mobile(), f"华新路{i + 1}号"] for i in range(n)]


def make_file(rows: list[list[object]], fmt: str) -> tuple[str, bytes]:
    if fmt == "xlsx":
        return "roll.xlsx", xlsx_bytes(rows)
    if fmt == "csv-gb18030":
        return "roll.csv", csv_bytes(rows, "gb18030")
    return "roll.csv", csv_bytes(rows)


# --- driving the pages --------------------------------------------------------------------------
def upload(client, kind: str, org, file_name: str, content: bytes):
    upload_file = SimpleUploadedFile(file_name, content, content_type="application/octet-stream")
    return client.post("/imports/", {"kind": kind, "org_unit": org.pk, "file": upload_file})


def upload_ok(client, kind: str, org, file_name: str, content: bytes) -> ImportJob:
    response = upload(client, kind, org, file_name, content)
    assert response.status_code == 302, response.content.decode()
    match = re.fullmatch(r"/imports/(\d+)/", response["Location"])
    assert match, response["Location"]
    return ImportJob.objects.get(pk=int(match.group(1)))


def confirm(client, job: ImportJob, capture) -> ImportJob:
    with capture(execute=True):
        response = client.post(f"/imports/{job.pk}/confirm/")
    assert response.status_code == 302, response.content.decode()
    job.refresh_from_db()
    return job


def page(client, job: ImportJob) -> str:
    response = client.get(f"/imports/{job.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def form_errors(response) -> str:
    assert response.status_code == 200
    return " ".join(str(e) for errs in response.context["form"].errors.values() for e in errs)


# --- the upload page ----------------------------------------------------------------------------
def test_upload_page_and_templates(users):
    client = login(users["tmx_admin"])
    response = client.get("/imports/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "居民花名册" in body
    assert "企业名录" in body
    template = client.get("/imports/template/residents/")
    assert template.status_code == 200
    assert template["Content-Type"] == XLSX


def test_import_page_is_not_found_for_roles_that_cannot_import(users):
    for name in ("tmx_leader", "resident1", "expert1"):
        assert login(users[name]).get("/imports/").status_code == 404
    assert login(users["hx_worker"]).get("/imports/template/enterprises/").status_code == 404
    assert login(users["hx_worker"]).get("/imports/template/nonsense/").status_code == 404


# --- residents roll -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "csv", "csv-gb18030"])
def test_residents_preview_counts_and_saves_nothing(tree, users, fmt):
    # given
    client = login(users["hx_worker"])
    name, content = make_file(resident_rows(3), fmt)
    # when
    job = upload_ok(client, "residents", tree.committee_a, name, content)
    # then
    assert job.status == ImportStatus.PREVIEWED
    assert job.summary == {"created": 3, "updated": 0, "unchanged": 0}
    assert job.total_rows == 3
    assert job.errors == []
    assert Person.objects.count() == 0
    assert not LogEntry.objects.filter(content_type__model="person").exists()
    body = page(client, job)
    assert "新增 3 条，更新 0 条，无变化 0 条" in body
    assert f'action="/imports/{job.pk}/confirm/"' in body


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "csv-gb18030"])
def test_residents_confirm_saves_every_row(tree, users, fmt, django_capture_on_commit_callbacks):
    # given
    client = login(users["hx_worker"])
    rows = resident_rows(3)
    name, content = make_file(rows, fmt)
    job = upload_ok(client, "residents", tree.committee_a, name, content)
    # when
    job = confirm(client, job, django_capture_on_commit_callbacks)
    # then
    assert job.status == ImportStatus.DONE, job.message
    assert job.summary == {"created": 3, "updated": 0, "unchanged": 0}
    assert Person.objects.count() == 3
    for name_, id_no, phone, address in rows[1:]:
        person = Person.objects.get(id_number_hash=pii.blind_index(id_no))
        assert person.name == name_
        assert person.org_unit == tree.committee_a
        assert person.address == address
        assert pii.decrypt(person.phone_encrypted) == phone
        assert person.name_initials
    assert "结果" in page(client, job)
    assert imports.import_progress(job) == (3, 3)


def test_xlsx_with_numeric_cells_and_english_headers(
    tree, users, django_capture_on_commit_callbacks
):
    # given: a phone typed as a number, English column names
    client = login(users["tmx_admin"])
    id_no = id_number()
    content = xlsx_bytes([["name", "id number", "phone"], ["张三", id_no, 13812345678]])
    # when
    job = upload_ok(client, "residents", tree.committee_a, "roll.xlsx", content)
    job = confirm(client, job, django_capture_on_commit_callbacks)
    # then
    assert job.status == ImportStatus.DONE, job.message
    person = Person.objects.get()
    assert pii.decrypt(person.phone_encrypted) == "13812345678"


def test_reimporting_the_same_file_changes_nothing(tree, users, django_capture_on_commit_callbacks):
    # given
    client = login(users["hx_worker"])
    name, content = make_file(resident_rows(4), "xlsx")
    confirm(
        client,
        upload_ok(client, "residents", tree.committee_a, name, content),
        django_capture_on_commit_callbacks,
    )
    before = dict(Person.objects.values_list("pk", "updated_at"))
    # when
    again = upload_ok(client, "residents", tree.committee_a, name, content)
    # then: the preview says nothing will change
    assert again.summary == {"created": 0, "updated": 0, "unchanged": 4}
    assert "新增 0 条，更新 0 条，无变化 4 条" in page(client, again)
    # and running it changes nothing
    again = confirm(client, again, django_capture_on_commit_callbacks)
    assert again.status == ImportStatus.DONE
    assert again.summary == {"created": 0, "updated": 0, "unchanged": 4}
    assert dict(Person.objects.values_list("pk", "updated_at")) == before


def test_reimport_with_one_changed_row_updates_only_it(
    tree, users, django_capture_on_commit_callbacks
):
    # given
    client = login(users["hx_worker"])
    rows = resident_rows(3)
    confirm(
        client,
        upload_ok(client, "residents", tree.committee_a, *make_file(rows, "csv")),
        django_capture_on_commit_callbacks,
    )
    rows[2][3] = "华新路99号"
    # when
    job = confirm(
        client,
        upload_ok(client, "residents", tree.committee_a, *make_file(rows, "csv")),
        django_capture_on_commit_callbacks,
    )
    # then
    assert job.summary == {"created": 0, "updated": 1, "unchanged": 2}
    assert Person.objects.get(id_number_hash=pii.blind_index(rows[2][1])).address == "华新路99号"


# --- per-row errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_row_errors_name_row_and_column_in_chinese(tree, users, fmt):
    # given
    client = login(users["hx_worker"])
    good = id_number()
    bad_checksum = good[:-1] + ("1" if good[-1] != "1" else "2")
    rows = [
        RES_HEADER,
        ["张三", good, mobile(), "华新路1号"],  # row 2: fine
        ["李四", bad_checksum, mobile(), ""],  # row 3: bad ID
        ["王五", id_number(), "12345", ""],  # row 4: bad phone
        ["", id_number(), mobile(), ""],  # row 5: missing name
        ["赵六", "", mobile(), ""],  # row 6: missing ID
        ["张三", good, mobile(), ""],  # row 7: same ID as row 2
    ]
    # when
    job = upload_ok(client, "residents", tree.committee_a, *make_file(rows, fmt))
    # then
    assert job.status == ImportStatus.INVALID
    errors = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert errors[(3, "身份证号")] == "身份证号校验位不正确。"
    assert "电话" in errors[(4, "电话")] or "号码" in errors[(4, "电话")]
    assert errors[(5, "姓名")] == "不能为空。"
    assert errors[(6, "身份证号")] == "不能为空。"
    assert errors[(7, "")] == "与第 2 行重复。"
    assert 2 not in {e["row"] for e in job.errors}
    assert Person.objects.count() == 0
    # and the page lists them with row numbers, and offers no confirm button
    body = page(client, job)
    assert body.count('class="row-error"') == len(job.errors)
    assert "身份证号校验位不正确。" in body
    assert "与第 2 行重复。" in body
    assert f'action="/imports/{job.pk}/confirm/"' not in body


def test_a_file_with_errors_cannot_be_confirmed(tree, users, django_capture_on_commit_callbacks):
    # given
    client = login(users["hx_worker"])
    rows = resident_rows(3)
    rows[2][2] = "not a phone"
    job = upload_ok(client, "residents", tree.committee_a, *make_file(rows, "csv"))
    assert job.status == ImportStatus.INVALID
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/confirm/", follow=True)
    # then
    assert response.status_code == 200
    assert "只有预览无误的导入才能确认。" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.INVALID
    assert Person.objects.count() == 0


def test_confirming_twice_runs_once(tree, users, django_capture_on_commit_callbacks):
    client = login(users["hx_worker"])
    job = upload_ok(client, "residents", tree.committee_a, *make_file(resident_rows(2), "csv"))
    confirm(client, job, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/confirm/", follow=True)
    assert "只有预览无误的导入才能确认。" in response.content.decode()
    assert Person.objects.count() == 2
    # and running the task again is harmless
    assert imports.import_job_run(job_id=job.pk, actor_id=users["hx_worker"].pk).status == "done"
    assert Person.objects.count() == 2


# --- all or nothing -----------------------------------------------------------------------------
def _fail_on_third_save(monkeypatch, exc: Exception) -> None:
    importer = imports.REGISTRY["residents"]
    original = importer.save_row
    calls = {"n": 0}

    def save_row(**kwargs):
        calls["n"] += 1
        outcome = original(**kwargs)
        if calls["n"] == 3:
            raise exc
        return outcome

    monkeypatch.setattr(importer, "save_row", save_row)


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(RuntimeError("disk on fire"), id="unexpected"),
        pytest.param(imports.ValidationError("数据库拒绝了这一行"), id="validation"),
    ],
)
def test_failure_mid_run_saves_nothing(
    tree, users, monkeypatch, django_capture_on_commit_callbacks, exc
):
    # given: a clean preview
    client = login(users["hx_worker"])
    job = upload_ok(client, "residents", tree.committee_a, *make_file(resident_rows(5), "xlsx"))
    assert job.status == ImportStatus.PREVIEWED
    # when: the run fails on row 3, after rows 1-2 were written
    _fail_on_third_save(monkeypatch, exc)
    job = confirm(client, job, django_capture_on_commit_callbacks)
    # then
    assert Person.objects.count() == 0
    assert job.status == ImportStatus.FAILED
    assert "没有保存任何数据" in job.message
    assert "没有保存任何数据" in page(client, job)


# --- bad files ----------------------------------------------------------------------------------
def _valid_xlsx() -> bytes:
    return xlsx_bytes(resident_rows(3))


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        pytest.param("roll.txt", b"a,b\n1,2\n", "只支持 .xlsx 和 .csv 文件。", id="extension"),
        pytest.param("roll", b"a,b\n1,2\n", "只支持 .xlsx 和 .csv 文件。", id="no-extension"),
        pytest.param(
            "roll.xlsx", b"name,id\n1,2\n", "文件不是有效的 Excel (.xlsx) 文件。", id="not-zip"
        ),
        pytest.param(
            "roll.xlsx", _valid_xlsx()[:300], "Excel 文件已损坏，无法读取。", id="truncated"
        ),
        pytest.param(
            "roll.xlsx",
            b"PK\x03\x04" + b"\x00" * 200,
            "Excel 文件已损坏，无法读取。",
            id="broken-zip",
        ),
        pytest.param(
            "roll.csv", b"\x00\x01\x02binary", "文件不是文本格式的 CSV 文件。", id="binary-csv"
        ),
        pytest.param("roll.csv", b"", "所提交的是空文件。", id="empty"),
        pytest.param("roll.xlsx", b"", "所提交的是空文件。", id="empty-xlsx"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tree, users, file_name, content, expected):
    # given
    client = login(users["hx_worker"])
    # when
    response = upload(client, "residents", tree.committee_a, file_name, content)
    # then
    assert response.status_code == 200
    assert expected in form_errors(response)
    assert expected in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert Person.objects.count() == 0


def test_a_zip_that_is_not_a_workbook_is_refused(tree, users):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    response = upload(client := login(users["hx_worker"]), "residents", tree.committee_a,
                      "roll.xlsx", buffer.getvalue())  # fmt: skip
    assert "Excel 文件已损坏，无法读取。" in form_errors(response)
    assert client.get("/imports/").status_code == 200
    assert ImportJob.objects.count() == 0


def test_too_big_a_file_is_refused(tree, users, settings):
    # given
    settings.JIEDAO_IMPORT_MAX_BYTES = 2**20
    content = csv_bytes(resident_rows(1)) + b"#" * (2**20)
    # when
    response = upload(login(users["hx_worker"]), "residents", tree.committee_a, "r.csv", content)
    # then
    assert "文件太大：最大 1 MB。" in form_errors(response)
    assert ImportJob.objects.count() == 0
    assert Person.objects.count() == 0


def test_too_big_content_is_refused_by_the_service_too(tree, users, settings):
    settings.JIEDAO_IMPORT_MAX_BYTES = 2**20
    with pytest.raises(imports.ValidationError) as exc:
        imports.import_job_create(
            actor=users["hx_worker"],
            kind="residents",
            org_unit=tree.committee_a,
            file_name="r.csv",
            content=b"x" * (2**20 + 1),
        )
    assert "文件太大" in " ".join(exc.value.messages)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_wrong_columns_name_the_missing_column(tree, users, fmt):
    # given
    client = login(users["hx_worker"])
    rows = [["姓名", "证件号码", "电话"], ["张三", id_number(), mobile()]]
    # when
    job = upload_ok(client, "residents", tree.committee_a, *make_file(rows, fmt))
    # then
    assert job.status == ImportStatus.INVALID
    assert "缺少必需的列：身份证号" in job.message
    body = page(client, job)
    assert "缺少必需的列：身份证号" in body
    assert f'action="/imports/{job.pk}/confirm/"' not in body
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [b"\xe5\xa7\x93\xe5\x90\x8d,\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe5\x8f\xb7\n", b"\n\n,,\n"],
)
def test_a_file_with_no_data_rows_is_refused(tree, users, content):
    client = login(users["hx_worker"])
    job = upload_ok(client, "residents", tree.committee_a, "roll.csv", content)
    assert job.status == ImportStatus.INVALID
    assert "文件中没有数据行。" in page(client, job)
    assert Person.objects.count() == 0


def test_an_xlsx_with_only_a_header_is_refused(tree, users):
    client = login(users["hx_worker"])
    job = upload_ok(client, "residents", tree.committee_a, "r.xlsx", xlsx_bytes([RES_HEADER]))
    assert job.status == ImportStatus.INVALID
    assert "文件中没有数据行。" in job.message


def test_too_many_rows_are_refused(tree, users, settings):
    settings.JIEDAO_IMPORT_MAX_ROWS = 2
    response = upload(
        login(users["hx_worker"]),
        "residents",
        tree.committee_a,
        *make_file(resident_rows(3), "csv"),
    )
    assert "行数太多：最多 2 行。" in form_errors(response)
    assert ImportJob.objects.count() == 0


# --- who may import where -----------------------------------------------------------------------
def test_committee_worker_cannot_import_into_another_committee(tree, users):
    # given
    client = login(users["hx_worker"])
    # when
    response = upload(client, "residents", tree.committee_b, *make_file(resident_rows(2), "csv"))
    # then
    assert response.status_code == 200
    assert "org_unit" in response.context["form"].errors
    assert ImportJob.objects.count() == 0
    assert Person.objects.count() == 0
    # and the other committee is not even offered
    choices = [str(o.pk) for o in response.context["form"].fields["org_unit"].queryset]
    assert str(tree.committee_b.pk) not in choices
    assert str(tree.committee_a.pk) in choices


def test_committee_worker_cannot_import_enterprises(tree, users):
    response = upload(
        login(users["hx_worker"]),
        "enterprises",
        tree.committee_a,
        "e.csv",
        csv_bytes([ENT_HEADER, ["甲公司", credit_code(), "", "", "", "", ""]]),
    )
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert ImportJob.objects.count() == 0


def test_committee_worker_cannot_move_a_resident_of_another_committee(
    tree, users, django_capture_on_commit_callbacks
):
    # given: the ID number already belongs to a person of another committee
    theirs = make_person(tree.committee_b, "李四")
    id_no = pii.decrypt(theirs.id_number_encrypted)
    rows = [RES_HEADER, ["李四", id_no, mobile(), "华新路1号"]]
    client = login(users["hx_worker"])
    # when
    job = upload_ok(client, "residents", tree.committee_a, *make_file(rows, "csv"))
    # then
    assert job.status == ImportStatus.INVALID
    assert job.errors[0]["row"] == 2
    assert "无权修改" in job.errors[0]["message"]
    theirs.refresh_from_db()
    assert theirs.org_unit == tree.committee_b


# --- progress and privacy of jobs ---------------------------------------------------------------
def test_progress_is_reported_while_running_and_after_the_run(
    tree, users, django_capture_on_commit_callbacks
):
    # given
    client = login(users["hx_worker"])
    job = upload_ok(client, "residents", tree.committee_a, *make_file(resident_rows(3), "csv"))
    assert imports.import_progress(job) == (0, 3)
    # while running (as the page polls it)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    cache.set(imports.progress_key(job.pk), [1, 3])
    job.refresh_from_db()
    assert imports.import_progress(job) == (1, 3)
    partial = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "1 / 3" in partial
    assert 'hx-trigger="every 1s"' in partial
    # after the run
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.PREVIEWED)
    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    assert imports.import_progress(job) == (3, 3)
    assert cache.get(imports.progress_key(job.pk)) == [3, 3]


def test_another_users_import_is_not_found(tree, users, django_capture_on_commit_callbacks):
    # given
    job = upload_ok(
        login(users["hx_worker"]),
        "residents",
        tree.committee_a,
        *make_file(resident_rows(2), "csv"),
    )
    # then: other users cannot see or confirm it
    for name in ("fgn_worker", "tmx_clerk", "bz_admin", "tmx_business"):
        client = login(users[name])
        assert client.get(f"/imports/{job.pk}/").status_code == 404, name
        assert client.post(f"/imports/{job.pk}/confirm/").status_code == 404, name
    # the subdistrict admin may look at it but not confirm someone else's import
    admin = login(users["tmx_admin"])
    assert f'action="/imports/{job.pk}/confirm/"' not in page(admin, job)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(f"/imports/{job.pk}/confirm/").status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert Person.objects.count() == 0
    # and an id that does not exist
    assert admin.get("/imports/999999/").status_code == 404


def test_recent_imports_list_shows_only_own_jobs(tree, users):
    upload_ok(
        login(users["hx_worker"]),
        "residents",
        tree.committee_a,
        *make_file(resident_rows(1), "csv"),
    )
    body = login(users["fgn_worker"]).get("/imports/").content.decode()
    assert "roll.csv" not in body
    assert "roll.csv" in login(users["hx_worker"]).get("/imports/").content.decode()


# --- enterprise roll ----------------------------------------------------------------------------
def enterprise_rows(tree) -> list[list[object]]:
    building = BuildingFactory(org_unit=tree.sub_a, name="凯德星贸广场")
    return [
        ENT_HEADER,
        ["甲科技有限公司", credit_code(), building.name, 12, "陈经理", mobile(), ""],
        ["乙贸易有限公司", credit_code(), "", "", "", "", ""],
        ["丙咨询有限公司", credit_code(), building.name, "3", "林女士", mobile(), id_number()],
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "csv-gb18030"])
def test_enterprise_roll_preview_confirm_and_reimport(
    tree, users, fmt, django_capture_on_commit_callbacks
):
    # given
    client = login(users["tmx_admin"])
    rows = enterprise_rows(tree)
    name, content = make_file(rows, fmt)
    # when: preview
    job = upload_ok(client, "enterprises", tree.sub_a, name, content)
    # then
    assert job.status == ImportStatus.PREVIEWED, job.errors or job.message
    assert job.summary == {"created": 3, "updated": 0, "unchanged": 0}
    assert Enterprise.objects.count() == 0
    assert Person.objects.count() == 0
    # when: confirm
    job = confirm(client, job, django_capture_on_commit_callbacks)
    # then
    assert job.status == ImportStatus.DONE, job.message
    assert Enterprise.objects.count() == 3
    first = Enterprise.objects.get(credit_code=rows[1][1])
    assert first.building.name == "凯德星贸广场"
    assert first.floor == 12
    assert first.contact.name == "陈经理"
    assert pii.decrypt(first.contact.phone_encrypted) == rows[1][5]
    assert Enterprise.objects.get(credit_code=rows[2][1]).contact is None
    third = Enterprise.objects.get(credit_code=rows[3][1])
    assert third.contact.id_number_hash == pii.blind_index(rows[3][6])
    # when: the same file again
    stamps = dict(Enterprise.objects.values_list("pk", "updated_at"))
    people = dict(Person.objects.values_list("pk", "updated_at"))
    again = upload_ok(client, "enterprises", tree.sub_a, name, content)
    assert again.summary == {"created": 0, "updated": 0, "unchanged": 3}
    again = confirm(client, again, django_capture_on_commit_callbacks)
    # then
    assert again.summary == {"created": 0, "updated": 0, "unchanged": 3}
    assert dict(Enterprise.objects.values_list("pk", "updated_at")) == stamps
    assert dict(Person.objects.values_list("pk", "updated_at")) == people


def test_enterprise_roll_row_errors(tree, users):
    # given
    client = login(users["tmx_admin"])
    good = credit_code()
    rows = [
        ENT_HEADER,
        ["甲公司", good, "", "", "", "", ""],  # row 2: fine
        ["乙公司", good[:-1] + ("0" if good[-1] != "0" else "1"), "", "", "", "", ""],  # checksum
        ["丙公司", good[:10], "", "", "", "", ""],  # row 4: length
        ["丁公司", credit_code(), "不存在的大厦", "", "", "", ""],  # row 5: unknown building
        ["戊公司", credit_code(), "", "九楼", "", "", ""],  # row 6: floor not a number
        ["己公司", credit_code(), "", "", "周先生", "123", ""],  # row 7: contact phone
        ["甲公司", good, "", "", "", "", ""],  # row 8: duplicate of row 2
        ["", credit_code(), "", "", "", "", ""],  # row 9: missing name
    ]
    # when
    job = upload_ok(client, "enterprises", tree.sub_a, *make_file(rows, "csv"))
    # then
    assert job.status == ImportStatus.INVALID
    errors = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert errors[(3, "统一社会信用代码")] == "统一社会信用代码校验位不正确。"
    assert errors[(4, "统一社会信用代码")] == "统一社会信用代码应为18位。"
    assert errors[(5, "楼宇")] == "找不到名为“不存在的大厦”的楼宇。"
    assert errors[(6, "楼层")] == "楼层应为-10到200之间的整数。"
    assert (7, "联系电话") in errors
    assert errors[(8, "")] == "与第 2 行重复。"
    assert errors[(9, "企业名称")] == "不能为空。"
    assert Enterprise.objects.count() == 0


def test_business_officer_imports_enterprises_with_contacts(
    tree, users, django_capture_on_commit_callbacks
):
    # given: a business officer may import enterprises but may not register residents
    client = login(users["tmx_business"])
    rows = enterprise_rows(tree)
    # when
    response = upload(client, "enterprises", tree.sub_a, *make_file(rows, "csv"))
    # then: never a crash; the row whose contact would register a resident is reported
    assert response.status_code == 302, response.status_code
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    assert [(e["row"], e["message"]) for e in job.errors] == [(4, "您无权执行此操作。")]
    assert Enterprise.objects.count() == 0
    assert Person.objects.count() == 0
    # and without that contact's ID number the roll goes in
    rows[3][6] = ""
    job = upload_ok(client, "enterprises", tree.sub_a, *make_file(rows, "csv"))
    assert job.status == ImportStatus.PREVIEWED, job.errors
    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.message
    assert Enterprise.objects.count() == 3
