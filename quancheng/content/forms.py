from django import forms


class ScanConfirmForm(forms.Form):
    """The officer's confirmation or correction of what was read on a scan."""

    number = forms.CharField(label="文号", max_length=64, required=False)
    started_at = forms.DateTimeField(
        label="文书记载开始时间",
        required=False,
        input_formats=[
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ],
    )
    ended_at = forms.DateTimeField(
        label="文书记载结束时间",
        required=False,
        input_formats=[
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ],
    )


class PictureOffsetForm(forms.Form):
    note = forms.CharField(label="确认依据", max_length=500)
