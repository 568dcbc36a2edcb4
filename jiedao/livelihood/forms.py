"""Forms of the livelihood staff pages: they parse input only; every write goes through services,
which validate again and raise the Chinese messages the pages show per field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import DateInput
from jiedao.core.models import Compound, OrgUnit
from jiedao.livelihood.models import (
    Feasibility,
    MilestoneState,
    PartyKind,
    PhotoKind,
    PlaceKind,
    Programme,
    ProgrammeKind,
    ProposerKind,
    Question,
    QuestionKind,
    ReviewCriterion,
    Stage,
)

DATE = DateInput()
REQUIRED = {"required": _("此项为必填项。")}


def cleaned(form: forms.Form) -> dict[str, Any]:
    """A filter form's valid values; an invalid one is left out, never an error page."""
    form.is_valid()
    return {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}


class OrgChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return "\u3000" * max(0, obj.depth - 2) + obj.name


class ProgrammeChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} · {obj.org_unit.name}"


# --- lists -----------------------------------------------------------------------------------
STAGE_FILTERS = [
    ("", _("全部阶段")),
    ("open", _("进行中（未结束）")),
    ("funded", _("已立项（含实施、完工、评估）")),
    ("done", _("已落地（完工、评估）")),
    *Stage.choices,
]


class ProjectFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=50)
    kind = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部类别")), *ProgrammeKind.choices]
    )
    programme = forms.TypedChoiceField(label=_("项目类别"), required=False, coerce=int)
    stage = forms.ChoiceField(label=_("阶段"), required=False, choices=STAGE_FILTERS)
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int)
    org = forms.ChoiceField(label=_("居委会"), required=False)
    fund = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput
    )
    surveys = forms.ChoiceField(
        required=False, choices=[("", ""), ("closed", "closed")], widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args: Any,
        programmes: list[Programme],
        years: list[int],
        orgs: list[OrgUnit],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        prog: Any = self.fields["programme"]
        prog.choices = [("", _("全部"))] + [(p.pk, f"{p} · {p.org_unit.name}") for p in programmes]
        if len(programmes) < 2:
            prog.widget = forms.HiddenInput()
        year: Any = self.fields["year"]
        year.choices = [("", _("全部年度"))] + [(y, str(y)) for y in years]
        org: Any = self.fields["org"]
        org.choices = [("", _("全部"))] + [
            (o.path, "\u3000" * max(0, o.depth - 2) + o.name) for o in orgs
        ]


class FundFilterForm(forms.Form):
    programme = forms.TypedChoiceField(label=_("项目类别"), required=False, coerce=int)
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int)

    def __init__(
        self, *args: Any, programmes: list[Programme], years: list[int], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        prog: Any = self.fields["programme"]
        prog.choices = [("", _("全部"))] + [(p.pk, f"{p} · {p.org_unit.name}") for p in programmes]
        year: Any = self.fields["year"]
        year.choices = [("", _("全部年度"))] + [(y, str(y)) for y in years]


# --- projects --------------------------------------------------------------------------------
class ProjectForm(forms.Form):
    programme = ProgrammeChoiceField(
        label=_("项目类别"), queryset=Programme.objects.none(), error_messages=REQUIRED
    )
    org_unit = OrgChoiceField(
        label=_("居委会"), queryset=OrgUnit.objects.none(), error_messages=REQUIRED
    )
    title = forms.CharField(label=_("项目名称"), max_length=100, error_messages=REQUIRED)
    theme = forms.CharField(label=_("主题"), max_length=100, required=False)
    description = forms.CharField(
        label=_("项目说明"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    place_kind = forms.ChoiceField(label=_("地点类型"), choices=PlaceKind.choices)
    place_name = forms.CharField(label=_("地点"), max_length=100, error_messages=REQUIRED)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    compound = forms.ModelChoiceField(
        label=_("小区"), queryset=Compound.objects.none(), required=False
    )
    longitude = forms.DecimalField(label=_("经度"), required=False, max_digits=9, decimal_places=6)
    latitude = forms.DecimalField(label=_("纬度"), required=False, max_digits=9, decimal_places=6)
    proposer_kind = forms.ChoiceField(label=_("提议方"), choices=ProposerKind.choices)
    proposer_name = forms.CharField(label=_("提议方名称"), max_length=100, required=False)
    budget_requested = forms.DecimalField(
        label=_("申请预算 (元)"), initial=0, max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100, initial=timezone.localdate().year
    )

    # What the services take in `data` (programme and org unit go separately).
    DATA_FIELDS = (
        "title",
        "theme",
        "description",
        "place_kind",
        "place_name",
        "address",
        "compound",
        "longitude",
        "latitude",
        "proposer_kind",
        "proposer_name",
        "budget_requested",
        "year",
    )

    def __init__(
        self,
        *args: Any,
        programmes: QuerySet[Programme],
        orgs: QuerySet[OrgUnit],
        compounds: QuerySet[Compound],
        editing: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        prog: Any = self.fields["programme"]
        prog.queryset = programmes
        org: Any = self.fields["org_unit"]
        org.queryset = orgs
        compound: Any = self.fields["compound"]
        compound.queryset = compounds
        if editing:
            # A project stays in its programme and committee; the rest may change.
            for name in ("programme", "org_unit"):
                self.fields[name].disabled = True
                self.fields[name].required = False

    def data_for_service(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(k) for k in self.DATA_FIELDS}


class StageForm(forms.Form):
    to_stage = forms.ChoiceField(choices=Stage.choices)
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("未通过、撤回和评估须写明原因或评估结论。"),
    )


class ApproveForm(forms.Form):
    fund = forms.TypedChoiceField(
        label=_("资金来源"), coerce=int, error_messages={"required": _("立项时请选择资金来源。")}
    )
    amount = forms.DecimalField(
        label=_("核定预算 (元)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages=REQUIRED,
    )
    note = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, funds: list[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        field: Any = self.fields["fund"]
        field.choices = [("", _("请选择")), *funds]


class PartyForm(forms.Form):
    kind = forms.ChoiceField(label=_("参与方类型"), choices=PartyKind.choices)
    name = forms.CharField(label=_("名称"), max_length=100, error_messages=REQUIRED)
    role = forms.CharField(label=_("承担工作"), max_length=200, required=False)


class SiteSurveyForm(forms.Form):
    date = forms.DateField(label=_("踏勘日期"), widget=DATE, initial=timezone.localdate)
    leaders = forms.CharField(label=_("带队领导"), max_length=200, required=False)
    staff = forms.CharField(label=_("工作人员"), max_length=200, required=False)
    residents = forms.CharField(label=_("居民代表"), max_length=200, required=False)
    findings = forms.CharField(
        label=_("踏勘情况"), widget=forms.Textarea(attrs={"rows": 3}), error_messages=REQUIRED
    )


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200, error_messages=REQUIRED)
    intro = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    closes_on = forms.DateField(label=_("计划截止日期"), required=False, widget=DATE)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("题目"), max_length=300, error_messages=REQUIRED)
    choices = forms.CharField(
        label=_("选项（每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("单选、多选题填写；打分和文字题不用填。"),
    )
    scale_min = forms.IntegerField(label=_("最低分"), initial=1, min_value=0, max_value=10)
    scale_max = forms.IntegerField(label=_("最高分"), initial=5, min_value=0, max_value=10)
    required = forms.BooleanField(label=_("必答"), required=False, initial=True)

    def question(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {
            "kind": cd["kind"],
            "text": cd["text"],
            "choices": [c.strip() for c in (cd.get("choices") or "").splitlines() if c.strip()],
            "scale_min": cd["scale_min"],
            "scale_max": cd["scale_max"],
            "required": cd["required"],
        }


class PaperForm(forms.Form):
    """One paper questionnaire typed in: a field `q<id>` per question, and where it came from."""

    collection_point = forms.CharField(
        label=_("收集点"),
        max_length=100,
        error_messages={"required": _("请填写纸质问卷的收集点。")},
        help_text=_("例如：居委会服务窗口、3号楼楼组长处。"),
    )

    def __init__(self, *args: Any, questions: list[Question], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.questions = questions
        for q in questions:
            name = f"q{q.pk}"
            label = f"{q.order}. {q.text}"
            field: forms.Field
            if q.kind == QuestionKind.SINGLE:
                field = forms.ChoiceField(
                    label=label, choices=[(c, c) for c in q.choices], widget=forms.RadioSelect
                )
            elif q.kind == QuestionKind.MULTIPLE:
                field = forms.MultipleChoiceField(
                    label=label,
                    choices=[(c, c) for c in q.choices],
                    widget=forms.CheckboxSelectMultiple,
                )
            elif q.kind == QuestionKind.SCALE:
                field = forms.ChoiceField(
                    label=label,
                    choices=[(str(v), str(v)) for v in range(q.scale_min, q.scale_max + 1)],
                    widget=forms.RadioSelect,
                )
            else:
                field = forms.CharField(
                    label=label, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
                )
            # The service checks "required" and names the question in its message.
            field.required = False
            field.widget.is_required = False
            self.fields[name] = field
        # The collection point goes last, after the questions.
        self.order_fields([f"q{q.pk}" for q in questions] + ["collection_point"])

    def answers(self) -> dict[str, Any]:
        return {str(q.pk): self.cleaned_data.get(f"q{q.pk}") for q in self.questions}


class ReviewAssignForm(forms.Form):
    expert = forms.TypedChoiceField(
        label=_("评审专家"), coerce=int, error_messages={"required": _("请选择评审专家。")}
    )
    due_on = forms.DateField(label=_("评审截止"), required=False, widget=DATE)

    def __init__(self, *args: Any, experts: list[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        field: Any = self.fields["expert"]
        field.choices = [("", _("请选择")), *experts]


class ReviewForm(forms.Form):
    """The expert's score sheet: one field `c<id>` per criterion, then the conclusions."""

    feasibility = forms.ChoiceField(
        label=_("可行性"),
        choices=Feasibility.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择可行性结论。")},
    )
    cost_estimate = forms.DecimalField(
        label=_("造价估算 (元)"),
        error_messages={"required": _("请输入金额（元）。")},
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    reasons = forms.CharField(
        label=_("评审意见与理由"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请写明评审理由。")},
    )

    def __init__(self, *args: Any, criteria: list[ReviewCriterion], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"c{c.pk}"] = forms.DecimalField(
                label=_("%(name)s（满分 %(max)s，权重 %(w)s）")
                % {"name": c.name, "max": c.max_score, "w": c.weight},
                min_value=Decimal("0"),
                max_value=Decimal(c.max_score),
                max_digits=5,
                decimal_places=1,
                error_messages={"required": _("请为“%(c)s”打分。") % {"c": c.name}},
                widget=forms.NumberInput(attrs={"step": "0.5"}),
            )
        self.order_fields([f"c{c.pk}" for c in criteria])

    def scores(self) -> dict[int, Any]:
        return {c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.criteria}


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("节点"), max_length=100, error_messages=REQUIRED)
    planned_on = forms.DateField(label=_("计划日期"), required=False, widget=DATE)
    weight = forms.IntegerField(
        label=_("进度权重"),
        min_value=1,
        max_value=1000,
        initial=1,
        error_messages={"min_value": _("进度权重至少为 1。")},
    )


class MilestoneStateForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), choices=MilestoneState.choices)
    done_on = forms.DateField(label=_("完成日期"), required=False, widget=DATE)


class SpendingForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=DATE, initial=timezone.localdate)
    amount = forms.DecimalField(
        label=_("金额 (元)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("金额必须大于零。"), **REQUIRED},
    )
    payee = forms.CharField(label=_("收款方"), max_length=100, required=False)
    description = forms.CharField(label=_("用途"), max_length=200, error_messages=REQUIRED)


class PhotoForm(forms.Form):
    # A plain file field: the service checks the content (not the name) and gives the message.
    image = forms.FileField(
        label=_("照片文件"),
        error_messages={"required": _("请选择要上传的照片。")},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    kind = forms.ChoiceField(label=_("类型"), choices=PhotoKind.choices)
    before = forms.TypedChoiceField(
        label=_("对应的改造前照片"),
        coerce=int,
        required=False,
        help_text=_("改造后照片须选择同一位置的改造前照片。"),
    )
    spot = forms.CharField(label=_("拍摄位置"), max_length=100, required=False)
    caption = forms.CharField(label=_("说明"), max_length=200, required=False)
    taken_on = forms.DateField(label=_("拍摄日期"), required=False, widget=DATE)
    site_survey = forms.TypedChoiceField(label=_("踏勘记录"), coerce=int, required=False)

    def __init__(
        self,
        *args: Any,
        befores: list[tuple[int, str]],
        site_surveys: list[tuple[int, str]],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        before: Any = self.fields["before"]
        before.choices = [("", _("（无）")), *befores]
        survey: Any = self.fields["site_survey"]
        survey.choices = [("", _("（无）")), *site_surveys]


class NextVersionForm(forms.Form):
    title = forms.CharField(label=_("新版本名称"), max_length=100, error_messages=REQUIRED)
    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100, initial=timezone.localdate().year
    )
    description = forms.CharField(
        label=_("项目说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不填则沿用上一版本的说明。"),
    )


class FundForm(forms.Form):
    programme = ProgrammeChoiceField(
        label=_("项目类别"), queryset=Programme.objects.none(), error_messages=REQUIRED
    )
    org_unit = OrgChoiceField(
        label=_("资金归属"), queryset=OrgUnit.objects.none(), error_messages=REQUIRED
    )
    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100, initial=timezone.localdate().year
    )
    amount = forms.DecimalField(
        label=_("预算金额 (元)"),
        error_messages=REQUIRED,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(
        self, *args: Any, programmes: QuerySet[Programme], orgs: QuerySet[OrgUnit], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        prog: Any = self.fields["programme"]
        prog.queryset = programmes
        org: Any = self.fields["org_unit"]
        org.queryset = orgs
