"""Forms of the residents' pages. They parse input only: the services decide what is valid
(required answers, scale ranges, budgets), and their messages are put back on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiedao.livelihood.models import Programme, Question, QuestionKind


def add_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: per field where it names one."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            target = key if key in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class ProposeForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("项目类别"), queryset=Programme.objects.none())
    title = forms.CharField(label=_("项目名称"), max_length=100)
    place_name = forms.CharField(
        label=_("地点"), max_length=100, help_text=_("例如：小区名称、路口、楼栋外墙。")
    )
    description = forms.CharField(
        label=_("您的提议"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("现在是什么情况，希望怎样改善。请不要填写他人的姓名、电话等个人信息。"),
    )
    theme = forms.CharField(label=_("主题"), max_length=100, required=False)
    budget_requested = forms.DecimalField(
        label=_("预计费用 (元)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("不清楚可以不填。"),
    )

    def __init__(self, *args: Any, programmes: QuerySet[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["programme"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = programmes
        if programmes.count() == 1:
            field.initial = programmes.first()


def answer_field_name(question: Question) -> str:
    return f"q{question.pk}"


class SurveyForm(forms.Form):
    """One field per question, named `q<id>` as the service's error keys are. Nothing is
    required here: the service says which answers are missing, in its own words."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            self.fields[answer_field_name(q)] = self._field_for(q)

    @staticmethod
    def _field_for(q: Question) -> forms.Field:
        label = q.text
        if q.kind == QuestionKind.SINGLE:
            return forms.ChoiceField(
                label=label,
                required=False,
                choices=[(c, c) for c in q.choices],
                widget=forms.RadioSelect,
            )
        if q.kind == QuestionKind.MULTIPLE:
            return forms.MultipleChoiceField(
                label=label,
                required=False,
                choices=[(c, c) for c in q.choices],
                widget=forms.CheckboxSelectMultiple,
            )
        if q.kind == QuestionKind.SCALE:
            return forms.ChoiceField(
                label=label,
                required=False,
                choices=[(str(v), str(v)) for v in range(q.scale_min, q.scale_max + 1)],
                widget=forms.RadioSelect(attrs={"class": "scale"}),
                help_text=_("%(low)s 分最低，%(high)s 分最高")
                % {"low": q.scale_min, "high": q.scale_max},
            )
        return forms.CharField(
            label=label,
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 4, "aria-label": label}),
        )

    def answers(self) -> dict[int, Any]:
        """Question id → the value as typed (a choice, choices, a number, a text). The service
        checks it and names the question at fault."""
        out: dict[int, Any] = {}
        for q in self.questions:
            name = answer_field_name(q)
            if q.kind == QuestionKind.MULTIPLE:
                out[q.pk] = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            else:
                out[q.pk] = self.data.get(name, "")
        return out
