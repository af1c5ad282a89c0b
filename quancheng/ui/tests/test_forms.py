"""The form helpers every app's pages share (ui/forms.py)."""

import datetime as dt

from django import forms

from quancheng.ui.forms import DateInput, DateTimeLocalInput, Form, with_all


class _NameForm(Form):
    name = forms.CharField(label="名称")
    on = forms.DateField(label="日期", widget=DateInput)
    at = forms.DateTimeField(label="时间", widget=DateTimeLocalInput)


def test_labels_carry_no_colon():
    label = _NameForm()["name"].label_tag()
    assert "名称" in label and ":" not in label and "：" not in label


def test_a_date_is_a_date_input_with_iso_days():
    html = str(_NameForm(initial={"on": "2026-05-04"})["on"])
    assert 'type="date"' in html and 'value="2026-05-04"' in html


def test_a_time_keeps_its_seconds_in_the_browsers_local_input():
    local = dt.datetime(2026, 5, 4, 9, 30, 15)  # noqa: DTZ001  # the widget's value, as shown
    html = str(_NameForm(initial={"at": local})["at"])
    assert 'type="datetime-local"' in html and 'step="1"' in html
    assert 'value="2026-05-04T09:30:15"' in html


def test_a_filters_choices_start_with_all():
    assert with_all([("a", "甲")]) == [("", "全部"), ("a", "甲")]
