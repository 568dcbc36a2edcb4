"""Forms that only parse input; the services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.evaluations.models import EvalChannel, Level, indicators_for

LEVEL_CHOICES = [(lv.value, lv.label) for lv in Level]
LEVEL_SCORE_CHOICES = [("", _("不评"))] + [(str(lv.value), lv.label) for lv in Level]


class RatingForm(forms.Form):
    """The applicant's rating: overall level, the channel's indicators, a comment."""

    level = forms.TypedChoiceField(
        label=_("总体评价"), choices=LEVEL_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见建议（选填）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indicator_keys = []
        for key, label in indicators_for(channel).items():
            name = f"score_{key}"
            self.fields[name] = forms.ChoiceField(
                label=label, choices=LEVEL_SCORE_CHOICES, required=False
            )
            self.indicator_keys.append(key)

    def scores(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(f"score_{k}") for k in self.indicator_keys}


class EnterForm(RatingForm):
    """Staff enter what the applicant said on a call or at the door."""

    channel = forms.ChoiceField(
        label=_("评价渠道"),
        choices=[
            (EvalChannel.HOTLINE, EvalChannel.HOTLINE.label),
            (EvalChannel.DOOR, EvalChannel.DOOR.label),
        ],
    )

    field_order = ["channel", "level"]


class CaseForm(forms.Form):
    number = forms.CharField(label=_("办件或诉求编号"), max_length=40)


class MoveForm(forms.Form):
    note = forms.CharField(
        label=_("情况说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    complex = forms.BooleanField(label=_("复杂问题（15个工作日内整改）"), required=False)
    revisit_level = forms.TypedChoiceField(
        label=_("办事人对整改的评价"),
        choices=[("", "—"), *LEVEL_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("申诉理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecideForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("复核结果"),
        choices=[("1", _("申诉成立（该评价不计入统计）")), ("0", _("申诉不成立"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("复核意见"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
