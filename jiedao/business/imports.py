"""The business enterprise roll importer (see jiedao/core/imports.py).

One row is one enterprise, keyed by its unified social credit code: its core record (name,
building, floor, contact) is saved by the foundation's enterprise_upsert, its business profile
(industry, white-collar headcount, flags, dates) by enterprise_profile_save. A column the file
leaves out leaves that part of the profile alone; a column the file has is the truth, a blank
cell meaning the field's default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.business.models import EnterpriseProfile
from jiedao.business.services import enterprise_profile_save
from jiedao.core.imports import Column, Importer, register
from jiedao.core.models import OrgUnit
from jiedao.core.selectors import building_list
from jiedao.core.services import EnterpriseData, Outcome, PersonData, enterprise_upsert

LABELS = {
    "name": gettext_lazy("企业名称"),
    "credit_code": gettext_lazy("统一社会信用代码"),
    "building": gettext_lazy("楼宇"),
    "floor": gettext_lazy("楼层"),
    "industry": gettext_lazy("行业"),
    "white_collar_count": gettext_lazy("白领人数"),
    "registered_here": gettext_lazy("注册在本街道"),
    "operating_here": gettext_lazy("实际在本街道经营"),
    "is_key": gettext_lazy("重点企业"),
    "moved_in": gettext_lazy("入驻日期"),
    "moved_out": gettext_lazy("迁出日期"),
    "contact_name": gettext_lazy("联系人"),
    "contact_phone": gettext_lazy("联系电话"),
}
# A blank cell in a flag column means the field's default.
FLAG_DEFAULTS = {"registered_here": True, "operating_here": True, "is_key": False}
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", "×", "✗"}
MAX_WHITE_COLLAR = 1_000_000


def parse_flag(raw: str, key: str) -> bool:
    value = raw.strip().lower()
    if not value:
        return FLAG_DEFAULTS[key]
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValidationError(_("“%(label)s”应填“是”或“否”。") % {"label": LABELS[key]})


def parse_count(raw: str) -> int:
    value = raw.strip().replace(",", "").replace("，", "")
    if not value:
        return 0
    if not re.fullmatch(r"\d+", value) or int(value) > MAX_WHITE_COLLAR:
        raise ValidationError(_("白领人数应为0或正整数。"))
    return int(value)


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def parse_date(raw: str, key: str) -> date | None:
    value = raw.strip()
    if not value:
        return None
    # An Excel date cell arrives as "2023-05-01 00:00:00".
    value = re.sub(r"[ T]00:00(:00)?$", "", value)
    for fmt in DATE_FORMATS:
        try:
            day = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if 1900 <= day.year <= 2100:
            return day
    raise ValidationError(
        _("“%(label)s”不是有效的日期，请填写如 2024-01-31 的日期。") % {"label": LABELS[key]}
    )


@dataclass
class RollRow:
    data: EnterpriseData
    contact: PersonData | None
    profile: dict[str, Any]


def _clean(values: dict[str, str], actor: Any, org: OrgUnit) -> RollRow:
    errors: dict[str, list[str]] = {}
    building = None
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
    # `values` holds only the file's columns: one left out leaves the profile's field alone.
    profile: dict[str, Any] = {}
    if "industry" in values:
        industry = values["industry"].strip()
        if len(industry) > 100:
            errors["industry"] = [_("行业不能超过100个字符。")]
        profile["industry"] = industry[:100]
    parsers: list[tuple[str, Any]] = [
        ("white_collar_count", lambda raw, _key: parse_count(raw)),
        *((key, parse_flag) for key in FLAG_DEFAULTS),
        ("moved_in", parse_date),
        ("moved_out", parse_date),
    ]
    for key, parse in parsers:
        if key not in values:
            continue
        try:
            profile[key] = parse(values[key], key)
        except ValidationError as exc:
            errors[key] = exc.messages
    moved_in, moved_out = profile.get("moved_in"), profile.get("moved_out")
    if moved_in and moved_out and moved_out < moved_in and "moved_out" not in errors:
        errors["moved_out"] = [_("迁出日期不能早于入驻日期。")]
    contact: PersonData | None = None
    if values.get("contact_name", "").strip() or values.get("contact_phone", "").strip():
        try:
            contact = PersonData.clean(
                name=values.get("contact_name", ""), phone=values.get("contact_phone", "")
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors[{"phone": "contact_phone"}.get(key, "contact_name")] = messages
    if errors or data is None:
        raise ValidationError(errors)
    return RollRow(data, contact, profile)


def _save(*, actor: Any, org_unit: OrgUnit, cleaned: RollRow) -> Outcome:
    enterprise, outcome = enterprise_upsert(
        actor=actor, org_unit=org_unit, data=cleaned.data, contact=cleaned.contact
    )
    _profile, changed = enterprise_profile_save(
        actor=actor, enterprise=enterprise, data=cleaned.profile
    )
    if outcome == "unchanged" and changed:
        return "updated"
    return outcome


register(
    Importer(
        kind="business_enterprises",
        label=gettext_lazy("楼宇企业名录（营商）"),
        model=EnterpriseProfile,
        columns=[
            Column("name", LABELS["name"], aliases=("name",)),
            Column("credit_code", LABELS["credit_code"], aliases=("信用代码", "uscc")),
            Column("building", LABELS["building"], required=False, aliases=("所在楼宇",)),
            Column("floor", LABELS["floor"], required=False),
            Column("industry", LABELS["industry"], required=False, aliases=("所属行业",)),
            Column(
                "white_collar_count",
                LABELS["white_collar_count"],
                required=False,
                aliases=("白领数", "员工人数"),
            ),
            Column("registered_here", LABELS["registered_here"], required=False),
            Column("operating_here", LABELS["operating_here"], required=False),
            Column("is_key", LABELS["is_key"], required=False),
            Column("moved_in", LABELS["moved_in"], required=False),
            Column("moved_out", LABELS["moved_out"], required=False),
            Column("contact_name", LABELS["contact_name"], required=False),
            Column("contact_phone", LABELS["contact_phone"], required=False),
        ],
        natural_key=lambda row: row.data.credit_code,
        clean_row=_clean,
        save_row=_save,
        help_text=gettext_lazy(
            "按统一社会信用代码识别同一企业：重复导入同一文件不会改变任何数据。"
            "文件中没有的列保持原值；有的列以文件为准，空白单元格取默认值"
            "（是否类默认注册、经营在本街道，非重点企业）。"
        ),
    )
)
