"""Form helpers every app's pages use: the form without colons and the date inputs.

The forms of a page live with the page (its app's forms.py); choices that name other objects come
from the user's scope there, so an id from another district is refused like one that does not
exist, with NOT_VISIBLE.
"""

from django import forms

NOT_VISIBLE = "不存在或不在您的管辖范围内"
# With seconds: times that terminals recorded to the second survive an edit on the page.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M:%S"


class Form(forms.Form):
    """A form whose labels carry no colon (the layout sets labels apart)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    """<input type="datetime-local">: the browser sends local time, read as Asia/Shanghai."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__({"step": "1", **(attrs or {})}, format=DATETIME_LOCAL)


def with_all(choices) -> list:
    """A filter's choices with the empty choice first, shown as 全部 (all)."""
    return [("", "全部"), *choices]
