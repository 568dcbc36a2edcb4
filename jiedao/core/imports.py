"""The one import path every module uses: upload → dry-run preview → confirm → run.

A module adds an `Importer` (its columns, how to clean a row, how to save it by natural key)
and registers it; the pages, the all-or-nothing transaction, the per-row errors in the user's
language and the progress display come from here.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core.audit import acting_as
from jiedao.core.models import Enterprise, ImportJob, ImportStatus, OrgUnit, Person
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.selectors import building_list
from jiedao.core.services import (
    EnterpriseData,
    Outcome,
    PersonData,
    enterprise_upsert,
    person_upsert,
)

log = logging.getLogger(__name__)


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, size, broken, wrong columns)."""


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise | str
    required: bool = True
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        from django.utils import translation

        names = {self.key.lower(), *(a.lower() for a in self.aliases)}
        for lang, _name in settings.LANGUAGES:
            with translation.override(lang):
                names.add(str(self.label).strip().lower())
        return names


@dataclass
class Importer:
    kind: str
    label: Promise | str
    model: type
    columns: list[Column]
    natural_key: Callable[[Any], str]
    clean_row: Callable[[dict[str, str], Any, OrgUnit], Any]
    save_row: Callable[..., Outcome]
    help_text: Promise | str = ""
    extra: dict[str, Any] = field(default_factory=dict)


REGISTRY: dict[str, Importer] = {}


def register(importer: Importer) -> None:
    REGISTRY[importer.kind] = importer


def importers_for(user: Any) -> list[Importer]:
    return [imp for imp in REGISTRY.values() if policy.can_any(user, imp.model, Action.IMPORT)]


# --- reading files --------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def too_big_message() -> str:
    megabytes = f"{settings.JIEDAO_IMPORT_MAX_BYTES / 2**20:.2f}".rstrip("0").rstrip(".")
    return _("文件太大：最大 %(mb)s MB。") % {"mb": megabytes}


def read_table(file_name: str, content: bytes) -> list[list[str]]:
    """The rows of an .xlsx or .csv file as text, header first."""
    if len(content) > settings.JIEDAO_IMPORT_MAX_BYTES:
        raise ImportFileError(too_big_message())
    if not content:
        raise ImportFileError(_("文件是空的。"))
    lower = file_name.lower()
    if lower.endswith(".xlsx"):
        if not content.startswith(b"PK\x03\x04"):
            raise ImportFileError(_("文件不是有效的 Excel (.xlsx) 文件。"))
        return _read_xlsx(content)
    if lower.endswith(".csv"):
        if b"\x00" in content[:4096]:
            raise ImportFileError(_("文件不是文本格式的 CSV 文件。"))
        return _read_csv(content)
    raise ImportFileError(_("只支持 .xlsx 和 .csv 文件。"))


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportFileError(_("Excel 文件已损坏，无法读取。")) from exc
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ImportFileError(_("Excel 文件已损坏，无法读取。")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[str]] = []
        for row in sheet.iter_rows(values_only=True):
            cells = [_cell(v) for v in row]
            if any(cells):
                rows.append(cells)
            if len(rows) > settings.JIEDAO_IMPORT_MAX_ROWS + 1:
                raise ImportFileError(
                    _("行数太多：最多 %(n)s 行。") % {"n": settings.JIEDAO_IMPORT_MAX_ROWS}
                )
        return rows
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(_("Excel 文件已损坏，无法读取。")) from exc
    finally:
        workbook.close()


def _read_csv(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ImportFileError(_("无法识别文件的编码。"))
    try:
        rows = [
            [c.replace("\x00", "").strip() for c in row] for row in csv.reader(io.StringIO(text))
        ]
    except csv.Error as exc:
        raise ImportFileError(_("CSV 文件格式不正确。")) from exc
    rows = [r for r in rows if any(r)]
    if len(rows) > settings.JIEDAO_IMPORT_MAX_ROWS + 1:
        raise ImportFileError(
            _("行数太多：最多 %(n)s 行。") % {"n": settings.JIEDAO_IMPORT_MAX_ROWS}
        )
    return rows


def map_columns(importer: Importer, header: list[str]) -> dict[str, int]:
    """Column key → index in the file; missing required columns are an error for the file."""
    found: dict[str, int] = {}
    lowered = [h.strip().lower() for h in header]
    for column in importer.columns:
        names = column.names()
        for index, name in enumerate(lowered):
            if name in names:
                found[column.key] = index
                break
    missing = [str(c.label) for c in importer.columns if c.required and c.key not in found]
    if missing:
        raise ImportFileError(
            _("缺少必需的列：%(cols)s。第一行应为列名：%(all)s。")
            % {"cols": "、".join(missing), "all": "、".join(str(c.label) for c in importer.columns)}
        )
    return found


# --- preview and run ------------------------------------------------------------------------
@dataclass
class RowError:
    row: int
    column: str
    message: str


class _DryRun(Exception):
    pass


def _messages(exc: ValidationError, importer: Importer) -> list[tuple[str, str]]:
    labels = {c.key: str(c.label) for c in importer.columns}
    if hasattr(exc, "error_dict"):
        out = []
        for key, errors in exc.message_dict.items():
            for message in errors:
                out.append((labels.get(key, ""), message))
        return out
    return [("", m) for m in exc.messages]


def _process(
    job: ImportJob, importer: Importer, actor: Any, *, save: bool
) -> tuple[dict[str, int], list[RowError]]:
    rows = read_table(job.file_name, bytes(job.content))
    if len(rows) < 2:
        raise ImportFileError(_("文件中没有数据行。"))
    mapping = map_columns(importer, rows[0])
    summary = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    total = len(rows) - 1
    for offset, raw in enumerate(rows[1:]):
        row_number = offset + 2
        values = {key: (raw[i] if i < len(raw) else "") for key, i in mapping.items()}
        for column in importer.columns:
            if column.required and not values.get(column.key):
                errors.append(RowError(row_number, str(column.label), _("不能为空。")))
        if any(e.row == row_number for e in errors):
            continue
        try:
            cleaned = importer.clean_row(values, actor, job.org_unit)
        except ValidationError as exc:
            errors.extend(RowError(row_number, c, m) for c, m in _messages(exc, importer))
            continue
        key = importer.natural_key(cleaned)
        if key in seen:
            errors.append(RowError(row_number, "", _("与第 %(row)s 行重复。") % {"row": seen[key]}))
            continue
        seen[key] = row_number
        try:
            with transaction.atomic():
                outcome = importer.save_row(actor=actor, org_unit=job.org_unit, cleaned=cleaned)
        except ValidationError as exc:
            errors.extend(RowError(row_number, c, m) for c, m in _messages(exc, importer))
            continue
        except NotPermitted:  # e.g. a contact person the importing user may not register
            errors.append(RowError(row_number, "", _("您无权执行此操作。")))
            continue
        summary[outcome] += 1
        if save and (offset % 25 == 0 or offset == total - 1):
            cache.set(progress_key(job.pk), [offset + 1, total], timeout=3600)
    return summary, errors


def progress_key(job_id: int) -> str:
    return f"jiedao:import:{job_id}:progress"


def import_progress(job: ImportJob) -> tuple[int, int]:
    value = cache.get(progress_key(job.pk))
    if job.status == ImportStatus.DONE:
        return job.total_rows, job.total_rows
    if value:
        return int(value[0]), int(value[1])
    return 0, job.total_rows


def import_job_create(
    *, actor: Any, kind: str, org_unit: OrgUnit, file_name: str, content: bytes
) -> ImportJob:
    """Store the upload and preview it: every row is cleaned and saved, then rolled back."""
    importer = REGISTRY.get(kind)
    if importer is None:
        raise ValidationError({"kind": [_("未知的导入类型。")]})
    policy.require_in_org(actor, importer.model, Action.IMPORT, org_unit)
    if len(content) > settings.JIEDAO_IMPORT_MAX_BYTES:
        raise ValidationError({"file": [too_big_message()]})
    try:
        read_table(file_name, content)
    except ImportFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    job = ImportJob.objects.create(
        kind=kind,
        org_unit=org_unit,
        created_by=actor,
        file_name=file_name[:200],
        content=content,
    )
    return import_job_preview(job=job, actor=actor)


def import_job_preview(*, job: ImportJob, actor: Any) -> ImportJob:
    importer = REGISTRY[job.kind]
    try:
        with transaction.atomic():
            summary, errors = _process(job, importer, actor, save=False)
            raise _DryRun
    except _DryRun:
        pass
    except ImportFileError as exc:
        job.status = ImportStatus.INVALID
        job.message = str(exc)
        job.errors = []
        job.save(update_fields=["status", "message", "errors", "updated_at"])
        return job
    job.total_rows = sum(summary.values()) + len({e.row for e in errors})
    job.summary = summary
    job.errors = [e.__dict__ for e in errors]
    job.status = ImportStatus.INVALID if errors else ImportStatus.PREVIEWED
    job.message = ""
    job.save(update_fields=["total_rows", "summary", "errors", "status", "message", "updated_at"])
    return job


def import_job_confirm(*, job: ImportJob, actor: Any) -> ImportJob:
    """Queue the run of a clean preview; the run is one transaction."""
    if not policy.can(actor, Action.CHANGE, job):
        raise NotPermitted(Action.CHANGE)
    if job.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("只有预览无误的导入才能确认。"))
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.RUNNING
    )
    if not updated:  # confirmed twice at once: only the first runs
        raise ValidationError(_("该导入已在进行。"))
    cache.set(progress_key(job.pk), [0, job.total_rows], timeout=3600)
    from jiedao.core.tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.delay(job.pk, actor.pk))
    job.status = ImportStatus.RUNNING
    return job


def import_job_run(*, job_id: int, actor_id: int) -> ImportJob:
    from django.contrib.auth import get_user_model

    job = ImportJob.objects.select_related("org_unit").get(pk=job_id)
    if job.status != ImportStatus.RUNNING:
        return job  # ran already: running a job twice changes nothing
    actor = get_user_model().objects.get(pk=actor_id)
    importer = REGISTRY[job.kind]
    try:
        with transaction.atomic(), acting_as(actor):
            summary, errors = _process(job, importer, actor, save=True)
            if errors:
                raise ValidationError(errors[0].message)
    except (ValidationError, ImportFileError) as exc:
        job.status = ImportStatus.FAILED
        job.message = _("导入未完成，没有保存任何数据：%(why)s") % {
            "why": "; ".join(getattr(exc, "messages", [str(exc)]))
        }
        job.save(update_fields=["status", "message", "updated_at"])
        return job
    except Exception:  # anything else must not leave the job "running" for ever
        log.exception("import job %s failed", job.pk)
        job.status = ImportStatus.FAILED
        job.message = _("导入未完成，没有保存任何数据：%(why)s") % {
            "why": _("服务器内部错误，请联系管理员。")
        }
        job.save(update_fields=["status", "message", "updated_at"])
        return job
    job.summary = summary
    job.status = ImportStatus.DONE
    job.save(update_fields=["summary", "status", "updated_at"])
    cache.set(progress_key(job.pk), [job.total_rows, job.total_rows], timeout=3600)
    return job


# --- the foundation's two rolls -------------------------------------------------------------
def _person_clean(values: dict[str, str], actor: Any, org: OrgUnit) -> PersonData:
    return PersonData.clean(
        name=values.get("name", ""),
        id_number=values.get("id_number", ""),
        phone=values.get("phone", ""),
        address=values.get("address", ""),
    )


def _person_save(*, actor: Any, org_unit: OrgUnit, cleaned: PersonData) -> Outcome:
    _person, outcome = person_upsert(actor=actor, org_unit=org_unit, data=cleaned)
    return outcome


register(
    Importer(
        kind="residents",
        label=gettext_lazy("居民花名册"),
        model=Person,
        columns=[
            Column("name", gettext_lazy("姓名"), aliases=("name",)),
            Column("id_number", gettext_lazy("身份证号"), aliases=("身份证号码", "id number")),
            Column("phone", gettext_lazy("电话"), required=False, aliases=("手机号", "联系电话")),
            Column("address", gettext_lazy("地址"), required=False, aliases=("住址",)),
        ],
        natural_key=lambda d: d.id_number,
        clean_row=_person_clean,
        save_row=_person_save,
        help_text=gettext_lazy("按身份证号识别同一人：重复导入同一文件不会改变任何数据。"),
    )
)


@dataclass
class EnterpriseRow:
    data: EnterpriseData
    contact: PersonData | None


def _enterprise_clean(values: dict[str, str], actor: Any, org: OrgUnit) -> EnterpriseRow:
    building = None
    errors: dict[str, list[str]] = {}
    building_name = values.get("building", "").strip()
    if building_name:
        building = (
            building_list(user=actor)
            .filter(name=building_name, org_unit__path__startswith=org.path)
            .first()
        )
        if building is None:
            errors["building"] = [_("找不到名为“%(name)s”的楼宇。") % {"name": building_name}]
    data: EnterpriseData | None = None
    try:
        data = EnterpriseData.clean(
            name=values.get("name", ""),
            credit_code=values.get("credit_code", ""),
            building=building,
            floor=values.get("floor") or None,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    contact: PersonData | None = None
    if values.get("contact_name") or values.get("contact_phone"):
        try:
            contact = PersonData.clean(
                name=values.get("contact_name", ""),
                phone=values.get("contact_phone", ""),
                id_number=values.get("contact_id_number", ""),
            )
        except ValidationError as exc:
            for key, msgs in exc.message_dict.items():
                errors[
                    {"name": "contact_name", "phone": "contact_phone"}.get(key, "contact_id_number")
                ] = msgs
    if errors or data is None:
        raise ValidationError(errors)
    return EnterpriseRow(data, contact)


def _enterprise_save(*, actor: Any, org_unit: OrgUnit, cleaned: EnterpriseRow) -> Outcome:
    _enterprise, outcome = enterprise_upsert(
        actor=actor, org_unit=org_unit, data=cleaned.data, contact=cleaned.contact
    )
    return outcome


register(
    Importer(
        kind="enterprises",
        label=gettext_lazy("企业名录"),
        model=Enterprise,
        columns=[
            Column("name", gettext_lazy("企业名称"), aliases=("name",)),
            Column("credit_code", gettext_lazy("统一社会信用代码"), aliases=("信用代码", "uscc")),
            Column("building", gettext_lazy("楼宇"), required=False),
            Column("floor", gettext_lazy("楼层"), required=False),
            Column("contact_name", gettext_lazy("联系人"), required=False),
            Column("contact_phone", gettext_lazy("联系电话"), required=False),
            Column("contact_id_number", gettext_lazy("联系人身份证号"), required=False),
        ],
        natural_key=lambda d: d.data.credit_code,
        clean_row=_enterprise_clean,
        save_row=_enterprise_save,
        help_text=gettext_lazy(
            "按统一社会信用代码识别同一企业：重复导入同一文件不会改变任何数据。"
        ),
    )
)


def template_rows(importer: Importer) -> Iterable[list[str]]:
    yield [str(c.label) for c in importer.columns]
