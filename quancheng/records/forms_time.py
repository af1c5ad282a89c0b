"""The segment page's form for a time entered by hand (手工录入拍摄时间, records/timing.py)."""

from django import forms

from .forms_upload import DATETIME_LOCAL
from .timing import MAX_REASON


class SegmentTimeForm(forms.Form):
    started_at = forms.DateTimeField(
        label="开始时间（北京时间）",
        input_formats=DATETIME_LOCAL,
        error_messages={"required": "请填写开始时间", "invalid": "开始时间格式无效"},
    )
    device: forms.ModelChoiceField = forms.ModelChoiceField(
        label="拍摄设备",
        queryset=None,
        error_messages={"required": "请选择拍摄设备", "invalid_choice": "设备不存在或不属于本辖区"},
    )
    reason = forms.CharField(
        label="手工录入的原因",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写手工录入时间的原因"},
    )

    def __init__(self, *args, devices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = devices
