"""Forms of the spot-check and evaluation pages (input only; the services decide)."""

import json
from typing import TYPE_CHECKING

from django import forms

from quancheng.archive.models import Dossier
from quancheng.ui.forms import DateInput

from .evaluations import evaluable_agencies
from .spotchecks import MAX_SAMPLE, districts_for

if TYPE_CHECKING:
    from quancheng.orgs.models import User


class DrawForm(forms.Form):
    title = forms.CharField(label="抽查名称", max_length=200, required=False)
    district = forms.ChoiceField(label="区县")
    period_start = forms.DateField(label="归档日期起", widget=DateInput)
    period_end = forms.DateField(label="归档日期止", widget=DateInput)
    kind = forms.ChoiceField(
        label="案卷类别", choices=[("", "全部"), *Dossier.Kind.choices], required=False
    )
    sample_size = forms.IntegerField(label="抽查数量", min_value=1, max_value=MAX_SAMPLE)
    seed = forms.IntegerField(
        label="随机种子",
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="留空则随机生成；填写已记录的种子并使用相同条件可复现同一样本",
    )

    def __init__(self, user: "User", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [(d, d) for d in districts_for(user)]  # type: ignore[attr-defined]  # a ChoiceField


class EvaluationForm(forms.Form):
    agency: forms.ModelChoiceField = forms.ModelChoiceField(label="被考评机构", queryset=None)
    period_label = forms.CharField(
        label="考评期间", max_length=50, help_text="例如：2026年第三季度"
    )
    period_start = forms.DateField(label="期间起", widget=DateInput)
    period_end = forms.DateField(label="期间止", widget=DateInput)

    def __init__(self, user: "User", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = evaluable_agencies(user).order_by("code")  # type: ignore[attr-defined]  # a ModelChoiceField


class SheetForm(forms.Form):
    # The items as JSON for the editor (their codes on purpose: class "code").
    items = forms.CharField(
        label="项目（JSON）", widget=forms.Textarea(attrs={"rows": 24, "class": "code"})
    )
    note = forms.CharField(label="修改说明", required=False, max_length=2000)

    def clean_items(self):
        try:
            return json.loads(self.cleaned_data["items"])
        except json.JSONDecodeError as e:
            raise forms.ValidationError(f"不是有效的JSON：第{e.lineno}行第{e.colno}列") from e
