"""The service-item catalogue, importable from Excel through the foundation's import path."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.affairs.models import ServiceItem
from jiedao.affairs.services import item_upsert, parse_flag
from jiedao.core.imports import Column, Importer, register
from jiedao.core.models import OrgUnit
from jiedao.core.services import Outcome

LABELS = {
    "online": gettext_lazy("可一网通办"),
    "door_to_door": gettext_lazy("上门帮办"),
    "time_limit_days": gettext_lazy("法定时限（工作日）"),
}


def _clean(values: dict[str, str], actor: Any, org: OrgUnit) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    code = values.get("code", "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", code):
        errors["code"] = [_("事项编码只能包含字母、数字、下划线和连字符，最多40位。")]
    data: dict[str, Any] = {"code": code, "name": values.get("name", "").strip()[:200]}
    # `values` holds only the file's columns: one left out leaves an existing item's field alone.
    for key, limit in (("name_en", 200), ("group", 100), ("description", None)):
        if key in values:
            data[key] = values[key].strip()[:limit]
    if "materials" in values:
        data["materials"] = [
            m.strip() for m in re.split(r"[;；、\n]", values["materials"]) if m.strip()
        ]
    try:
        days = int(values.get("time_limit_days", "").strip() or "0")
        if not 1 <= days <= 365:
            raise ValueError
        data["time_limit_days"] = days
    except ValueError:
        errors["time_limit_days"] = [_("法定时限应为1到365之间的整数（工作日）。")]
    for key in ("online", "door_to_door"):
        if key not in values:
            continue
        try:
            data[key] = parse_flag(values[key], str(LABELS[key]))
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return data


def _save(*, actor: Any, org_unit: OrgUnit, cleaned: dict[str, Any]) -> Outcome:
    _item, outcome = item_upsert(actor=actor, org_unit=org_unit, data=cleaned)
    return outcome  # type: ignore[return-value]


register(
    Importer(
        kind="service_items",
        label=gettext_lazy("政务服务事项目录"),
        model=ServiceItem,
        columns=[
            Column("code", gettext_lazy("事项编码"), aliases=("code",)),
            Column("name", gettext_lazy("事项名称"), aliases=("name",)),
            Column("name_en", gettext_lazy("英文名称"), required=False),
            Column("group", gettext_lazy("分组"), required=False),
            Column("time_limit_days", LABELS["time_limit_days"], aliases=("法定时限", "时限")),
            Column("materials", gettext_lazy("所需材料"), required=False),
            Column("online", LABELS["online"], required=False),
            Column("door_to_door", LABELS["door_to_door"], required=False),
            Column("description", gettext_lazy("说明"), required=False),
        ],
        natural_key=lambda d: d["code"],
        clean_row=_clean,
        save_row=_save,
        help_text=gettext_lazy("按事项编码识别同一事项：重复导入同一文件不会改变任何数据。"),
    )
)
