"""Forms of urban renewal: they parse input only; every write goes through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import DateInput
from jiedao.renewal.models import Answer, WorkMethod
from jiedao.renewal.selectors import STATE_LABELS, HouseholdFilters


def cleaned(form: forms.Form) -> dict[str, Any]:
    """A filter form's valid values; an invalid one is left out, never an error page."""
    form.is_valid()
    return {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}


DATE = DateInput()


class HouseholdFilterForm(forms.Form):
    project = forms.IntegerField(required=False, widget=forms.HiddenInput)
    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部"))] + [(k, v) for k, v in STATE_LABELS.items()],
    )
    block = forms.CharField(label=_("楼号"), required=False, max_length=20)
    assigned_to = forms.IntegerField(required=False, widget=forms.HiddenInput)
    not_visited_days = forms.IntegerField(
        label=_("超过几天未走访"), required=False, min_value=1, max_value=3650
    )
    open_concerns = forms.BooleanField(label=_("有未解决顾虑"), required=False)
    q = forms.CharField(label=_("室号或联系人"), required=False, max_length=50)

    def filters(self) -> HouseholdFilters:
        cd = cleaned(self)
        return HouseholdFilters(
            project=cd.get("project") or None,
            state=cd.get("state") or "",
            block=(cd.get("block") or "").replace("\x00", ""),
            assigned_to=cd.get("assigned_to") or None,
            not_visited_days=cd.get("not_visited_days") or None,
            open_concerns=bool(cd.get("open_concerns")),
            q=(cd.get("q") or "").replace("\x00", ""),
        )


class VersionedForm(forms.Form):
    """Every household form carries the version it was built from (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AnswerForm(VersionedForm):
    answer = forms.ChoiceField(label=_("意愿"), choices=Answer.choices, required=False)
    answered_on = forms.DateField(label=_("答复日期"), widget=DATE, initial=timezone.localdate)


class SignForm(VersionedForm):
    option = forms.ChoiceField(label=_("安置方式"), choices=[])
    number = forms.CharField(label=_("协议编号"), max_length=40)
    signed_on = forms.DateField(label=_("签约日期"), widget=DATE, initial=timezone.localdate)
    signed_by = forms.CharField(label=_("签约人"), max_length=50)
    compensation = forms.DecimalField(
        label=_("补偿金额 (元)"), max_digits=14, decimal_places=2, min_value=0, initial=0
    )
    relocation_allowance = forms.DecimalField(
        label=_("过渡费/搬家费 (元)"), max_digits=12, decimal_places=2, min_value=0, initial=0
    )

    def __init__(self, *args: Any, options: list[dict[str, Any]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        field: Any = self.fields["option"]
        field.choices = [
            (str(o.get("code", "")), str(o.get("label", o.get("code", "")))) for o in options or []
        ]


class MoveForm(VersionedForm):
    moved_on = forms.DateField(label=_("搬离日期"), widget=DATE, required=False)
    keys_on = forms.DateField(label=_("交钥匙日期"), widget=DATE, required=False)
    inspected_on = forms.DateField(label=_("验房日期"), widget=DATE, required=False)


class AssignForm(VersionedForm):
    assigned_to = forms.ChoiceField(label=_("负责人员"), choices=[])

    def __init__(self, *args: Any, staff: list[Any] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.staff = {str(u.pk): u for u in staff or []}
        field: Any = self.fields["assigned_to"]
        field.choices = [(k, str(u)) for k, u in self.staff.items()]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=300)


class VisitForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=DATE, initial=timezone.localdate)
    method = forms.ModelChoiceField(
        label=_("工作方法"), queryset=WorkMethod.objects.all(), required=False
    )
    discussed = forms.CharField(label=_("沟通内容"), widget=forms.Textarea(attrs={"rows": 3}))
    concerns = forms.CharField(
        label=_("诉求与顾虑"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    promises = forms.CharField(
        label=_("承诺事项"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    follow_up = forms.CharField(
        label=_("跟进情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    concern_open = forms.BooleanField(label=_("顾虑未解决"), required=False)


class NotVisitedForm(forms.Form):
    days = forms.IntegerField(label=_("未走访天数"), min_value=1, max_value=3650, required=False)
