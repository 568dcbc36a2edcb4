"""The household roll importer of urban renewal (see jiedao/core/imports.py).

One row is one household, keyed by project, block, unit and room; the project is named in the
项目 column and must belong to the upload's org unit (or below) and be visible to the user.
Saved by services.household_upsert: a re-import of the same file changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core.imports import Column, Importer, register
from jiedao.core.models import OrgUnit
from jiedao.core.services import Outcome, PersonData
from jiedao.renewal.models import Household, RenewalProject, Tenure
from jiedao.renewal.selectors import project_list
from jiedao.renewal.services import household_upsert

LABELS = {
    "project": gettext_lazy("项目"),
    "block": gettext_lazy("楼号"),
    "unit": gettext_lazy("单元"),
    "room": gettext_lazy("室号"),
    "floor_area": gettext_lazy("面积"),
    "tenure": gettext_lazy("权属"),
    "contact_name": gettext_lazy("联系人"),
    "contact_phone": gettext_lazy("联系电话"),
    "special": gettext_lazy("特殊情况"),
}
MAX_AREA = Decimal("10000")


@dataclass
class HouseholdRow:
    project: RenewalProject
    data: dict[str, Any] = field(default_factory=dict)


def _short(values: dict[str, str], key: str, errors: dict[str, list[str]], required: bool) -> str:
    value = values.get(key, "").replace("\x00", "").strip()
    if required and not value:
        errors[key] = [_("请填写“%(label)s”。") % {"label": LABELS[key]}]
    elif len(value) > 20:
        errors[key] = [_("“%(label)s”不能超过20个字符。") % {"label": LABELS[key]}]
    return value


def _clean(values: dict[str, str], actor: Any, org: OrgUnit) -> HouseholdRow:
    errors: dict[str, list[str]] = {}
    name = values.get("project", "").strip()
    project = (
        project_list(user=actor).filter(name=name, org_unit__path__startswith=org.path).first()
        if name
        else None
    )
    if project is None:
        errors["project"] = [_("找不到名为“%(name)s”的更新项目。") % {"name": name}]
    block = _short(values, "block", errors, True)
    unit = _short(values, "unit", errors, False)
    room = _short(values, "room", errors, True)
    area: Decimal | None = None
    raw_area = values.get("floor_area", "").strip().replace("㎡", "").replace("m²", "")
    try:
        area = Decimal(raw_area).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        area = None
    if area is None or not area.is_finite() or area <= 0 or area > MAX_AREA:
        errors["floor_area"] = [_("面积应为大于0的数字（平方米）。")]
    tenures = {str(label): value for value, label in Tenure.choices}
    tenure = tenures.get(values.get("tenure", "").strip())
    if tenure is None:
        errors["tenure"] = [_("权属应填“公房承租”“私房产权”或“其他”。")]
    special = [s.strip() for s in re.split(r"[；;]", values.get("special", "")) if s.strip()]
    if any(len(s) > 50 for s in special):
        errors["special"] = [_("每项特殊情况不能超过50个字符。")]
    contact: PersonData | None = None
    if values.get("contact_name", "").strip() or values.get("contact_phone", "").strip():
        try:
            contact = PersonData.clean(
                name=values.get("contact_name", ""), phone=values.get("contact_phone", "")
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors[{"phone": "contact_phone"}.get(key, "contact_name")] = messages
    if errors or project is None:
        raise ValidationError(errors)
    return HouseholdRow(
        project,
        {
            "block": block,
            "unit": unit,
            "room": room,
            "floor_area": area,
            "tenure": tenure,
            "special": special,
            "contact": contact,
        },
    )


def _save(*, actor: Any, org_unit: OrgUnit, cleaned: HouseholdRow) -> Outcome:
    _household, outcome = household_upsert(actor=actor, project=cleaned.project, data=cleaned.data)
    return outcome  # type: ignore[no-any-return]


register(
    Importer(
        kind="renewal_households",
        label=gettext_lazy("居民户清册（城市更新）"),
        model=Household,
        columns=[
            Column("project", LABELS["project"], aliases=("项目名称",)),
            Column("block", LABELS["block"], aliases=("楼栋", "幢号")),
            Column("unit", LABELS["unit"], required=False),
            Column("room", LABELS["room"], aliases=("室", "房号")),
            Column("floor_area", LABELS["floor_area"], aliases=("建筑面积", "面积(m²)")),
            Column("tenure", LABELS["tenure"]),
            Column("contact_name", LABELS["contact_name"], required=False),
            Column("contact_phone", LABELS["contact_phone"], required=False),
            Column("special", LABELS["special"], required=False),
        ],
        natural_key=lambda row: "|".join(
            [str(row.project.pk), row.data["block"], row.data["unit"], row.data["room"]]
        ),
        clean_row=_clean,
        save_row=_save,
        help_text=gettext_lazy(
            "按项目、楼号、单元和室号识别同一户：重复导入同一文件不会改变任何数据。"
            "项目须属于所选组织；特殊情况用“；”分隔。"
        ),
    )
)
