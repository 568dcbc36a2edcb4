"""Forms of the business-environment pages: they only parse input; the services validate and
write. Choices come in as querysets the view got from a selector."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.business.models import (
    ActionState,
    BuildingProfile,
    EnterpriseProfile,
    MeetingKind,
    MemberKind,
    Policy,
    RequestStatus,
    RequestType,
    Vacancy,
    ViewingOutcome,
)
from jiedao.business.selectors import RequestFilters
from jiedao.core.forms import DateInput
from jiedao.core.models import Enterprise

DUE_CHOICES = [("", _("不限")), ("soon", _("即将到期")), ("overdue", _("已逾期"))]
OUTCOME_CHOICES = [
    ("", "—"),
    (ViewingOutcome.MOVED_IN, ViewingOutcome.MOVED_IN.label),
    (ViewingOutcome.DECLINED, ViewingOutcome.DECLINED.label),
    (ViewingOutcome.CANCELLED, ViewingOutcome.CANCELLED.label),
]
RATING_CHOICES = [(n, str(n)) for n in range(5, 0, -1)]


def lines(text: str) -> list[str]:
    """A textarea with one entry a line, as a list without blanks."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class EnterprisePickField(forms.IntegerField):
    """An enterprise picked from the search results (the template renders them as radios);
    the view's form resolves the id against the enterprises the user may see."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"required": _("请先搜索并选择企业。")})
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class _PicksEnterprise(forms.Form):
    """A form with an `enterprise` field resolved against a queryset the view passes in."""

    enterprise_required = True

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enterprises = enterprises

    def clean_enterprise(self) -> Enterprise | None:
        value = self.cleaned_data.get("enterprise")
        if not isinstance(value, int):
            return None
        found = self.enterprises.filter(pk=value).first()
        if found is None:
            raise ValidationError(_("请先搜索并选择企业。"))
        return found

    def chosen_enterprise(self) -> Enterprise | None:
        """The enterprise picked in a bound form, to show it checked when the form comes back."""
        if not self.is_bound:
            return None
        raw = self.data.get(self.add_prefix("enterprise"))
        if not str(raw or "").isdigit():
            return None
        return self.enterprises.filter(pk=int(str(raw))).first()


# --- buildings and enterprises ----------------------------------------------------------------
class BuildingSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    key = forms.BooleanField(label=_("只看重点楼宇"), required=False)
    covered = forms.BooleanField(label=_("只看楼务会覆盖的楼宇"), required=False)


class EnterpriseSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    key = forms.BooleanField(label=_("只看重点企业"), required=False)
    covered = forms.BooleanField(label=_("只看楼务会覆盖楼宇内的企业"), required=False)
    building = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class BuildingProfileForm(forms.ModelForm):
    class Meta:
        model = BuildingProfile
        fields = [
            "grade",
            "is_key",
            "owner",
            "property_manager",
            "occupancy",
            "party_committee",
            "service_station",
        ]


class EnterpriseProfileForm(forms.ModelForm):
    class Meta:
        model = EnterpriseProfile
        fields = [
            "industry",
            "white_collar_count",
            "registered_here",
            "operating_here",
            "is_key",
            "moved_in",
            "moved_out",
        ]
        widgets = {"moved_in": DateInput(), "moved_out": DateInput()}


# --- liaison ----------------------------------------------------------------------------------
class LiaisonVisitForm(forms.Form):
    date = forms.DateField(label=_("走访日期"), widget=DateInput())
    enterprises = forms.ModelMultipleChoiceField(
        label=_("走访企业"),
        required=False,
        queryset=Enterprise.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    issues = forms.CharField(
        label=_("企业反映的问题"),
        required=False,
        max_length=5000,
        help_text=_("每行一个问题；每个问题之后可一键转为企业诉求。"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label=_("记录"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["enterprises"].queryset = enterprises  # type: ignore[attr-defined]


class IssueRequestForm(forms.Form):
    """Turns one issue of a liaison visit into an enterprise request."""

    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.none())
    rtype = forms.ModelChoiceField(label=_("类型"), queryset=RequestType.objects.none())

    def __init__(
        self,
        *args: Any,
        enterprises: QuerySet[Enterprise],
        types: QuerySet[RequestType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]
        self.fields["rtype"].queryset = types  # type: ignore[attr-defined]


# --- vacancies and viewings -------------------------------------------------------------------
class VacancyForm(forms.ModelForm):
    class Meta:
        model = Vacancy
        fields = ["floor", "area", "rent_min", "rent_max", "available_from"]
        widgets = {"available_from": DateInput()}


class ViewingForm(_PicksEnterprise):
    """Book a viewing of one of the building's open vacancies for an enterprise picked from the
    search results, or for a prospect not yet on the roll."""

    vacancy = forms.ModelChoiceField(label=_("房源"), queryset=Vacancy.objects.none())
    date = forms.DateField(label=_("带看日期"), widget=DateInput())
    enterprise = EnterprisePickField(label=_("企业"), required=False)
    prospect_name = forms.CharField(
        label=_("意向企业名称"),
        required=False,
        max_length=200,
        help_text=_("尚未登记的企业，填写名称。"),
    )
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(
        self,
        *args: Any,
        vacancies: QuerySet[Vacancy],
        enterprises: QuerySet[Enterprise],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, enterprises=enterprises, **kwargs)
        self.fields["vacancy"].queryset = vacancies  # type: ignore[attr-defined]


class ViewingOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("带看结果"), choices=OUTCOME_CHOICES)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)


# --- councils ---------------------------------------------------------------------------------
class CouncilMemberForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=MemberKind.choices)
    enterprise = forms.ModelChoiceField(
        label=_("企业"),
        required=False,
        queryset=Enterprise.objects.none(),
        empty_label=_("（非本楼企业，填写单位名称）"),
    )
    name = forms.CharField(label=_("单位名称"), required=False, max_length=200)
    role = forms.CharField(label=_("角色"), required=False, max_length=50)

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("会议类型"), choices=MeetingKind.choices)
    date = forms.DateField(label=_("日期"), widget=DateInput())
    title = forms.CharField(label=_("议题"), max_length=200)
    attendees = forms.CharField(
        label=_("参会人员"),
        required=False,
        max_length=2000,
        help_text=_("每行一位。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    experts = forms.CharField(
        label=_("受邀专家"),
        required=False,
        max_length=2000,
        help_text=_("每行一位。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    departments = forms.CharField(
        label=_("参会部门"),
        required=False,
        max_length=2000,
        help_text=_("每行一个。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    agenda = forms.CharField(
        label=_("议程"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes = forms.CharField(
        label=_("纪要"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class DecisionForm(forms.Form):
    """One decision of a meeting: it becomes an action item. A row left blank is skipped."""

    title = forms.CharField(label=_("议定事项"), required=False, max_length=200)
    owner = forms.CharField(label=_("责任单位/人"), required=False, max_length=100)
    deadline = forms.DateField(label=_("完成时限"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        filled = [bool(cd.get(k)) for k in ("title", "owner", "deadline")]
        if any(filled) and not all(filled):
            raise ValidationError(_("请填写事项、责任单位和完成时限。"))
        return cd

    def decision(self) -> dict[str, Any] | None:
        cd = getattr(self, "cleaned_data", {})
        if not cd.get("title"):
            return None
        return {"title": cd["title"], "owner": cd["owner"], "deadline": cd["deadline"]}


DecisionFormSet = forms.formset_factory(DecisionForm, extra=2, max_num=30, absolute_max=30)


class ActionMoveForm(forms.Form):
    to_state = forms.ChoiceField(label=_("改为"), choices=ActionState.choices)
    result = forms.CharField(
        label=_("办理结果"),
        required=False,
        max_length=5000,
        help_text=_("办结时必须填写。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- requests ---------------------------------------------------------------------------------
class RequestFilterForm(forms.Form):
    """The request desk's filters, one field per `selectors.RequestFilters` attribute."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *RequestStatus.choices]
    )
    type = forms.ModelChoiceField(
        label=_("类型"), required=False, queryset=RequestType.objects.none(), empty_label=_("全部")
    )
    due = forms.ChoiceField(label=_("期限"), required=False, choices=DUE_CHOICES)
    month = forms.RegexField(
        label=_("接收月份"),
        required=False,
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    rated = forms.BooleanField(label=_("只看已评价"), required=False)
    assigned_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    enterprise = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, types: QuerySet[RequestType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = types  # type: ignore[attr-defined]

    def to_filters(self) -> RequestFilters:
        """The valid filters given; a field that does not parse is left out, not an error page."""
        self.is_valid()
        cd = getattr(self, "cleaned_data", {})
        rtype = cd.get("type")
        return RequestFilters(
            q=str(cd.get("q") or "").replace("\x00", ""),
            status=cd.get("status") or "",
            type=rtype.pk if rtype is not None else None,
            due=cd.get("due") or "",
            assigned_to=cd.get("assigned_to"),
            enterprise=cd.get("enterprise"),
            month=cd.get("month") or "",
        )

    def rated_only(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("rated"))

    @property
    def active_count(self) -> int:
        cd = getattr(self, "cleaned_data", {})
        return sum(1 for k, v in cd.items() if k != "q" and v not in (None, "", False))


class RequestForm(_PicksEnterprise):
    enterprise = EnterprisePickField(label=_("企业"))
    rtype = forms.ModelChoiceField(label=_("诉求类型"), queryset=RequestType.objects.none())
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(
        label=_("诉求内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    policy = forms.ModelChoiceField(
        label=_("相关政策"),
        required=False,
        queryset=Policy.objects.none(),
        empty_label=_("（无）"),
        help_text=_("政策咨询类诉求可关联政策库中的政策。"),
    )

    def __init__(
        self,
        *args: Any,
        enterprises: QuerySet[Enterprise],
        types: QuerySet[RequestType],
        policies: QuerySet[Policy],
        pick_from_list: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, enterprises=enterprises, **kwargs)
        self.fields["rtype"].queryset = types  # type: ignore[attr-defined]
        self.fields["policy"].queryset = policies  # type: ignore[attr-defined]
        self.pick_from_list = pick_from_list
        if pick_from_list:
            # An enterprise's own contact chooses among their own enterprises (usually one).
            self.fields["enterprise"] = forms.ModelChoiceField(
                label=_("企业"), queryset=enterprises, empty_label=None
            )

    def clean_enterprise(self) -> Enterprise | None:
        value = self.cleaned_data.get("enterprise")
        if isinstance(value, Enterprise):
            return value
        return super().clean_enterprise()


class RequestTransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("改为"), choices=RequestStatus.choices)
    note = forms.CharField(
        label=_("答复或说明"),
        required=False,
        max_length=500,
        help_text=_("办结（已解决）或关闭时必须填写。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    referred_to = forms.CharField(
        label=_("转办部门"),
        required=False,
        max_length=100,
        help_text=_("转部门办理时必须填写。"),
    )


class AssignForm(forms.Form):
    assigned_to = forms.TypedChoiceField(label=_("承办人"), coerce=int, choices=())

    def __init__(self, *args: Any, staff: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = staff  # type: ignore[attr-defined]


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("评价"), coerce=int, choices=RATING_CHOICES, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("评价意见"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- liaison list, policies, lists ------------------------------------------------------------
class PolicySearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    industry = forms.CharField(label=_("适用行业"), required=False, max_length=50)


class ActionItemFilterForm(forms.Form):
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *ActionState.choices]
    )


class VacancyFilterForm(forms.Form):
    open = forms.BooleanField(label=_("只看可租"), required=False)


class ViewingFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), *ViewingOutcome.choices]
    )


def cleaned(form: forms.Form) -> dict[str, Any]:
    """A filter form's valid values; an invalid one is left out, never an error page."""
    form.is_valid()
    return {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}
