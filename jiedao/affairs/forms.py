"""Forms of the government-services pages: they only parse input; the services validate and
write. Choices come in as querysets or lists the view got from a selector."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.affairs.models import (
    RETURN_VISIT_QUESTIONS,
    AttributeType,
    Channel,
    Resolution,
    ServiceItem,
    ServicePoint,
    TicketStatus,
)
from jiedao.affairs.selectors import TicketFilters
from jiedao.core.forms import DateInput
from jiedao.core.models import OrgUnit

YES_NO = [("", _("不限")), ("yes", _("是")), ("no", _("否"))]
DUE_CHOICES = [("", _("不限")), ("soon", _("即将到期")), ("overdue", _("已逾期"))]
ATTR_PREFIX = "attr_"


def parse_choice(raw: str) -> tuple[str, int] | None:
    """`p:12` → ("p", 12); an applicant picked from the search results."""
    kind, _sep, pk = (raw or "").partition(":")
    if kind not in {"p", "e"} or not pk.isdigit():
        return None
    return kind, int(pk)


class ApplicantField(forms.CharField):
    """The applicant picked from the search results, as `p:<person id>` or `e:<enterprise id>`.

    Rendered by the template as radio buttons next to the search box, not by a widget.
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"required": _("请先搜索并选择申请人。")})
        super().__init__(**kwargs)


def _resolve(raw: str, people: QuerySet[Any], enterprises: QuerySet[Any] | None) -> Model | None:
    choice = parse_choice(raw)
    if choice is None:
        return None
    kind, pk = choice
    if kind == "p":
        return people.filter(pk=pk).first()
    if enterprises is None:
        return None
    return enterprises.filter(pk=pk).first()


def attribute_fields(item: ServiceItem | None) -> dict[str, forms.Field]:
    """Form fields for an item's extra attributes (Open311 datatypes) and materials checklist."""
    fields: dict[str, forms.Field] = {}
    if item is None:
        return fields
    for attr in item.attributes or []:
        code = str(attr.get("code", ""))
        if not code:
            continue
        label = attr.get("label") or code
        required = bool(attr.get("required"))
        datatype = attr.get("datatype", AttributeType.STRING)
        choices = [
            (str(v.get("key")), v.get("name") or v.get("key")) for v in attr.get("values", [])
        ]
        field: forms.Field
        if datatype == AttributeType.SINGLE:
            field = forms.ChoiceField(label=label, required=required, choices=[("", "—"), *choices])
        elif datatype == AttributeType.MULTI:
            field = forms.MultipleChoiceField(
                label=label,
                required=required,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
            )
        elif datatype == AttributeType.NUMBER:
            field = forms.CharField(
                label=label,
                required=required,
                max_length=50,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            )
        elif datatype == AttributeType.DATETIME:
            field = forms.CharField(
                label=label,
                required=required,
                max_length=50,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
            )
        elif datatype == AttributeType.TEXT:
            field = forms.CharField(
                label=label,
                required=required,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        else:
            field = forms.CharField(label=label, required=required, max_length=2000)
        fields[f"{ATTR_PREFIX}{code}"] = field
    materials = [str(m) for m in item.materials or []]
    if materials:
        fields["materials"] = forms.MultipleChoiceField(
            label=_("材料清单（已收的打勾）"),
            required=False,
            choices=[(m, m) for m in materials],
            widget=forms.CheckboxSelectMultiple,
        )
    return fields


class DeskForm(forms.Form):
    """A ticket at the window: applicant, item (with its extra fields), point, channel, notes."""

    applicant = ApplicantField(label=_("申请人"))
    item = forms.ModelChoiceField(
        label=_("事项"), queryset=ServiceItem.objects.none(), empty_label=_("请选择事项")
    )
    point = forms.ModelChoiceField(label=_("受理点"), queryset=ServicePoint.objects.none())
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices, initial=Channel.WINDOW)
    notes = forms.CharField(
        label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        items: QuerySet[Any],
        points: QuerySet[Any],
        people: QuerySet[Any],
        enterprises: QuerySet[Any] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people, self.enterprises = people, enterprises
        self.fields["item"].queryset = items  # type: ignore[attr-defined]
        self.fields["point"].queryset = points  # type: ignore[attr-defined]
        self.chosen_item = self._chosen_item(items)
        self.fields.update(attribute_fields(self.chosen_item))

    def _chosen_item(self, items: QuerySet[Any]) -> ServiceItem | None:
        raw = self.data.get("item") if self.is_bound else self.initial.get("item")
        if isinstance(raw, ServiceItem):
            return raw
        if not raw or not str(raw).isdigit():
            return None
        found: ServiceItem | None = items.filter(pk=int(raw)).first()
        return found

    def clean_applicant(self) -> Model:
        found = _resolve(self.cleaned_data["applicant"], self.people, self.enterprises)
        if found is None:
            raise forms.ValidationError(_("请先搜索并选择申请人。"))
        return found

    @property
    def attribute_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith(ATTR_PREFIX)]

    def extra_fields(self) -> list[forms.BoundField]:
        names = [*self.attribute_names, *(["materials"] if "materials" in self.fields else [])]
        return [self[name] for name in names]

    def attribute_values(self) -> dict[str, Any]:
        return {
            name.removeprefix(ATTR_PREFIX): self.cleaned_data.get(name)
            for name in self.attribute_names
        }

    def materials_checked(self) -> dict[str, bool]:
        return {m: True for m in self.cleaned_data.get("materials") or []}

    def applicant_choice(self) -> tuple[str, Model] | None:
        """The applicant picked so far, to show it checked when the form comes back."""
        raw = self.data.get("applicant", "") if self.is_bound else ""
        found = _resolve(str(raw), self.people, self.enterprises)
        if found is None:
            return None
        return str(raw), found


class TicketFilterForm(forms.Form):
    """The ticket list's filters, one field per `selectors.TicketFilters` attribute."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *TicketStatus.choices]
    )
    channel = forms.ChoiceField(
        label=_("渠道"), required=False, choices=[("", _("全部")), *Channel.choices]
    )
    item = forms.ModelChoiceField(
        label=_("事项"), required=False, queryset=ServiceItem.objects.none(), empty_label=_("全部")
    )
    point = forms.ModelChoiceField(
        label=_("受理点"),
        required=False,
        queryset=ServicePoint.objects.none(),
        empty_label=_("全部"),
    )
    area = forms.ModelChoiceField(
        label=_("片区"), required=False, queryset=OrgUnit.objects.none(), empty_label=_("全部")
    )
    due = forms.ChoiceField(label=_("期限"), required=False, choices=DUE_CHOICES)
    one_trip = forms.ChoiceField(label=_("只跑一次（已办结）"), required=False, choices=YES_NO)
    returned = forms.ChoiceField(label=_("曾退回补正（已办结）"), required=False, choices=YES_NO)
    on_time = forms.ChoiceField(label=_("按时办结"), required=False, choices=YES_NO)
    submitted_from = forms.DateField(label=_("提交日期起"), required=False, widget=DateInput())
    submitted_to = forms.DateField(label=_("提交日期止"), required=False, widget=DateInput())
    completed_from = forms.DateField(label=_("办结日期起"), required=False, widget=DateInput())
    completed_to = forms.DateField(label=_("办结日期止"), required=False, widget=DateInput())
    handler = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        *args: Any,
        items: QuerySet[Any],
        points: QuerySet[Any],
        areas: QuerySet[Any],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["item"].queryset = items  # type: ignore[attr-defined]
        self.fields["point"].queryset = points  # type: ignore[attr-defined]
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]

    def to_filters(self) -> TicketFilters:
        """The valid filters given; a field that does not parse is left out, not an error page."""
        self.is_valid()
        cd = getattr(self, "cleaned_data", {})

        def pk(name: str) -> int | None:
            value = cd.get(name)
            return value.pk if value is not None else None

        return TicketFilters(
            q=str(cd.get("q") or "").replace("\x00", ""),
            status=cd.get("status") or "",
            channel=cd.get("channel") or "",
            item=pk("item"),
            point=pk("point"),
            area=pk("area"),
            handler=cd.get("handler") or None,
            due=cd.get("due") or "",
            one_trip=cd.get("one_trip") or "",
            returned=cd.get("returned") or "",
            on_time=cd.get("on_time") or "",
            submitted_from=cd.get("submitted_from"),
            submitted_to=cd.get("submitted_to"),
            completed_from=cd.get("completed_from"),
            completed_to=cd.get("completed_to"),
        )

    def active_count(self) -> int:
        cd = getattr(self, "cleaned_data", {})
        return sum(1 for k, v in cd.items() if k != "q" and v not in (None, ""))


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("改为"), choices=TicketStatus.choices)
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=300,
        help_text=_("退回补正或不予受理时必须填写原因。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TripForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=DateInput())
    point = forms.ModelChoiceField(label=_("地点"), queryset=ServicePoint.objects.none())
    purpose = forms.CharField(label=_("事由"), required=False, max_length=200)

    def __init__(self, *args: Any, points: QuerySet[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points  # type: ignore[attr-defined]


class DoorRequestForm(forms.Form):
    person = ApplicantField(label=_("居民"))
    reason = forms.CharField(label=_("为何需要上门"), max_length=200)
    requested_via = forms.ChoiceField(
        label=_("申请方式"),
        choices=[
            (Channel.HELP_POINT, Channel.HELP_POINT.label),
            (Channel.PHONE, Channel.PHONE.label),
        ],
        initial=Channel.HELP_POINT,
    )
    point = forms.ModelChoiceField(
        label=_("帮办点"), required=False, queryset=ServicePoint.objects.none()
    )
    item = forms.ModelChoiceField(
        label=_("事项"), required=False, queryset=ServiceItem.objects.none()
    )

    def __init__(
        self,
        *args: Any,
        people: QuerySet[Any],
        points: QuerySet[Any],
        items: QuerySet[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.fields["point"].queryset = points  # type: ignore[attr-defined]
        self.fields["item"].queryset = items  # type: ignore[attr-defined]

    def clean_person(self) -> Model:
        choice = parse_choice(self.cleaned_data["person"])
        found = self.people.filter(pk=choice[1]).first() if choice and choice[0] == "p" else None
        if found is None:
            raise forms.ValidationError(_("请先搜索并选择居民。"))
        return found

    def applicant_choice(self) -> tuple[str, Model] | None:
        raw = str(self.data.get("person", "")) if self.is_bound else ""
        choice = parse_choice(raw)
        found = self.people.filter(pk=choice[1]).first() if choice and choice[0] == "p" else None
        return (raw, found) if found is not None else None


class DoorScheduleForm(forms.Form):
    assigned_to = forms.TypedChoiceField(label=_("上门人员"), coerce=int)
    day = forms.DateField(label=_("上门日期"), widget=DateInput())

    def __init__(self, *args: Any, staff: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", "—"), *staff]  # type: ignore[attr-defined]


class DoorVisitForm(forms.Form):
    outcome = forms.CharField(
        label=_("上门结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    ticket = forms.TypedChoiceField(
        label=_("关联办件"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, tickets: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ticket"].choices = [("", _("不关联")), *tickets]  # type: ignore[attr-defined]


class ReturnVisitForm(forms.Form):
    """The scripted call: one answer per question, a score, the resolution, suggestions."""

    satisfaction = forms.TypedChoiceField(
        label=_("满意度（1–5 分）"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    resolution = forms.ChoiceField(
        label=_("解决情况"), choices=Resolution.choices, widget=forms.RadioSelect
    )
    suggestions = forms.CharField(
        label=_("意见建议"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n, question in enumerate(RETURN_VISIT_QUESTIONS):
            self.fields[f"answer_{n}"] = forms.CharField(
                label=question, required=False, max_length=500
            )
        # The questions first, in the order the caller reads them out.
        order = [f"answer_{n}" for n in range(len(RETURN_VISIT_QUESTIONS))]
        self.order_fields(order)

    def answers(self) -> list[str]:
        return [
            str(self.cleaned_data.get(f"answer_{n}") or "")
            for n in range(len(RETURN_VISIT_QUESTIONS))
        ]


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("月份"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def chosen(self) -> date:
        self.is_valid()
        value = getattr(self, "cleaned_data", {}).get("month")
        if isinstance(value, datetime):
            value = value.date()
        return (value or timezone.localdate()).replace(day=1)
