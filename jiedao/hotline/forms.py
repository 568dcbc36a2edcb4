"""Forms of the 12345 pages: they only parse input; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import OrgUnit
from jiedao.evaluations.models import Level
from jiedao.hotline import selectors
from jiedao.hotline.models import (
    Category,
    OrderStatus,
    ReviewKind,
    Satisfaction,
    Urgency,
)

BLANK: list[tuple[str, Any]] = [("", "—")]


def _clean(value: Any) -> str:
    return str(value or "").replace("\x00", "")


class OrderFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + OrderStatus.choices)
    category = forms.ModelChoiceField(
        label=_("类别"), required=False, queryset=Category.objects.none(), empty_label="—"
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), required=False, choices=BLANK + Urgency.choices
    )
    month = forms.CharField(
        label=_("受理月份"), required=False, widget=forms.DateInput(attrs={"type": "month"})
    )
    due = forms.ChoiceField(
        label=_("期限"),
        required=False,
        choices=[*BLANK, ("overdue", _("已逾期")), ("soon", _("24小时内到期"))],
    )
    warning = forms.ChoiceField(
        label=_("预警工单"),
        required=False,
        choices=[*BLANK, ("yes", _("是")), ("no", _("否"))],
    )
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    year = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.category_list(active_only=False)  # type: ignore[attr-defined]

    def to_filters(self) -> selectors.OrderFilters:
        if not self.is_valid():
            # An unparseable filter shows nothing rather than everything.
            return selectors.OrderFilters(month="invalid")
        cd = self.cleaned_data
        category = cd.get("category")
        return selectors.OrderFilters(
            q=_clean(cd.get("q")).strip()[:100],
            status=cd.get("status") or "",
            category=category.pk if category else None,
            urgency=cd.get("urgency") or "",
            unit=cd.get("unit"),
            month=cd.get("month") or "",
            year=cd.get("year"),
            due=cd.get("due") or "",
            warning=cd.get("warning") or "",
        )


class OrderForm(forms.Form):
    """Manual entry of an order received from the hotline platform."""

    subdistrict = forms.ModelChoiceField(
        label=_("街道"), queryset=OrgUnit.objects.none(), empty_label=None
    )
    hotline_number = forms.CharField(label=_("热线工单号"), max_length=40)
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.none())
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL
    )
    caller_name = forms.CharField(label=_("来电人"), max_length=50, required=False)
    caller_phone = forms.CharField(
        label=_("来电号码"),
        max_length=30,
        required=False,
        help_text=_("加密保存，页面只显示部分号码；同一号码就同一类别再次来电会自动合并。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    address = forms.CharField(label=_("地址"), max_length=200)
    longitude = forms.DecimalField(label=_("经度"), required=False, max_digits=9, decimal_places=6)
    latitude = forms.DecimalField(label=_("纬度"), required=False, max_digits=9, decimal_places=6)
    text = forms.CharField(
        label=_("诉求内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    received_at = forms.DateTimeField(
        label=_("受理时间"),
        required=False,
        help_text=_("不填为现在"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    source = forms.SlugField(label=_("来源"), max_length=30, initial="12345")
    ticket_number = forms.CharField(
        label=_("所涉办件编号（选填）"),
        max_length=40,
        required=False,
        help_text=_("来电涉及某项政务服务时填写，回访时的服务评价将计入好差评。"),
    )

    def __init__(self, *args: Any, subdistricts: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subdistrict"].queryset = subdistricts  # type: ignore[attr-defined]
        self.fields["category"].queryset = selectors.category_list()  # type: ignore[attr-defined]


class DispatchForm(forms.Form):
    lead_unit = forms.ModelChoiceField(
        label=_("承办单位"),
        queryset=OrgUnit.objects.none(),
        error_messages={"invalid_choice": _("不是可选的承办单位。")},
    )
    assisting_units = forms.ModelMultipleChoiceField(
        label=_("协办单位"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("派单说明"), max_length=1000, required=False)

    def __init__(self, *args: Any, units: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["assisting_units"].queryset = units  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(choices=OrderStatus.choices)
    note = forms.CharField(label=_("说明"), max_length=1000, required=False)


class ContactForm(forms.Form):
    note = forms.CharField(
        label=_("联系情况"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如：已电话联系来电人，确认诉求为……，约定……"),
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("回复内容（办理结果）"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class VisitForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    resolved = forms.TypedChoiceField(
        label=_("是否解决"),
        choices=[("1", _("已解决")), ("0", _("未解决"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("回访记录"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    service_level = forms.TypedChoiceField(
        label=_("对所涉政务服务的评价（好差评，选填）"),
        choices=[("", "—"), *((lv.value, lv.label) for lv in Level)],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, order: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if order is None or order.ticket_id is None:
            del self.fields["service_level"]


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("合并到的工单"), max_length=40, help_text=_("本街道在办工单的编号或热线工单号")
    )
    note = forms.CharField(label=_("说明"), max_length=1000, required=False)


class ReviewRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("申请类型"), choices=ReviewKind.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    lead_unit = forms.ModelChoiceField(
        label=_("改派至"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("申请改派时选择"),
        error_messages={"invalid_choice": _("不是可选的承办单位。")},
    )
    extra_days = forms.IntegerField(
        label=_("延期（工作日）"),
        required=False,
        min_value=1,
        max_value=15,
        help_text=_("申请延期时填写"),
    )

    def __init__(self, *args: Any, units: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units  # type: ignore[attr-defined]


class ReviewDecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("同意")), ("refuse", _("驳回"))])
    note = forms.CharField(label=_("审核意见"), max_length=500, required=False)


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看理由"), max_length=200)
    next = forms.ChoiceField(
        choices=[("detail", "detail"), ("contact", "contact"), ("visit", "visit")], required=False
    )


class MonthForm(forms.Form):
    month = forms.ChoiceField(label=_("月份"), required=False)

    def __init__(self, *args: Any, months: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", _("全部")), *((m, m) for m in reversed(months))]  # type: ignore[attr-defined]

    def chosen(self, default: str) -> str:
        if not self.is_bound:
            return default
        return self.cleaned_data.get("month", "") if self.is_valid() else default
