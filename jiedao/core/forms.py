"""Forms only parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import OfficeBuilding, OrgUnit, PiiField


class DateInput(forms.DateInput):
    """A date picker whose value is ISO (YYYY-MM-DD) in every language: `<input type="date">`
    drops any other form, and Chinese formats dates as 2026/12/03."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)


class PersonForm(forms.Form):
    org_unit = forms.ModelChoiceField(label=_("所属组织"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=30, required=False)
    phone = forms.CharField(label=_("电话"), max_length=30, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)

    def __init__(self, *args: Any, orgs: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = orgs  # type: ignore[attr-defined]
        if editing:
            keep = _("留空则保持不变")
            self.fields["id_number"].help_text = keep
            self.fields["phone"].help_text = keep
        else:
            self.fields["id_number"].required = True


class EnterpriseForm(forms.Form):
    org_unit = forms.ModelChoiceField(label=_("所属组织"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("企业名称"), max_length=200)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    building = forms.ModelChoiceField(
        label=_("楼宇"), queryset=OfficeBuilding.objects.none(), required=False
    )
    floor = forms.IntegerField(label=_("楼层"), required=False, min_value=-10, max_value=200)

    def __init__(self, *args: Any, orgs: Any, buildings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["building"].queryset = buildings  # type: ignore[attr-defined]


class RevealForm(forms.Form):
    field = forms.ChoiceField(label=_("字段"), choices=PiiField.choices)
    reason = forms.CharField(label=_("查看理由"), max_length=200, min_length=2)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入类型"))
    org_unit = forms.ModelChoiceField(label=_("导入到"), queryset=OrgUnit.objects.none())
    file = forms.FileField(label=_("文件 (.xlsx 或 .csv)"))

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        self.fields["org_unit"].queryset = orgs  # type: ignore[attr-defined]
