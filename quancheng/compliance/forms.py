import json

from django import forms
from django.utils import timezone


class ConfigForm(forms.Form):
    # A field named ``data`` shadows BaseForm.data on the class only: Django moves declared
    # fields into base_fields, and the bound form's ``data`` is the submitted dict as usual.
    data = forms.CharField(  # type: ignore[assignment]
        label="配置（JSON）",
        widget=forms.Textarea(attrs={"class": "config-json code", "spellcheck": "false"}),
    )
    note = forms.CharField(label="修改说明", required=False, max_length=2000)

    def clean_data(self):
        try:
            return json.loads(self.cleaned_data["data"])
        except json.JSONDecodeError as e:
            raise forms.ValidationError(
                f"不是有效的 JSON：第{e.lineno}行第{e.colno}列，{e.msg}"
            ) from e


class ExplanationForm(forms.Form):
    kind = forms.CharField()
    reason = forms.CharField(required=False)
    text = forms.CharField(max_length=5000)
    gap_started_at = forms.DateTimeField(
        required=False, input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
    )
    gap_ended_at = forms.DateTimeField(
        required=False, input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
    )

    def clean(self):
        data = super().clean()
        for name in ("gap_started_at", "gap_ended_at"):
            if data.get(name) is not None and timezone.is_naive(data[name]):
                data[name] = timezone.make_aware(data[name])
        return data
