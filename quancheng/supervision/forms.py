"""The statistics filter form (统计筛选)."""

import datetime as dt
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError

from quancheng.cases.models import Act
from quancheng.orgs.scoping import agencies_visible_to, officers_visible_to

from .statistics import GROUPINGS, Filters

if TYPE_CHECKING:
    from quancheng.orgs.models import User


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's month input); cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(f"{value}-01")
        except ValueError:
            raise ValidationError("月份格式应为 YYYY-MM，例如 2026-05") from None


class StatisticsFilterForm(forms.Form):
    by = forms.ChoiceField(label="分组", choices=list(GROUPINGS.items()), required=False)
    district = forms.ChoiceField(label="区县", required=False)
    officer: forms.ModelChoiceField = forms.ModelChoiceField(
        label="执法人员", queryset=None, required=False, empty_label="全部"
    )
    kind = forms.ChoiceField(
        label="执法行为类型", required=False, choices=[("", "全部"), *Act.Kind.choices]
    )
    start = MonthField(label="起始月份", required=False)
    end = MonthField(label="截止月份", required=False)

    def __init__(self, user: "User", *args, **kwargs):
        super().__init__(*args, **kwargs)
        districts = (
            agencies_visible_to(user).order_by("district").values_list("district", flat=True)
        )
        self.fields["district"].choices = [("", "全部")] + [  # type: ignore[attr-defined]  # a ChoiceField
            (d, d) for d in dict.fromkeys(districts)
        ]
        self.fields["officer"].queryset = officers_visible_to(user)  # type: ignore[attr-defined]  # a ModelChoiceField

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise ValidationError("起始月份不能晚于截止月份")
        return data

    def filters(self) -> Filters:
        """The valid filters; an invalid one is ignored (and its error shown)."""
        self.is_valid()
        data = dict(self.cleaned_data)
        if self.non_field_errors():
            data.pop("start", None), data.pop("end", None)
        officer = data.get("officer")
        return Filters(
            district=data.get("district") or "",
            officer=officer.pk if officer else None,
            kind=data.get("kind") or "",
            start=data.get("start"),
            end=data.get("end"),
            by=data.get("by") or "month",
        )
